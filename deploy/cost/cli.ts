// `npm run cost -- --devices N [--reading-minutes M] [--stage dev|prod] …`: the monthly AWS bill
// of the deployed pipeline per service, as a table and as JSON. The stage's settings (Firehose
// buffer, hot-path shards, schedules, memory) come from serverless.yml, prices from
// deploy/cost/prices.ts, and the message shape and raw/ gzip ratio measured on a sample built
// with the device agent's own payload code (local/raw-sample.ts), with the agent's flags:
// --readings-per-message (a number, or "recommended": the most that fit one 5 KB unit),
// --basic-ingest.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ALGORITHM_CHOICES, type AlgorithmChoice } from '../../core/engine-artifact.js';
import { MAX_READINGS_PER_MESSAGE } from '../../core/telemetry.js';
import { rawSample, recommendedReadingsPerMessage } from '../../local/raw-sample.js';
import { stageParamsFrom } from '../../local/stage-params.js';
import { DEFAULT_ENGINE_ASSUMPTIONS, monthlyCostFor } from './algorithm.js';
import { type CostReport, DEFAULT_ASSUMPTIONS, type FleetInputs } from './model.js';
import { PRICES, PRICES_DATE, PRICES_REGION } from './prices.js';
import { stageInputsFrom } from './template-inputs.js';

const HELP = `Usage: npm run cost -- --devices <n> [options]

  --devices <n>                 fleet size (required)
  --reading-minutes <m>         minutes between a device's readings (default 15)
  --stage dev|prod              serverless.yml params to read (default dev)
  --readings-per-message <k>    readings per MQTT message, as the agent's flag (default 1;
                                a telemetry v1 batch when > 1, at most 500), or
                                "recommended": the most whose message fits one 5 KB unit
  --basic-ingest                devices publish to $aws/rules/<rule>/… (the agent's
                                --basic-ingest <rule>): no IoT messaging charge
  --forecasts-per-device-day <n>  GET /forecast calls per device per day (default 24)
  --dashboard-requests-day <n>  GET /status + /devices calls per day (default 1440)
  --months-retained <n>         months of raw/curated data held in the lake (default 12)
  --algorithm deepar|smogcast|both  what retrains and serves (default: the stage's
                                serverless.yml param): smogcast has no endpoint and trains in
                                the train-engine Lambda instead of a SageMaker job
  --json                        JSON only
`;

const positive = (name: string, raw: string | undefined, fallback: number): number => {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0)
    throw new Error(`--${name} must be a number ≥ 0, got "${raw}"`);
  return value;
};

const usd = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(2) : v.toFixed(4));

const table = (report: CostReport): string => {
  const rows = report.lines.map(
    (l) =>
      `  ${l.service.padEnd(16)} ${l.item.padEnd(62)} ${l.quantity.toExponential(3).padStart(10)} ${l.unit.padEnd(22)} $${usd(l.usd).padStart(9)}${l.fixed ? '  (fixed)' : ''}`,
  );
  const services = Object.entries(report.byService)
    .sort((a, b) => b[1] - a[1])
    .map(([s, v]) => `  ${s.padEnd(16)} $${usd(v)}`);
  return [
    `${report.devices} devices, a reading every ${report.readingMinutes} min, stage ${report.stage}, hot path ${report.hotPath}`,
    ...rows,
    'by service:',
    ...services,
    `total $${usd(report.totalUsd)} / month; fixed (endpoint) $${usd(report.fixedUsd)}; per device-month excluding the endpoint $${report.perDeviceMonthUsd.toFixed(4)}, marginal $${report.marginalPerDeviceMonthUsd.toFixed(4)} = pipeline $${report.marginalPipelinePerDeviceMonthUsd.toFixed(4)} + serving $${report.servingPerDeviceMonthUsd.toFixed(4)} (API at ${report.counts.forecastsPerDevicePerDay} forecasts per device-day)`,
  ].join('\n');
};

/** The stage's `algorithm` param (default deepar), as the framework resolves it. */
const stageAlgorithm = (yamlText: string, stage: string): string =>
  String(stageParamsFrom(yamlText, stage).algorithm ?? 'deepar');

const main = () => {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      devices: { type: 'string' },
      'reading-minutes': { type: 'string' },
      stage: { type: 'string' },
      'readings-per-message': { type: 'string' },
      'basic-ingest': { type: 'boolean' },
      'forecasts-per-device-day': { type: 'string' },
      'dashboard-requests-day': { type: 'string' },
      'months-retained': { type: 'string' },
      algorithm: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  if (values.devices === undefined) throw new Error('--devices is required');
  const stage = values.stage ?? 'dev';
  if (stage !== 'dev' && stage !== 'prod')
    throw new Error(`--stage must be dev or prod, got "${stage}"`);
  const readingMinutes = positive('reading-minutes', values['reading-minutes'], 15);
  if (readingMinutes <= 0) throw new Error('--reading-minutes must be > 0');
  const devices = Math.floor(positive('devices', values.devices, 0));
  const yamlText = readFileSync(
    path.join(import.meta.dirname, '..', '..', 'serverless.yml'),
    'utf8',
  );
  const stageInputs = stageInputsFrom(yamlText, stage);
  const recommendation = recommendedReadingsPerMessage({
    devices,
    readingMinutes,
    firehoseBufferSeconds: stageInputs.firehoseBufferSeconds,
  });
  const rpm = values['readings-per-message'];
  const readingsPerMessage =
    rpm === 'recommended'
      ? recommendation.readingsPerMessage
      : Math.max(1, Math.floor(positive('readings-per-message', rpm, 1)));
  if (readingsPerMessage > MAX_READINGS_PER_MESSAGE)
    throw new Error(`--readings-per-message must be at most ${MAX_READINGS_PER_MESSAGE}`);
  // Bytes per reading and per record as the agent and the rule make them, and raw/'s gzip ratio.
  const sample = rawSample({ devices, readingMinutes, readingsPerMessage });
  const fleet: FleetInputs = {
    devices,
    readingMinutes,
    readingBytes: sample.readingBytes,
    ruleAddedBytes: sample.ruleAddedBytes,
    rawGzipRatio: sample.gzipRatio,
    topicBytes: sample.topicBytes,
    readingsPerMessage,
    basicIngest: values['basic-ingest'] === true,
    connectedShare: 1,
    forecastsPerDevicePerDay: positive(
      'forecasts-per-device-day',
      values['forecasts-per-device-day'],
      24,
    ),
    dashboardRequestsPerDay: positive(
      'dashboard-requests-day',
      values['dashboard-requests-day'],
      1440,
    ),
    monthsRetained: positive('months-retained', values['months-retained'], 12),
  };
  const algorithm = (values.algorithm ?? stageAlgorithm(yamlText, stage)) as AlgorithmChoice;
  if (!(ALGORITHM_CHOICES as readonly string[]).includes(algorithm))
    throw new Error(
      `--algorithm must be one of ${ALGORITHM_CHOICES.join(', ')}, got "${algorithm}"`,
    );
  const report = monthlyCostFor(algorithm, fleet, stageInputs, PRICES);
  const unverified = Object.entries(PRICES)
    .filter(([, p]) => !p.found)
    .map(([name, p]) => `${name} ($${p.usd} per ${p.unit})`);
  const result = {
    prices: { date: PRICES_DATE, region: PRICES_REGION, unverified },
    inputs: {
      fleet,
      stage: stageInputs,
      algorithm,
      assumptions: {
        ...DEFAULT_ASSUMPTIONS,
        ...(algorithm === 'deepar' ? {} : DEFAULT_ENGINE_ASSUMPTIONS),
      },
      sample,
    },
    recommendation,
    report,
  };
  if (!values.json) {
    console.log(table(report));
    console.log(
      `raw/ gzip: ${sample.rawBytes} B of NDJSON -> ${sample.gzipBytes} B (ratio ${sample.gzipRatio.toFixed(3)}), measured on ${sample.messages} sample messages`,
    );
    console.log(
      `recommended at ${readingMinutes}-minute readings: --readings-per-message ${recommendation.readingsPerMessage} (${recommendation.fitsUnit} fit one 5 KB unit; ${recommendation.liveCap} reach their hour's page while it is live after the ${stageInputs.firehoseBufferSeconds} s buffer; largest message ${recommendation.maxMessageBytes} B with its topic, ${recommendation.maxRecordBytes} B as the rule's record)${readingsPerMessage === recommendation.readingsPerMessage ? '' : `; this run uses ${readingsPerMessage}`}`,
    );
    console.log('');
    console.log(
      `prices: ${PRICES_REGION}, on-demand, first tier, read ${PRICES_DATE} (deploy/cost/prices.ts)`,
    );
    if (unverified.length > 0)
      console.log(`not found in the stored pages, unverified: ${unverified.join('; ')}`);
    console.log('');
  }
  console.log(JSON.stringify(result, null, values.json ? 2 : undefined));
};

try {
  main();
} catch (error) {
  console.error(`error: ${(error as Error).message}\n\n${HELP}`);
  process.exit(2);
}
