// The cost model's arithmetic, on hand-computed examples (1,000 devices, a reading every 15 min).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ASSUMPTIONS,
  ENDPOINT_POLL,
  monthlyCost,
  PROMOTED_RUN_PATH_AFTER_WAIT,
  PROMOTED_RUN_PATH_BEFORE_WAIT,
  promotedRunTransitions,
  SKIPPED_RUN_PATH,
} from '../../../../deploy/cost/model.js';
import { PRICES } from '../../../../deploy/cost/prices.js';
import { COST_FLEET, COST_STAGE } from '../../../fixtures/cost-inputs.js';

const STAGE = COST_STAGE;
const FLEET = COST_FLEET;

const line = (report: ReturnType<typeof monthlyCost>, item: string) => {
  const found = report.lines.find((l) => l.item.startsWith(item));
  if (!found) throw new Error(`no line ${item}`);
  return found;
};

describe('monthlyCost', () => {
  const report = monthlyCost(FLEET, STAGE, PRICES);

  it('bills one 5 KB IoT message per reading: 1,000 × 43,800 / 15 = 2.92M messages = $2.92', () => {
    expect(report.counts.messages).toBe(2_920_000);
    expect(line(report, 'messaging').usd).toBeCloseTo(2.92, 10);
  });

  it('bills connectivity for every minute a device is connected: 43.8M minutes × $0.08/M', () => {
    expect(line(report, 'connectivity').quantity).toBe(43_800_000);
    expect(line(report, 'connectivity').usd).toBeCloseTo(3.504, 10);
  });

  it('counts the one rule on the telemetry topic as triggered, one Firehose action per message', () => {
    expect(line(report, 'rules triggered').usd).toBeCloseTo(2.92 * 0.15, 10);
    expect(line(report, 'actions').usd).toBeCloseTo(2.92 * 0.15, 10);
  });

  it('rounds every Firehose record up to 5 KB: 2.92M × 5,120 B = 13.92 GB × $0.029', () => {
    const gb = (2_920_000 * 5120) / 1024 ** 3;
    expect(line(report, 'ingestion (5 KB').quantity).toBeCloseTo(gb, 10);
    expect(line(report, 'ingestion (5 KB').usd).toBeCloseTo(gb * 0.029, 10);
  });

  it('writes one raw object per 60 s buffer (18 KB each, far below 1 MiB): 43,800 PUTs', () => {
    expect(report.counts.rawObjects).toBe(43_800);
    expect(line(report, 'Firehose PUTs').usd).toBeCloseTo(0.219, 10);
  });

  it('costs the sharded hot path per delivery and per shard-hour, not per device', () => {
    // 66.7 devices a delivery spread over 32 page shards touch 32 × (1 − (31/32)^66.7) of them.
    const touched = 32 * (1 - (31 / 32) ** (1000 / 15));
    expect(report.counts.devicesPerObject).toBeCloseTo(1000 / 15, 10);
    // Each delivery: the raw GET + a GET per page; each shard-hour: 2 summary GETs, 32 history
    // GETs, the folded page by each of 8 concurrent folds, and update-context's summary check.
    const gets = 43_800 * (1 + touched) + 32 * 730 * (2 + 32 + 8 + 1);
    const putsAndLists = 43_800 * touched + 32 * 730 * (1 + 32 + 1);
    expect(line(report, 'hot path GETs').quantity).toBeCloseTo(gets, 6);
    expect(line(report, 'hot path PUTs').quantity).toBeCloseTo(putsAndLists, 6);
    expect(line(report, 'hot path PUTs').usd).toBeCloseTo((putsAndLists / 1000) * 0.005, 10);
  });

  it('does not grow the hot path with the fleet once every shard is touched', () => {
    const big = monthlyCost({ ...FLEET, devices: 5_000 }, STAGE, PRICES);
    const huge = monthlyCost({ ...FLEET, devices: 10_000 }, STAGE, PRICES);
    // Twice the devices: the same requests, to 0.01 %.
    const ratio = line(huge, 'hot path PUTs').quantity / line(big, 'hot path PUTs').quantity;
    expect(ratio).toBeCloseTo(1, 4);
  });

  it('counts state transitions by outcome: 25 skipped × 10 + 5 promoted × (21 + 35 polls × 4 + 3)', () => {
    // (2 × 600 s bake + 300 s termination wait + 10 min provisioning) / 60 s = 35 polls.
    expect(promotedRunTransitions(STAGE, DEFAULT_ASSUMPTIONS)).toBe(164);
    expect(line(report, 'state transitions').quantity).toBe(25 * 10 + 5 * 164);
    expect(line(report, 'state transitions').usd).toBeCloseTo(1.07 * 0.025, 10);
  });

  it('bills the endpoint as fixed: 2 instances × 730 h × $0.115', () => {
    expect(line(report, 'endpoint').usd).toBeCloseTo(167.9, 10);
    expect(report.fixedUsd).toBeCloseTo(167.9, 10);
  });

  it('bills Glue DPU-hours per run: 30 runs × 2 DPU × 1.5 min (startup, 0.02 GB input)', () => {
    const rawGbPerRun = (2_920_000 * 271) / 1024 ** 3 / 30;
    const minutes = 1.5 + 2 * rawGbPerRun;
    expect(line(report, 'ETL job').quantity).toBeCloseTo((30 * 2 * minutes) / 60, 10);
  });

  it('bills Lambda GB-seconds from the function memory: update-context 43,800 × 0.5 GB × (base + pages + rollups)', () => {
    const touched = 32 * (1 - (31 / 32) ** (1000 / 15));
    const seconds = (150 + 25 * touched + (400 * 32 * 730) / 43_800) / 1000;
    expect(line(report, 'update-context duration').quantity).toBeCloseTo(43_800 * 0.5 * seconds, 6);
  });

  it('reports the per-device-month cost without the endpoint, and totals by service', () => {
    const sum = report.lines.reduce((s, l) => s + l.usd, 0);
    expect(report.totalUsd).toBeCloseTo(sum, 10);
    expect(report.perDeviceMonthUsd).toBeCloseTo((sum - 167.9) / 1000, 10);
    expect(Object.values(report.byService).reduce((s, v) => s + v, 0)).toBeCloseTo(sum, 10);
  });

  it('reports the marginal device-month: the bill less the bill of an empty fleet, per device', () => {
    const empty = monthlyCost({ ...FLEET, devices: 0 }, STAGE, PRICES);
    expect(empty.counts.rawObjects).toBe(0);
    expect(report.marginalPerDeviceMonthUsd).toBeCloseTo(
      (report.totalUsd - empty.totalUsd) / 1000,
      10,
    );
  });

  it('splits the marginal device-month into the pipeline and serving the API', () => {
    const serving = report.lines.filter((l) => l.serving).reduce((sum, l) => sum + l.usd, 0);
    expect(serving).toBeGreaterThan(0);
    expect(report.servingPerDeviceMonthUsd).toBeCloseTo(serving / 1000, 10);
    // An empty fleet serves no forecasts but its dashboards: only the device-driven part remains.
    const empty = monthlyCost({ ...FLEET, devices: 0 }, STAGE, PRICES);
    const emptyServing = empty.lines.filter((l) => l.serving).reduce((sum, l) => sum + l.usd, 0);
    expect(report.marginalPipelinePerDeviceMonthUsd + (serving - emptyServing) / 1000).toBeCloseTo(
      report.marginalPerDeviceMonthUsd,
      10,
    );
  });

  it('bills no IoT messaging with Basic Ingest, and the same one rule as triggered', () => {
    const basic = monthlyCost({ ...FLEET, basicIngest: true }, STAGE, PRICES);
    expect(line(basic, 'messaging').usd).toBe(0);
    expect(line(basic, 'rules triggered').usd).toBeCloseTo(line(report, 'rules triggered').usd, 10);
  });

  it('divides messages by the batch, and meters a message past 5 KB as two', () => {
    const batched = monthlyCost({ ...FLEET, readingsPerMessage: 10 }, STAGE, PRICES);
    expect(line(batched, 'messaging').usd).toBeCloseTo(0.292, 10); // 2,030 B: one unit each
    expect(batched.counts.devicesPerObject).toBeCloseTo((292 * 1000) / 43_800, 10); // 292 messages each
    expect(line(batched, 'ingestion (5 KB').quantity).toBeCloseTo((292_000 * 5120) / 1024 ** 3, 10);
    const big = monthlyCost({ ...FLEET, readingBytes: 6000 }, STAGE, PRICES);
    expect(line(big, 'messaging').usd).toBeCloseTo(2 * 2.92, 10);
  });

  it('adds the rule bytes once per record: 20 readings of 240 B + 70 B fit one 5 KB action', () => {
    const batched = monthlyCost(
      { ...FLEET, readingBytes: 240, readingsPerMessage: 20 },
      STAGE,
      PRICES,
    );
    // 20 × 240 + 70 + 1 = 4,871 B; per reading it would be 20 × 310 + 1 = 6,201 B, two units.
    expect(line(batched, 'actions').quantity).toBeCloseTo(146_000, 6);
  });

  it('stores raw/ gzip at the measured ratio; curated follows the uncompressed readings', () => {
    // 2.92M records × 271 B = 0.737 GB a month, 12 months held (1 Standard, 11 IA).
    const ndjsonGb = (2_920_000 * 271) / 1024 ** 3;
    expect(line(report, 'storage raw/').quantity).toBeCloseTo(ndjsonGb * 0.125 * 12, 10);
    const plain = monthlyCost({ ...FLEET, rawGzipRatio: 1 }, STAGE, PRICES);
    expect(line(report, 'storage raw/').usd).toBeCloseTo(
      line(plain, 'storage raw/').usd * 0.125,
      10,
    );
    expect(line(report, 'storage curated/').usd).toBe(line(plain, 'storage curated/').usd);
  });

  it('refuses a bad fleet with a clear error', () => {
    expect(() => monthlyCost({ ...FLEET, readingMinutes: 0 }, STAGE, PRICES)).toThrow(
      /readingMinutes/,
    );
    expect(() => monthlyCost(FLEET, { ...STAGE, lambdaMemoryMb: {} }, PRICES)).toThrow(
      /memorySize/,
    );
  });
});

describe('the modelled execution paths', () => {
  const asl = JSON.parse(
    readFileSync(
      path.resolve(import.meta.dirname, '../../../../state-machines/retrain.asl.json'),
      'utf8',
    ),
  ) as { StartAt: string; States: Record<string, Record<string, unknown>> };
  const successors = (name: string): string[] => {
    const state = asl.States[name];
    if (!state) throw new Error(`no state ${name}`);
    const choices = (state.Choices as Array<{ Next: string }> | undefined) ?? [];
    return [state.Next, state.Default, ...choices.map((c) => c.Next)].filter(
      (n): n is string => typeof n === 'string',
    );
  };
  const assertPath = (states: string[]) => {
    for (let i = 1; i < states.length; i++) {
      expect(successors(states[i - 1] as string), `${states[i - 1]} → ${states[i]}`).toContain(
        states[i],
      );
    }
  };

  it('follow edges of state-machines/retrain.asl.json from its start', () => {
    expect(SKIPPED_RUN_PATH[0]).toBe(asl.StartAt);
    assertPath(SKIPPED_RUN_PATH);
    assertPath([
      ...PROMOTED_RUN_PATH_BEFORE_WAIT,
      ...ENDPOINT_POLL,
      ...ENDPOINT_POLL,
      ...PROMOTED_RUN_PATH_AFTER_WAIT,
    ]);
  });
});
