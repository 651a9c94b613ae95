// The monthly AWS bill of the deployed pipeline, per service, as a pure function of the fleet
// (devices, reading period, message shape), the stage's settings read from serverless.yml and a
// price table. Counts follow the architecture: one IoT message and one Firehose record per
// message, one raw object per Firehose buffer, one update-context invocation per raw object and
// the hot-path requests per device in it, one retrain execution per schedule tick.
import { HOUR_MS } from '../../core/device-context.js';
import { MAX_CLOCK_SKEW_MS } from '../../core/telemetry.js';
import { hostingInstancePrice, type PriceTable, trainingInstancePrice } from './prices.js';

export const HOURS_PER_MONTH = 730;
export const MINUTES_PER_MONTH = HOURS_PER_MONTH * 60;
const KB5 = 5 * 1024;
const GB = 1024 ** 3;

/** What serverless.yml holds for the stage (read by template-inputs.ts). */
export interface StageInputs {
  stage: string;
  firehoseBufferSeconds: number;
  firehoseBufferMiB: number;
  /** DPUs of the ETL job (workers × DPU per worker). */
  glueDpus: number;
  /** Retrain executions per month (from retrainSchedule). */
  retrainRunsPerMonth: number;
  /** Crawler runs per month (from crawlerSchedule). */
  crawlerRunsPerMonth: number;
  maxModelAgeHours: number;
  historyDays: number;
  trainingInstanceType: string;
  endpointInstanceType: string;
  endpointInstanceCount: number;
  bakeSeconds: number;
  terminationWaitSeconds: number;
  rawInfrequentAccessDays: number;
  /** The hot path's page shards and history shards (params contextShards, contextHistoryShards). */
  contextShards: number;
  contextHistoryShards: number;
  /** Memory (MB) of each Lambda function, by its serverless.yml key. */
  lambdaMemoryMb: Record<string, number>;
}

/**
 * S3 requests of the hot path (functions/update-context, core/context-shards.ts), as the code
 * makes them; test/unit/deploy/cost/hot-path.test.ts runs the real update-context and rollup
 * against a counting store and checks these figures, so the model cannot drift from the code.
 * bench:context measured the same at 10k devices, 1-minute deliveries, 32/1024 shards:
 * 33 GET + 32 PUT per delivery.
 */
export interface HotPathRequests {
  /** One delivery: the raw object's GET, then a GET and a compare-and-swap PUT per page shard. */
  perDelivery: { get: number; put: number };
  /**
   * One shard's hourly rollup: its summary (read twice), its history shards, the LIST of its
   * pages, the page that stopped being live; a PUT per history shard and one for the summary.
   */
  perShardHour: { get: number; put: number; list: number };
  /**
   * Once per shard per hour and warm instance: update-context reads the summary of a shard it
   * touched but did not start the hour of, to advance any shard an earlier budget left behind.
   */
  perShardHourCheck: { get: number };
  /**
   * A forecast: the device's history shard and its shard's live hours from the history's end
   * (averaged over the hour: LIVE_HOURS_READ).
   */
  perForecast: { get: number };
  /** GET /status or /devices: every shard's fleet summary and its live hours. */
  perDashboard: { get: number };
}

/**
 * Live-hour pages the context reader (functions/common/context-reader.ts) reads past a history,
 * on average over an hour in steady state: the previous hour (folded into history only when the
 * next hour starts, so live all hour), the current one, and the next one only for the part of
 * the hour a reading stamped ahead (at most MAX_CLOCK_SKEW_MS, core/telemetry.ts) can be in it.
 */
export const LIVE_HOURS_READ = 2 + MAX_CLOCK_SKEW_MS / HOUR_MS;
/** History shards rollup.ts folds at once (its CONCURRENCY). */
const ROLLUP_CONCURRENCY = 8;

/** Expected page shards a delivery touches when it holds `devices` devices (hash-spread). */
export const shardsTouched = (shards: number, devices: number): number =>
  devices <= 0 ? 0 : shards * (1 - (1 - 1 / shards) ** devices);

export const hotPathRequests = (
  layout: { shards: number; historyShards: number },
  devicesPerDelivery: number,
): HotPathRequests => {
  const touched = shardsTouched(layout.shards, devicesPerDelivery);
  const historyPerShard = layout.historyShards / layout.shards;
  return {
    perDelivery: { get: 1 + touched, put: touched },
    // The folded page is read by each concurrent fold that misses rollup.ts's page cache.
    perShardHour: {
      get: 2 + historyPerShard + Math.min(historyPerShard, ROLLUP_CONCURRENCY),
      put: 1 + historyPerShard,
      list: 1,
    },
    perShardHourCheck: { get: 1 },
    perForecast: { get: 1 + LIVE_HOURS_READ },
    perDashboard: { get: layout.shards * (1 + LIVE_HOURS_READ) },
  };
};

export interface FleetInputs {
  devices: number;
  readingMinutes: number;
  /** Bytes of one reading as the device publishes it (JSON). */
  readingBytes: number;
  /** Bytes the rule adds to each record, once per message (receivedAt, topic). */
  ruleAddedBytes: number;
  /**
   * raw/ bytes stored per NDJSON byte delivered: Firehose writes raw/ gzip. Measured by gzipping
   * a sample built with the agent's payload code (local/raw-sample.ts); 1 = uncompressed.
   */
  rawGzipRatio: number;
  /** Topic length, metered with the payload. */
  topicBytes: number;
  /** Readings per MQTT message (1 = the telemetry contract today; more changes it). */
  readingsPerMessage: number;
  /**
   * Publish to $aws/rules/<rule>/… (Basic Ingest): no messaging charge; the telemetry rule is
   * still invoked, and billed, once per message.
   */
  basicIngest: boolean;
  /** Share of the month a device is connected. */
  connectedShare: number;
  /** GET /forecast calls per device per day (each reads the device's context). */
  forecastsPerDevicePerDay: number;
  /** GET /status and GET /devices calls per day (dashboards). */
  dashboardRequestsPerDay: number;
  /** Months of raw and curated data kept in the lake (storage is billed on what is held). */
  monthsRetained: number;
}

/** Figures the template does not hold, each an explicit, printed assumption. */
export interface Assumptions {
  updateContextBaseMs: number;
  /** Per page shard written (a GET, a merge, a PUT). */
  updateContextMsPerShard: number;
  /** Per shard rolled up, in the invocations that do it. */
  rollupMsPerShard: number;
  apiLambdaMs: number;
  stepLambdaSeconds: Record<
    'prepare-deepar' | 'check-drift' | 'evaluate' | 'record-run' | 'score-ab',
    number
  >;
  /** ETL minutes per run: startup plus this per GB of raw input. */
  etlStartupMinutes: number;
  etlMinutesPerGb: number;
  /** Crawler DPUs × its 10-minute minimum. */
  crawlerDpus: number;
  crawlerMinutes: number;
  trainingHoursPerRun: number;
  /** Minutes a blue/green deployment runs two fleets, beyond the bakes and termination wait. */
  deployProvisionMinutes: number;
  /** Curated Parquet bytes per raw (uncompressed NDJSON) byte. */
  curatedRatio: number;
  /** CloudWatch Logs bytes per Lambda invocation (START/END/REPORT lines). */
  logBytesPerInvocation: number;
  glueLogMbPerRun: number;
}

export const DEFAULT_ASSUMPTIONS: Assumptions = {
  updateContextBaseMs: 150,
  updateContextMsPerShard: 25,
  rollupMsPerShard: 400,
  apiLambdaMs: 60,
  stepLambdaSeconds: {
    'prepare-deepar': 60,
    'check-drift': 30,
    evaluate: 2,
    'record-run': 2,
    'score-ab': 5,
  },
  etlStartupMinutes: 1.5,
  etlMinutesPerGb: 2,
  crawlerDpus: 2,
  crawlerMinutes: 10,
  trainingHoursPerRun: 0.5,
  deployProvisionMinutes: 10,
  curatedRatio: 0.1,
  logBytesPerInvocation: 350,
  glueLogMbPerRun: 1,
};

/** States an execution passes through, by outcome (validated against the ASL in the tests). */
export const SKIPPED_RUN_PATH = [
  'Configure',
  'RunEtl',
  'PrepareDeepAr',
  'ScoreABTest',
  'ABTestActive?',
  'CheckDrift',
  'LeftoverCanary?',
  'TrainOrSkip',
  'RecordSkipped',
  'Skipped',
];
export const PROMOTED_RUN_PATH_BEFORE_WAIT = [
  'Configure',
  'RunEtl',
  'PrepareDeepAr',
  'ScoreABTest',
  'ABTestActive?',
  'CheckDrift',
  'LeftoverCanary?',
  'TrainOrSkip',
  'Algorithm?',
  'Train',
  'Evaluate',
  'PromoteOrReject',
  'ServeInProcess?',
  'CreateModel',
  'ABStart?',
  'CreateEndpointConfig',
  'TargetNew',
  'FindEndpoint',
  'EndpointFailedBefore?',
  'ChooseStrategy',
  'UpdateEndpointCanary',
];
/** One poll of the endpoint wait loop (60 s Wait). */
export const ENDPOINT_POLL = [
  'WaitForEndpoint',
  'CountEndpointPoll',
  'DescribeEndpoint',
  'EndpointReady?',
];
export const PROMOTED_RUN_PATH_AFTER_WAIT = ['WhatWasDeployed?', 'RecordPromoted', 'Promoted'];
const POLL_SECONDS = 60;

export interface Line {
  service: string;
  item: string;
  quantity: number;
  unit: string;
  usd: number;
  /** Billed whatever the fleet size (the endpoint). */
  fixed?: boolean;
  /** Serving the API (forecasts, dashboards): grows with calls, not with readings. */
  serving?: boolean;
}

export interface CostReport {
  stage: string;
  devices: number;
  readingMinutes: number;
  hotPath: string;
  lines: Line[];
  byService: Record<string, number>;
  totalUsd: number;
  fixedUsd: number;
  /** (total − fixed) / devices: what a device-month costs, the endpoint excluded. */
  perDeviceMonthUsd: number;
  /** (total − total with no devices) / devices: what one more device adds per month. */
  marginalPerDeviceMonthUsd: number;
  /** The marginal device-month without serving: ingest, lake, hot path, retraining. */
  marginalPipelinePerDeviceMonthUsd: number;
  /** Serving's share per device-month, at forecastsPerDevicePerDay. */
  servingPerDeviceMonthUsd: number;
  counts: Record<string, number>;
}

const servingUsd = (lines: readonly Line[]) =>
  lines.filter((l) => l.serving).reduce((sum, l) => sum + l.usd, 0);
const perMillion = (n: number, usd: number) => (n / 1e6) * usd;
const perThousand = (n: number, usd: number) => (n / 1e3) * usd;
const units5kb = (bytes: number) => Math.max(1, Math.ceil(bytes / KB5));

/** Transitions of an execution that deploys: the path, plus the wait loop's polls. */
export const promotedRunTransitions = (stage: StageInputs, a: Assumptions): number => {
  const deploySeconds =
    2 * stage.bakeSeconds + stage.terminationWaitSeconds + a.deployProvisionMinutes * 60;
  const polls = Math.ceil(deploySeconds / POLL_SECONDS);
  return (
    PROMOTED_RUN_PATH_BEFORE_WAIT.length +
    polls * ENDPOINT_POLL.length +
    PROMOTED_RUN_PATH_AFTER_WAIT.length
  );
};

export const monthlyCost = (
  fleet: FleetInputs,
  stage: StageInputs,
  prices: PriceTable,
  a: Assumptions = DEFAULT_ASSUMPTIONS,
): CostReport => {
  if (!(fleet.devices >= 0)) throw new RangeError('devices must be ≥ 0');
  if (!(fleet.readingMinutes > 0)) throw new RangeError('readingMinutes must be > 0');
  if (!(fleet.readingsPerMessage >= 1)) throw new RangeError('readingsPerMessage must be ≥ 1');
  const lines: Line[] = [];
  const add = (line: Line) => lines.push(line);
  const memGb = (fn: string) => {
    const mb = stage.lambdaMemoryMb[fn];
    if (mb === undefined) throw new Error(`no memorySize for function ${fn} in serverless.yml`);
    return mb / 1024;
  };
  const lambda = (fn: string, invocations: number, secondsEach: number) => {
    const gbSeconds = invocations * secondsEach * memGb(fn);
    add({
      service: 'Lambda',
      item: `${fn} duration`,
      quantity: gbSeconds,
      unit: 'GB-s',
      usd: gbSeconds * prices.lambdaArmGbSecond.usd,
    });
    add({
      service: 'Lambda',
      item: `${fn} requests`,
      quantity: invocations,
      unit: 'requests',
      usd: perMillion(invocations, prices.lambdaRequests.usd),
    });
    return invocations;
  };

  // ---- ingest: IoT Core → Firehose
  const N = fleet.devices;
  const readingsPerDevice = MINUTES_PER_MONTH / fleet.readingMinutes;
  const readings = N * readingsPerDevice;
  const messages = readings / fleet.readingsPerMessage;
  const messageBytes = fleet.readingsPerMessage * fleet.readingBytes + fleet.topicBytes;
  const meteredMessages = messages * units5kb(messageBytes);
  add({
    service: 'IoT Core',
    item: fleet.basicIngest ? 'messaging (Basic Ingest: not metered)' : 'messaging',
    quantity: fleet.basicIngest ? 0 : meteredMessages,
    unit: '5 KB messages',
    usd: fleet.basicIngest ? 0 : perMillion(meteredMessages, prices.iotMessages.usd),
  });
  const connectionMinutes = N * MINUTES_PER_MONTH * fleet.connectedShare;
  add({
    service: 'IoT Core',
    item: 'connectivity',
    quantity: connectionMinutes,
    unit: 'connection-minutes',
    usd: perMillion(connectionMinutes, prices.iotConnectivity.usd),
  });
  // One rule selects from the telemetry topic (telemetry → Firehose), and Basic Ingest invokes
  // it alone: one evaluation per message either way.
  const rulesTriggered = messages * units5kb(messageBytes);
  add({
    service: 'IoT Core',
    item: 'rules triggered (telemetry rule)',
    quantity: rulesTriggered,
    unit: '5 KB rule evaluations',
    usd: perMillion(rulesTriggered, prices.iotRulesTriggered.usd),
  });
  // The rule adds receivedAt and topic to the message's top level: once per record.
  const recordBytes = fleet.readingsPerMessage * fleet.readingBytes + fleet.ruleAddedBytes + 1;
  const actions = messages * units5kb(recordBytes);
  add({
    service: 'IoT Core',
    item: 'actions (Firehose)',
    quantity: actions,
    unit: '5 KB actions',
    usd: perMillion(actions, prices.iotActions.usd),
  });
  const firehoseBilledGb = (messages * units5kb(recordBytes) * KB5) / GB;
  add({
    service: 'Firehose',
    item: 'ingestion (5 KB per record)',
    quantity: firehoseBilledGb,
    unit: 'GB',
    usd: firehoseBilledGb * prices.firehoseIngestGb.usd,
  });

  // ---- raw objects: one per buffer interval with data, more when the size hint fills first
  const rawBytes = messages * recordBytes;
  const intervals = (MINUTES_PER_MONTH * 60) / stage.firehoseBufferSeconds;
  const bytesPerInterval = rawBytes / intervals;
  const bufferBytes = stage.firehoseBufferMiB * 1024 * 1024;
  const rawObjects =
    N === 0 ? 0 : intervals * Math.max(1, Math.ceil(bytesPerInterval / bufferBytes));
  // A device appears in every object that holds one of its messages.
  const appearances = N * Math.min(readingsPerDevice / fleet.readingsPerMessage, rawObjects);
  const devicesPerObject = rawObjects === 0 ? 0 : appearances / rawObjects;
  add({
    service: 'S3',
    item: 'Firehose PUTs (raw objects)',
    quantity: rawObjects,
    unit: 'PUT',
    usd: perThousand(rawObjects, prices.s3PutRequests.usd),
  });

  // ---- hot path (update-context): one invocation per raw object, one rollup per shard-hour
  const hot = hotPathRequests(
    { shards: stage.contextShards, historyShards: stage.contextHistoryShards },
    devicesPerObject,
  );
  const shardHours = N === 0 ? 0 : stage.contextShards * HOURS_PER_MONTH;
  const hotGets =
    rawObjects * hot.perDelivery.get +
    shardHours * (hot.perShardHour.get + hot.perShardHourCheck.get);
  const hotPuts =
    rawObjects * hot.perDelivery.put + shardHours * (hot.perShardHour.put + hot.perShardHour.list);
  add({
    service: 'S3',
    item: `hot path GETs (${stage.contextShards} page shards, hourly rollup)`,
    quantity: hotGets,
    unit: 'GET',
    usd: perThousand(hotGets, prices.s3GetRequests.usd),
  });
  add({
    service: 'S3',
    item: 'hot path PUTs and LISTs',
    quantity: hotPuts,
    unit: 'PUT/LIST',
    usd: perThousand(hotPuts, prices.s3PutRequests.usd),
  });
  const hotRequests = hotGets + hotPuts;
  const contextInvocations = lambda(
    'update-context',
    rawObjects,
    rawObjects === 0
      ? 0
      : (a.updateContextBaseMs +
          a.updateContextMsPerShard * hot.perDelivery.put +
          (a.rollupMsPerShard * shardHours) / rawObjects) /
          1000,
  );

  // ---- retraining: ETL (Glue), the steps (Lambda), Step Functions, SageMaker
  const runs = stage.retrainRunsPerMonth;
  const trainRuns = Math.min(runs, HOURS_PER_MONTH / stage.maxModelAgeHours);
  const skippedRuns = runs - trainRuns;
  const rawGbPerRun = runs === 0 ? 0 : rawBytes / GB / runs;
  const etlMinutes = Math.max(1, a.etlStartupMinutes + a.etlMinutesPerGb * rawGbPerRun);
  const dpuHours = runs * stage.glueDpus * (etlMinutes / 60);
  add({
    service: 'Glue',
    item: 'ETL job',
    quantity: dpuHours,
    unit: 'DPU-hours',
    usd: dpuHours * prices.glueDpuHour.usd,
  });
  const crawlerDpuHours = stage.crawlerRunsPerMonth * a.crawlerDpus * (a.crawlerMinutes / 60);
  add({
    service: 'Glue',
    item: 'crawler',
    quantity: crawlerDpuHours,
    unit: 'DPU-hours',
    usd: crawlerDpuHours * prices.glueCrawlerDpuHour.usd,
  });
  // ETL reads each new raw object once, lists the hour folders; writes a Parquet file per day
  // touched; prepare-deepar and check-drift (up to 3 profiles) read the history window.
  const rawHourFolders = N === 0 ? 0 : HOURS_PER_MONTH;
  const curatedFilesInWindow = stage.historyDays; // one per dt partition per run, compacted
  const etlGets = rawObjects;
  const etlLists = rawHourFolders + runs * Math.ceil(rawObjects / runs / 1000 || 0);
  const etlPuts = runs * 2; // the day's Parquet file and the checkpoint
  const windowReads = runs * curatedFilesInWindow * 4;
  add({
    service: 'S3',
    item: 'ETL reads, history-window reads (GET)',
    quantity: etlGets + windowReads,
    unit: 'GET',
    usd: perThousand(etlGets + windowReads, prices.s3GetRequests.usd),
  });
  add({
    service: 'S3',
    item: 'ETL listings and writes (LIST, PUT)',
    quantity: etlLists + etlPuts,
    unit: 'LIST/PUT',
    usd: perThousand(etlLists + etlPuts, prices.s3PutRequests.usd),
  });
  let stepInvocations = 0;
  for (const [fn, seconds] of Object.entries(a.stepLambdaSeconds)) {
    const calls = fn === 'evaluate' ? trainRuns : runs;
    // Step input scales with the fleet: the history window read by prepare-deepar/check-drift.
    const scale = fn === 'prepare-deepar' || fn === 'check-drift' ? Math.max(1, N / 1000) : 1;
    stepInvocations += lambda(fn, calls, seconds * scale);
  }
  const transitions =
    skippedRuns * SKIPPED_RUN_PATH.length + trainRuns * promotedRunTransitions(stage, a);
  add({
    service: 'Step Functions',
    item: `state transitions (${runs.toFixed(1)} runs, ${trainRuns.toFixed(1)} train)`,
    quantity: transitions,
    unit: 'transitions',
    usd: perThousand(transitions, prices.stepFunctionsTransitions.usd),
  });
  const trainingHours = trainRuns * a.trainingHoursPerRun;
  add({
    service: 'SageMaker',
    item: `training (${stage.trainingInstanceType})`,
    quantity: trainingHours,
    unit: 'instance-hours',
    usd: trainingHours * trainingInstancePrice(prices, stage.trainingInstanceType).usd,
  });
  const hosting = hostingInstancePrice(prices, stage.endpointInstanceType).usd;
  const endpointHours = stage.endpointInstanceCount * HOURS_PER_MONTH;
  add({
    service: 'SageMaker',
    item: `endpoint (${stage.endpointInstanceCount} × ${stage.endpointInstanceType})`,
    quantity: endpointHours,
    unit: 'instance-hours',
    usd: endpointHours * hosting,
    fixed: true,
  });
  const overlapHours =
    trainRuns *
    stage.endpointInstanceCount *
    ((2 * stage.bakeSeconds + stage.terminationWaitSeconds) / 3600 + a.deployProvisionMinutes / 60);
  add({
    service: 'SageMaker',
    item: 'blue/green overlap (second fleet while deploying)',
    quantity: overlapHours,
    unit: 'instance-hours',
    usd: overlapHours * hosting,
  });

  // ---- API: forecasts read the device's context; dashboards list the fleet
  const forecasts = N * fleet.forecastsPerDevicePerDay * (HOURS_PER_MONTH / 24);
  const dashboards = fleet.dashboardRequestsPerDay * (HOURS_PER_MONTH / 24);
  const apiRequests = forecasts + dashboards;
  add({
    service: 'API Gateway',
    item: 'REST requests',
    quantity: apiRequests,
    unit: 'requests',
    usd: perMillion(apiRequests, prices.apiGatewayRestRequests.usd),
    serving: true,
  });
  const servingFrom = lines.length;
  const apiInvocations = lambda('forecast', forecasts, a.apiLambdaMs / 1000);
  const dashboardInvocations = lambda('status', dashboards, a.apiLambdaMs / 1000);
  for (const l of lines.slice(servingFrom)) l.serving = true;
  const apiGets =
    forecasts * hot.perForecast.get + (N === 0 ? 0 : dashboards * hot.perDashboard.get);
  add({
    service: 'S3',
    item: 'API reads (history + live pages per forecast, shard summaries per dashboard call)',
    quantity: apiGets,
    unit: 'GET',
    usd: perThousand(apiGets, prices.s3GetRequests.usd),
    serving: true,
  });

  // ---- storage: raw (gzip; Standard, then IA after the lifecycle transition) and curated
  // Parquet (its size follows the readings, so the uncompressed bytes)
  const rawGbMonth = (rawBytes * fleet.rawGzipRatio) / GB;
  const readingGbMonth = rawBytes / GB;
  const months = fleet.monthsRetained;
  const standardMonths = Math.min(months, stage.rawInfrequentAccessDays / 30);
  const iaMonths = Math.max(0, months - standardMonths);
  add({
    service: 'S3',
    item: `storage raw/ (gzip, ${months} months held)`,
    quantity: rawGbMonth * months,
    unit: 'GB-month',
    usd:
      rawGbMonth * standardMonths * prices.s3StandardGbMonth.usd +
      rawGbMonth * iaMonths * prices.s3InfrequentGbMonth.usd,
  });
  add({
    service: 'S3',
    item: `storage curated/ (${months} months held)`,
    quantity: readingGbMonth * months * a.curatedRatio,
    unit: 'GB-month',
    usd: readingGbMonth * months * a.curatedRatio * prices.s3StandardGbMonth.usd,
  });

  // ---- CloudWatch Logs: the Lambda platform lines and the Glue job's logs
  const invocations = contextInvocations + stepInvocations + apiInvocations + dashboardInvocations;
  const logGb = (invocations * a.logBytesPerInvocation + runs * a.glueLogMbPerRun * 1024 ** 2) / GB;
  add({
    service: 'CloudWatch Logs',
    item: 'ingestion',
    quantity: logGb,
    unit: 'GB',
    usd: logGb * prices.cloudwatchLogsIngestGb.usd,
  });

  const byService: Record<string, number> = {};
  for (const line of lines) byService[line.service] = (byService[line.service] ?? 0) + line.usd;
  const totalUsd = lines.reduce((sum, l) => sum + l.usd, 0);
  const fixedUsd = lines.filter((l) => l.fixed).reduce((sum, l) => sum + l.usd, 0);
  return {
    stage: stage.stage,
    devices: N,
    readingMinutes: fleet.readingMinutes,
    hotPath: `sharded (${stage.contextShards} page shards, ${stage.contextHistoryShards} history shards)`,
    lines,
    byService,
    totalUsd,
    fixedUsd,
    perDeviceMonthUsd: N === 0 ? 0 : (totalUsd - fixedUsd) / N,
    servingPerDeviceMonthUsd: N === 0 ? 0 : servingUsd(lines) / N,
    marginalPipelinePerDeviceMonthUsd:
      N === 0
        ? 0
        : (totalUsd -
            servingUsd(lines) -
            (monthlyCost({ ...fleet, devices: 0 }, stage, prices, a).totalUsd -
              servingUsd(monthlyCost({ ...fleet, devices: 0 }, stage, prices, a).lines))) /
          N,
    marginalPerDeviceMonthUsd:
      N === 0
        ? 0
        : (totalUsd - monthlyCost({ ...fleet, devices: 0 }, stage, prices, a).totalUsd) / N,
    counts: {
      readings,
      messages,
      rawObjects,
      devicesPerObject,
      hotPathRequests: hotRequests,
      retrainRuns: runs,
      trainRuns,
      apiRequests,
      forecastsPerDevicePerDay: fleet.forecastsPerDevicePerDay,
    },
  };
};
