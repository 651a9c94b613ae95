// The model registry as a text table: one row per trained version, newest first, the champion
// marked — what `npm run models` prints.
import { WQL_METRIC } from '../core/forecast-scores.js';
import { algorithmOf, type RegistryEntry } from '../core/model-card.js';

const num = (v: number | null | undefined, digits = 3) =>
  v === null || v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits);

export const registryTable = (
  entries: RegistryEntry[],
  championVersion: string | undefined,
): string => {
  const header = [
    '',
    'version',
    'outcome',
    'trained on',
    'wQL',
    'RMSE',
    'cov80',
    'champion wQL',
    'algorithm',
    'candidates wQL',
    'decided',
    'reason',
  ];
  const rows = [...entries]
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
    .map((e) => [
      e.version === championVersion ? '*' : '',
      e.version,
      e.outcome,
      e.dataWindow.start && e.dataWindow.end
        ? `${e.dataWindow.start.slice(0, 10)}..${e.dataWindow.end.slice(0, 10)}`
        : '-',
      num(e.metrics[WQL_METRIC]),
      num(e.metrics['test:RMSE'], 2),
      num(e.metrics['test:coverage80'], 2),
      num(e.evaluation?.championWql),
      algorithmOf(e),
      // With algorithm both: why this algorithm (each candidate on the same held-out window).
      (e.evaluation?.candidates ?? []).map((c) => `${c.algorithm} ${num(c.wql)}`).join(' / ') ||
        '-',
      e.decidedAt.slice(0, 19).replace('T', ' '),
      e.reason.length > 80 ? `${e.reason.slice(0, 77)}...` : e.reason,
    ]);
  if (rows.length === 0) return 'no model versions in the registry yet\n';
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return `${[line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')}\n* = champion (serving)\n`;
};
