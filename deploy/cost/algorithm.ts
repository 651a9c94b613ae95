// The monthly bill per algorithm (serverless.yml param `algorithm`): the DeepAR bill of
// model.ts, with SageMaker's lines taken out (smogcast) or kept (both), the train-engine
// Lambda, the engine's compute inside the forecast Lambda and the engine path's state
// transitions added. Kept apart from model.ts: the DeepAR bill is the base it adjusts.
import type { AlgorithmChoice } from '../../core/engine-artifact.js';
import {
  type Assumptions,
  type CostReport,
  DEFAULT_ASSUMPTIONS,
  type FleetInputs,
  type Line,
  monthlyCost,
  SKIPPED_RUN_PATH,
  type StageInputs,
} from './model.js';
import type { PriceTable } from './prices.js';

/** Figures of the engine path the template does not hold, printed as assumptions. */
export interface EngineAssumptions {
  /** Seconds one train-engine invocation runs (bounded: a sample of at most 6,000 series). */
  engineTrainingSeconds: number;
  /** Milliseconds the engine's predict adds to a forecast invocation (in place of the endpoint call). */
  engineForecastMs: number;
  /** Seconds one check-canary invocation runs (one alarm verdict, one fleet-day scores read). */
  checkCanarySeconds: number;
}

export const DEFAULT_ENGINE_ASSUMPTIONS: EngineAssumptions = {
  engineTrainingSeconds: 300,
  engineForecastMs: 30,
  checkCanarySeconds: 0.2,
};

/** The states up to the engine's promotion, shared by every engine run that deploys. */
const ENGINE_TRAINED_PATH = [
  ...SKIPPED_RUN_PATH.slice(0, SKIPPED_RUN_PATH.indexOf('TrainOrSkip') + 1),
  'Algorithm?',
  'TrainEngine',
  'Evaluate',
  'PromoteOrReject',
  'ServeInProcess?',
  'EngineCanary?',
];

/**
 * States a run passes that trains the engine and switches the pointer at once (no engine
 * champion yet, or a strategy other than canary). Validated against the ASL.
 */
export const ENGINE_PROMOTED_RUN_PATH = [
  ...ENGINE_TRAINED_PATH,
  'PointerOfEngine',
  'RecordEnginePromoted',
  'EndpointReplaced?',
  'Promoted',
];

/** One poll of an engine canary's bake that finds it still baking (then waits again). */
export const ENGINE_CANARY_POLL = [
  'BakeEngineCanary',
  'CountCanaryPoll',
  'DescribeCanaryAlarms',
  'CheckCanary',
  'CanaryVerdict?',
  'CanaryWaitTimedOut?',
];

/**
 * States a run passes that trains the engine and bakes it as a canary beside an engine
 * champion (the default strategy): one poll a minute until the bake is over, then promoted.
 */
export const engineCanaryRunPath = (bakeSeconds: number): string[] => {
  const polls = Math.max(1, Math.ceil(bakeSeconds / 60));
  return [
    ...ENGINE_TRAINED_PATH,
    'BackUpServingPointer',
    'PointerForCanary',
    'RecordEngineCanary',
    ...Array.from({ length: polls - 1 }, () => ENGINE_CANARY_POLL).flat(),
    ...ENGINE_CANARY_POLL.slice(0, -1),
    'RecordCanaryPromoted',
    'Promoted',
  ];
};

/** States `both` adds to a DeepAR run: the Parallel, its engine branch, the pick, the hand-over. */
export const BOTH_EXTRA_STATES = [
  'TrainBoth',
  'TrainEngineCandidate',
  'EvaluateCandidates',
  'TakeWinner',
];

const isSageMaker = (l: Line) => l.service === 'SageMaker';

const totals = (
  lines: Line[],
): Pick<CostReport, 'byService' | 'totalUsd' | 'fixedUsd'> & { servingUsd: number } => {
  const byService: Record<string, number> = {};
  for (const line of lines) byService[line.service] = (byService[line.service] ?? 0) + line.usd;
  return {
    byService,
    totalUsd: lines.reduce((sum, l) => sum + l.usd, 0),
    fixedUsd: lines.filter((l) => l.fixed).reduce((sum, l) => sum + l.usd, 0),
    servingUsd: lines.filter((l) => l.serving).reduce((sum, l) => sum + l.usd, 0),
  };
};

export const monthlyCostFor = (
  algorithm: AlgorithmChoice,
  fleet: FleetInputs,
  stage: StageInputs,
  prices: PriceTable,
  a: Assumptions = DEFAULT_ASSUMPTIONS,
  e: EngineAssumptions = DEFAULT_ENGINE_ASSUMPTIONS,
): CostReport => {
  const base = monthlyCost(fleet, stage, prices, a);
  if (algorithm === 'deepar') return base;
  const memGb = (fn: string) => {
    const mb = stage.lambdaMemoryMb[fn];
    if (mb === undefined) throw new Error(`no memorySize for function ${fn} in serverless.yml`);
    return mb / 1024;
  };
  const lambdaLines = (fn: string, invocations: number, seconds: number, serving?: boolean) => {
    const gbSeconds = invocations * seconds * memGb(fn);
    return [
      {
        service: 'Lambda',
        item: `${fn} duration`,
        quantity: gbSeconds,
        unit: 'GB-s',
        usd: gbSeconds * prices.lambdaArmGbSecond.usd,
        ...(serving ? { serving } : {}),
      },
      {
        service: 'Lambda',
        item: `${fn} requests`,
        quantity: invocations,
        unit: 'requests',
        usd: (invocations / 1e6) * prices.lambdaRequests.usd,
        ...(serving ? { serving } : {}),
      },
    ];
  };
  const runs = base.counts.retrainRuns ?? 0;
  const trainRuns = base.counts.trainRuns ?? 0;
  const skippedRuns = runs - trainRuns;
  const forecasts = fleet.devices * fleet.forecastsPerDevicePerDay * (730 / 24);
  const lines: Line[] = base.lines.filter(
    (l) => !(algorithm === 'smogcast' && isSageMaker(l)) && l.service !== 'Step Functions',
  );
  const transitions =
    algorithm === 'smogcast'
      ? skippedRuns * SKIPPED_RUN_PATH.length +
        trainRuns * engineCanaryRunPath(stage.bakeSeconds).length
      : (base.lines.find((l) => l.service === 'Step Functions')?.quantity ?? 0) +
        trainRuns * BOTH_EXTRA_STATES.length;
  lines.push(
    {
      service: 'Step Functions',
      item: `state transitions (${runs.toFixed(1)} runs, ${trainRuns.toFixed(1)} train, ${algorithm})`,
      quantity: transitions,
      unit: 'transitions',
      usd: (transitions / 1e3) * prices.stepFunctionsTransitions.usd,
    },
    ...lambdaLines('train-engine', trainRuns, e.engineTrainingSeconds),
  );
  // smogcast: each promotion bakes as a canary, check-canary deciding once a minute.
  if (algorithm === 'smogcast') {
    const polls = Math.max(1, Math.ceil(stage.bakeSeconds / 60));
    lines.push(...lambdaLines('check-canary', trainRuns * polls, e.checkCanarySeconds));
  }
  // smogcast: the forecast Lambda predicts itself; both: it does whenever the engine won.
  if (algorithm === 'smogcast') {
    lines.push(
      ...lambdaLines('forecast', forecasts, e.engineForecastMs / 1000, true)
        .slice(0, 1)
        .map((l) => ({
          ...l,
          item: 'forecast duration, the engine in process',
        })),
    );
  }
  const t = totals(lines);
  const N = fleet.devices;
  const empty =
    N === 0 ? undefined : monthlyCostFor(algorithm, { ...fleet, devices: 0 }, stage, prices, a, e);
  const emptyTotals = empty ? totals(empty.lines) : undefined;
  return {
    ...base,
    lines,
    byService: t.byService,
    totalUsd: t.totalUsd,
    fixedUsd: t.fixedUsd,
    perDeviceMonthUsd: N === 0 ? 0 : (t.totalUsd - t.fixedUsd) / N,
    servingPerDeviceMonthUsd: N === 0 ? 0 : t.servingUsd / N,
    marginalPerDeviceMonthUsd:
      N === 0 || !emptyTotals ? 0 : (t.totalUsd - emptyTotals.totalUsd) / N,
    marginalPipelinePerDeviceMonthUsd:
      N === 0 || !emptyTotals
        ? 0
        : (t.totalUsd - t.servingUsd - (emptyTotals.totalUsd - emptyTotals.servingUsd)) / N,
  };
};
