import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runsPerMonth, stageInputsFrom } from '../../../../deploy/cost/template-inputs.js';

const TEMPLATE = `
params:
  default:
    firehoseBufferSeconds: 60
    firehoseBufferMiB: 1
    glueWorkerType: G.1X
    glueWorkers: 2
    crawlerSchedule: cron(30 4 * * ? *)
    retrainSchedule: rate(6 hours)
    maxModelAgeHours: "168"
    historyDays: "30"
    trainingInstanceType: ml.m5.large
    endpointInstanceType: ml.m5.large
    endpointInstanceCount: "2"
    bakeSeconds: "600"
    terminationWaitSeconds: "300"
    rawInfrequentAccessDays: 30
    contextShards: "32"
    contextHistoryShards: "1024"
  prod:
    firehoseBufferSeconds: 300
    glueWorkers: 4
provider:
  memorySize: 512
functions:
  big:
    memorySize: 2048
  small:
    timeout: 30
resources:
  Resources:
    Role:
      Properties:
        Resource: !Sub arn:\${AWS::Partition}:logs:*
`;

describe('stageInputsFrom', () => {
  it('reads the stage params and each function memory (the provider default where unset)', () => {
    const dev = stageInputsFrom(TEMPLATE, 'dev');
    const prod = stageInputsFrom(TEMPLATE, 'prod');
    expect(dev.firehoseBufferSeconds).toBe(60);
    expect(prod.firehoseBufferSeconds).toBe(300);
    expect(dev.glueDpus).toBe(2);
    expect(prod.glueDpus).toBe(4);
    expect(dev.retrainRunsPerMonth).toBeCloseTo(730 / 6, 10);
    expect(dev.crawlerRunsPerMonth).toBeCloseTo(730 / 24, 10);
    expect(dev.lambdaMemoryMb).toEqual({ big: 2048, small: 512 });
    expect([dev.contextShards, dev.contextHistoryShards]).toEqual([32, 1024]);
  });

  it('reads the repository serverless.yml for both stages', () => {
    const text = readFileSync(
      path.resolve(import.meta.dirname, '../../../../serverless.yml'),
      'utf8',
    );
    const dev = stageInputsFrom(text, 'dev');
    expect(dev.lambdaMemoryMb['update-context']).toBeGreaterThan(0);
    expect(dev.lambdaMemoryMb['prepare-deepar']).toBe(2048);
    expect(stageInputsFrom(text, 'prod').firehoseBufferMiB).toBe(64);
  });

  it('refuses schedules it cannot count and unknown worker types', () => {
    expect(() => runsPerMonth('cron(0 4 ? * MON *)')).toThrow(/daily cron/);
    expect(() => stageInputsFrom(TEMPLATE.replace('G.1X', 'G.9X'), 'dev')).toThrow(/G.9X/);
  });
});
