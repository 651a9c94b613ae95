// What the model views draw, normalised from the API: GET /accuracy, /runs and /models (the
// accuracy and history endpoints) when the backend has them, else what GET /status already
// carries (recent runs with their drift report, the registry). Lenient like the status page's
// readers: a field the API does not send yet leaves that view empty, it never breaks the page.
// Pure: JSON in, view data out.

export interface HourBand {
  t: number;
  actual: number | null;
  p10: number | null;
  p50: number | null;
  p90: number | null;
  version: string | null;
}

export interface DailyAccuracy {
  version: string;
  /** The endpoint variant that served (an A/B test serves a version as champion too). */
  variant: string | null;
  /** The line it belongs to: the version, and its variant when the version served as several. */
  series: string;
  t: number;
  wql: number | null;
  coverage80: number | null;
}

export interface PsiRun {
  runId: string;
  t: number;
  psi: Record<string, number>;
  threshold: number;
}

export type RegistryKind =
  | 'trained'
  | 'promoted'
  | 'rejected'
  | 'rolled-back'
  | 'ab-testing'
  | 'failed';

export interface RegistryEvent {
  t: number;
  version: string;
  kind: RegistryKind;
  reason: string;
}

export interface AbRound {
  label: string;
  t: number;
  weights: Record<string, number>;
}

export interface RunTimeline {
  runId: string;
  outcome: string;
  states: Array<{ name: string; start: number; end: number | null }>;
  /** True when the API gave per-state times; false when only the run's start and end are known. */
  perState: boolean;
  /** The run's own duration (finishedAt − startedAt, or durationSeconds); null while running. */
  durationMs: number | null;
}

/** check-drift's default PSI policy, for reports that do not carry their threshold. */
export const DEFAULT_PSI_THRESHOLD = 0.2;

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);
const time = (...vs: unknown[]): number | null => {
  for (const v of vs) {
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    if (typeof v === 'string') {
      const t = Date.parse(v);
      if (Number.isFinite(t)) return t;
    }
  }
  return null;
};
const first = (o: Json, ...names: string[]): unknown => {
  for (const n of names) if (o[n] !== undefined) return o[n];
  return undefined;
};
/** A quantile by any of its usual spellings: p10, q10, "0.1", quantiles["0.1"]. */
const quantile = (o: Json, q: number): number | null => {
  const pct = Math.round(q * 100);
  const inner = obj(o.quantiles) ?? {};
  return num(
    first(o, `p${pct}`, `q${pct}`, String(q)) ?? first(inner, String(q), `p${pct}`, `q${pct}`),
  );
};

/** GET /accuracy?deviceId=&metric=&days=: the hours with the band forecast for them and what came. */
export const deviceBands = (body: unknown): HourBand[] => {
  const o = obj(body) ?? {};
  const served = arr(o.served);
  if (served.length > 0) return servedBands(served);
  const rows = arr(first(o, 'hours', 'points', 'series', 'forecasts'));
  return rows
    .flatMap((r) => {
      const row = obj(r);
      const t = row && time(first(row, 'hour', 't', 'at', 'target', 'start'));
      if (!row || t === null || t === undefined) return [];
      return [
        {
          t,
          actual: num(first(row, 'actual', 'realised', 'realized', 'observed', 'value')),
          p10: quantile(row, 0.1),
          p50: quantile(row, 0.5),
          p90: quantile(row, 0.9),
          version: str(first(row, 'version', 'modelVersion')),
        },
      ];
    })
    .sort((a, b) => a.t - b.t);
};

/**
 * core/accuracy.ts' `served[]`: forecasts as served (start + hourly p10/p50/p90/actual arrays),
 * oldest first. Each hour shows the band of the newest forecast that covered it.
 */
const servedBands = (served: unknown[]): HourBand[] => {
  const hours = new Map<number, HourBand>();
  for (const f of served) {
    const fo = obj(f);
    const start = fo && time(fo.start);
    if (!fo || start === null || start === undefined) continue;
    const [p10, p50, p90, actual] = ['p10', 'p50', 'p90', 'actual'].map((k) => arr(fo[k]));
    const length = Math.max(p10?.length ?? 0, p50?.length ?? 0, p90?.length ?? 0);
    for (let i = 0; i < length; i++) {
      const t = start + i * 3_600_000;
      hours.set(t, {
        t,
        actual: num(actual?.[i]) ?? hours.get(t)?.actual ?? null,
        p10: num(p10?.[i]),
        p50: num(p50?.[i]),
        p90: num(p90?.[i]),
        version: str(fo.version),
      });
    }
  }
  return [...hours.values()].sort((a, b) => a.t - b.t);
};

/** GET /accuracy (fleet-wide, or a device's `daily`): realised wQL and 80% coverage per version per day. */
export const dailyAccuracy = (body: unknown): DailyAccuracy[] => {
  const o = obj(body) ?? {};
  const direct = arr(first(o, 'daily', 'days'));
  // Also accepted: { versions: [{ version, daily: [...] }] }.
  const nested = arr(o.versions).flatMap((v) => {
    const vo = obj(v);
    return vo
      ? arr(first(vo, 'daily', 'days')).map((d) => ({ version: vo.version, ...obj(d) }))
      : [];
  });
  const rows = [...direct, ...nested].flatMap((r) => {
    const row = obj(r);
    const t = row && time(first(row, 'day', 'date', 't', 'at'));
    const version = row && str(first(row, 'version', 'modelVersion'));
    if (!row || t === null || t === undefined || !version) return [];
    const coverage = obj(row.coverage);
    return [
      {
        version,
        variant: str(row.variant),
        series: version,
        t,
        // core/accuracy.ts: `meanWql`, with `wql` the per-level scores.
        wql: num(row.meanWql) ?? num(first(row, 'wql', 'wQL')),
        coverage80: num(
          first(row, 'coverage80', 'coverage_80') ?? coverage?.['80'] ?? row.coverage,
        ),
      },
    ];
  });
  // A version that served under two variants (champion of an A/B test, then alone) is two lines:
  // the API scores each variant apart, and one line through both would jump within a day.
  const variants = new Map<string, Set<string | null>>();
  for (const r of rows)
    variants.set(r.version, (variants.get(r.version) ?? new Set()).add(r.variant));
  return rows.map((r) =>
    (variants.get(r.version)?.size ?? 0) > 1
      ? { ...r, series: `${r.version} · ${r.variant ?? '—'}` }
      : r,
  );
};

const runsOf = (body: unknown): Json[] =>
  arr(obj(body)?.runs).flatMap((r) => (obj(r) ? [obj(r) as Json] : []));

/** PSI per metric per run, oldest first, from /runs or /status (the drift report each run keeps). */
export const psiRuns = (body: unknown): PsiRun[] =>
  runsOf(body)
    .flatMap((run) => {
      const drift = obj(run.drift) ?? {};
      const psi = obj(first(run, 'psi') ?? drift.psi);
      const runId = str(run.runId);
      const t = time(run.startedAt, run.finishedAt);
      if (!psi || !runId || t === null) return [];
      const values = Object.fromEntries(
        Object.entries(psi).flatMap(([k, v]) => (num(v) === null ? [] : [[k, v as number]])),
      );
      if (Object.keys(values).length === 0) return [];
      const threshold =
        num(first(run, 'psiThreshold') ?? drift.psiThreshold ?? obj(drift.policy)?.psiThreshold) ??
        DEFAULT_PSI_THRESHOLD;
      return [{ runId, t, psi: values, threshold }];
    })
    .sort((a, b) => a.t - b.t);

const kindOf = (outcome: string): RegistryKind | null => {
  const o = outcome.toLowerCase();
  if (/roll/.test(o)) return 'rolled-back';
  if (/reject/.test(o)) return 'rejected';
  if (/promot|champion/.test(o)) return 'promoted';
  if (/ab|canary/.test(o)) return 'ab-testing';
  if (/fail/.test(o)) return 'failed';
  if (/train|creat/.test(o)) return 'trained';
  return null;
};

/**
 * The registry as events: /models' `events` as they come, else one `trained` event per entry
 * (createdAt) and one for its decision (outcome at decidedAt/deployedAt). Reasons from the entry,
 * else from the run that produced the version (/status keeps runs' reasons, not the registry's).
 */
export const registryEvents = (body: unknown): RegistryEvent[] => {
  const o = obj(body) ?? {};
  const reasons = new Map<string, string>();
  for (const run of runsOf(body)) {
    const v = str(run.version);
    const r = arr(run.reasons).map(String).join('; ') || str(run.cause);
    if (v && r) reasons.set(v, r);
  }
  const events: RegistryEvent[] = [];
  for (const e of arr(o.events)) {
    const eo = obj(e);
    const t = eo && time(first(eo, 'at', 't', 'time'));
    const version = eo && str(eo.version);
    const kind = eo && kindOf(String(first(eo, 'kind', 'type', 'event') ?? ''));
    if (eo && t !== null && t !== undefined && version && kind) {
      events.push({ t, version, kind, reason: str(eo.reason) ?? reasons.get(version) ?? '' });
    }
  }
  if (events.length === 0) {
    for (const e of arr(first(o, 'models', 'registry'))) {
      const eo = obj(e);
      const version = eo && str(eo.version);
      if (!eo || !version) continue;
      const reason = str(eo.reason) ?? reasons.get(version) ?? '';
      const created = time(eo.createdAt, eo.trainedAt);
      const decided = time(eo.decidedAt, eo.deployedAt, eo.promotedAt);
      const kind = kindOf(str(eo.outcome) ?? '');
      if (created !== null && created !== decided) {
        events.push({ t: created, version, kind: 'trained', reason: 'trained' });
      }
      if (decided !== null && kind) events.push({ t: decided, version, kind, reason });
      const rolled = time(eo.rolledBackAt);
      if (rolled !== null) events.push({ t: rolled, version, kind: 'rolled-back', reason });
    }
  }
  return events.sort((a, b) => a.t - b.t || a.version.localeCompare(b.version));
};

/** A/B weights per round: /runs' `ab` per run (champion and challenger weights), oldest first. */
export const abRounds = (body: unknown): AbRound[] => {
  const rounds: AbRound[] = [];
  for (const run of runsOf(body)) {
    const ab = obj(run.ab);
    const t = time(run.startedAt, run.finishedAt);
    if (!ab || t === null || ab.active === false) continue;
    const challenger = num(ab.challengerWeight);
    if (challenger === null) continue;
    const champion = num(ab.championWeight) ?? Math.max(0, 1 - challenger);
    const round = num(ab.round);
    rounds.push({
      label: round === null ? String(run.runId ?? '') : `round ${round}`,
      t,
      weights: { champion, challenger },
    });
  }
  return rounds.sort((a, b) => a.t - b.t);
};

/** Each run's states with their times (/runs), or the run as one span named by its last state. */
export const runTimelines = (body: unknown): RunTimeline[] =>
  runsOf(body).flatMap((run): RunTimeline[] => {
    const runId = str(run.runId);
    if (!runId) return [];
    const outcome = str(run.outcome) ?? str(run.status) ?? '—';
    const started = time(run.startedAt);
    const finished = time(run.finishedAt);
    const seconds = num(run.durationSeconds);
    const durationMs =
      started !== null && finished !== null
        ? finished - started
        : seconds === null
          ? null
          : seconds * 1000;
    const timed = arr(run.states).flatMap((s) => {
      const so = obj(s);
      const name = so && str(first(so, 'name', 'state'));
      const start = so && time(first(so, 'startedAt', 'enteredAt', 'start'));
      if (!so || !name || start === null || start === undefined) return [];
      const end = time(first(so, 'endedAt', 'finishedAt', 'exitedAt', 'end'));
      const seconds = num(so.seconds);
      const duration = num(so.durationMs) ?? (seconds === null ? null : seconds * 1000);
      return [{ name, start, end: end ?? (duration === null ? null : start + duration) }];
    });
    if (timed.length > 0) return [{ runId, outcome, states: timed, perState: true, durationMs }];
    const start = time(run.startedAt);
    if (start === null) return [];
    const names = arr(run.states).map(String);
    return [
      {
        runId,
        outcome,
        states: [
          { name: names.length ? names.join(' → ') : outcome, start, end: time(run.finishedAt) },
        ],
        perState: false,
        durationMs,
      },
    ];
  });
