// The stage's settings the cost model needs, read from serverless.yml as the framework resolves
// them: `params` (default overlaid with the stage, as local/stage-params.ts reads them) and each
// function's memorySize (the provider's when a function sets none). No copies of these values.
import { parseDocument } from 'yaml';
import { stageParamsFrom } from '../../local/stage-params.js';
import { HOURS_PER_MONTH, type StageInputs } from './model.js';

const DPU_PER_WORKER: Record<string, number> = {
  'G.025X': 0.25,
  'G.1X': 1,
  'G.2X': 2,
  'G.4X': 4,
  'G.8X': 8,
};

const UNIT_HOURS: Record<string, number> = {
  minute: 1 / 60,
  minutes: 1 / 60,
  hour: 1,
  hours: 1,
  day: 24,
  days: 24,
};

/** Executions per month of an EventBridge schedule expression: rate(…) or a daily cron(…). */
export const runsPerMonth = (expression: string): number => {
  const rate = /^rate\((\d+) (minutes?|hours?|days?)\)$/.exec(expression);
  if (rate) return HOURS_PER_MONTH / (Number(rate[1]) * (UNIT_HOURS[rate[2] as string] ?? 1));
  const cron = /^cron\((\S+) (\S+) (\S+) (\S+) (\S+) (\S+)\)$/.exec(expression);
  if (cron) {
    const [, minute, hour, dom, month, dow] = cron as unknown as string[];
    const any = (f: string | undefined) => f === '*' || f === '?';
    if (
      /^\d+$/.test(minute ?? '') &&
      /^\d+$/.test(hour ?? '') &&
      any(dom) &&
      any(month) &&
      any(dow)
    ) {
      return HOURS_PER_MONTH / 24;
    }
  }
  throw new Error(`schedule ${expression}: only rate(…) and daily cron(…) are modelled`);
};

const num = (params: Record<string, unknown>, name: string): number => {
  const value = Number(params[name]);
  if (!Number.isFinite(value)) throw new Error(`serverless.yml params.${name} is not a number`);
  return value;
};

const str = (params: Record<string, unknown>, name: string): string => {
  const value = params[name];
  if (typeof value !== 'string') throw new Error(`serverless.yml params.${name} is not a string`);
  return value;
};

interface Template {
  provider?: { memorySize?: number };
  functions?: Record<string, { memorySize?: number }>;
}

export const stageInputsFrom = (yamlText: string, stage: string): StageInputs => {
  const params = stageParamsFrom(yamlText, stage);
  const doc = parseDocument(yamlText, { logLevel: 'silent' });
  const template = doc.toJS({ maxAliasCount: -1 }) as Template;
  const fallback = template.provider?.memorySize;
  const lambdaMemoryMb: Record<string, number> = {};
  for (const [name, fn] of Object.entries(template.functions ?? {})) {
    const mb = fn.memorySize ?? fallback;
    if (typeof mb !== 'number') throw new Error(`function ${name} has no memorySize`);
    lambdaMemoryMb[name] = mb;
  }
  const workerType = str(params, 'glueWorkerType');
  const dpu = DPU_PER_WORKER[workerType];
  if (dpu === undefined) throw new Error(`unknown Glue worker type ${workerType}`);
  return {
    stage,
    firehoseBufferSeconds: num(params, 'firehoseBufferSeconds'),
    firehoseBufferMiB: num(params, 'firehoseBufferMiB'),
    glueDpus: num(params, 'glueWorkers') * dpu,
    retrainRunsPerMonth: runsPerMonth(str(params, 'retrainSchedule')),
    crawlerRunsPerMonth: runsPerMonth(str(params, 'crawlerSchedule')),
    maxModelAgeHours: num(params, 'maxModelAgeHours'),
    historyDays: num(params, 'historyDays'),
    trainingInstanceType: str(params, 'trainingInstanceType'),
    endpointInstanceType: str(params, 'endpointInstanceType'),
    endpointInstanceCount: num(params, 'endpointInstanceCount'),
    bakeSeconds: num(params, 'bakeSeconds'),
    terminationWaitSeconds: num(params, 'terminationWaitSeconds'),
    rawInfrequentAccessDays: num(params, 'rawInfrequentAccessDays'),
    contextShards: num(params, 'contextShards'),
    contextHistoryShards: num(params, 'contextHistoryShards'),
    lambdaMemoryMb,
  };
};
