// The smogcast dashboard: the fleet on a map and in a table, per device and metric a chart of
// recent history with the forecast mean and its quantile band, the champion model, drift,
// canary state and recent pipeline runs. Plain DOM + SVG, no framework, refreshes by itself.
// Every value from the API goes in through textContent/attributes, never innerHTML. The API's
// response types come from the modules that build them (type-only: no function code is bundled).
import { isMetric } from '../../core/metrics.js';
import type { DeviceHistory, DeviceSummary } from '../../functions/devices/devices.js';
import type { ForecastResponse as Forecast } from '../../functions/forecast/schema.js';
import type { Status } from '../../functions/status/status.js';
import { ApiError, createApiClient } from './api-client.js';
import { chartGeometry } from './chart.js';
import { projectFleet } from './fleet-map.js';

/** GET /status, plus figures a gateway may add (ingest counters, endpoint state) when it has them. */
type StatusView = Status & {
  records?: { received: number; stored: number; errors: number };
  endpoint?: {
    status: string;
    variants?: Array<{ name: string; currentWeight: number | null }>;
    pendingConfig?: string | null;
  };
};

const METRIC_NAMES: Record<string, string> = {
  pm25: 'PM2.5',
  pm10: 'PM10',
  o3: 'O₃',
  no2: 'NO₂',
  so2: 'SO₂',
  co: 'CO',
};
const SVG = 'http://www.w3.org/2000/svg';
const params = new URLSearchParams(location.search);
const REFRESH_MS = Math.max(2, Number(params.get('refresh')) || 15) * 1000;

// The key comes from the URL fragment (never sent to a server), or what was entered before.
const fragmentKey = new URLSearchParams(location.hash.slice(1)).get('key');
if (fragmentKey) {
  sessionStorage.setItem('smogcast-key', fragmentKey);
  history.replaceState(null, '', location.pathname + location.search);
}
const apiKey = () => sessionStorage.getItem('smogcast-key') ?? localStorage.getItem('smogcast-key');

const $ = <T extends Element>(selector: string) => {
  const el = document.querySelector<T>(selector);
  if (!el) throw new Error(`missing ${selector}`);
  return el;
};

const el = <K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: Array<Node | string>
) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
};

const svg = (tag: string, attrs: Record<string, string | number> = {}, text?: string) => {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
};

const ago = (iso: string | null | undefined): string => {
  if (!iso) return '—';
  const s = Math.round((Date.now() - Date.parse(iso)) / 1000);
  if (!Number.isFinite(s)) return '—';
  if (s < 90) return `${Math.max(0, s)} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  if (s < 172_800) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
};

const fmt = (v: number | undefined | null, digits = 1) =>
  v === undefined || v === null || !Number.isFinite(v) ? '—' : v.toFixed(digits);

const stamp = (iso: string | null | undefined) =>
  iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '—';

/** PM2.5-style colour bands (µg/m³); other metrics use their own scale relative to the fleet. */
const level = (value: number | undefined): string => {
  if (value === undefined) return 'level-none';
  if (value <= 35) return 'level-good';
  if (value <= 75) return 'level-moderate';
  if (value <= 150) return 'level-unhealthy';
  return 'level-hazardous';
};

const api = createApiClient(
  (document.querySelector('meta[name="smogcast-api"]')?.getAttribute('content') ?? '').replace(
    /\/$/,
    '',
  ),
  apiKey,
);

const state: {
  devices: DeviceSummary[];
  /** Devices in the whole fleet: the list and map show the first page of GET /devices. */
  total: number;
  deviceId: string | null;
  metric: string;
  timer: number | undefined;
} = {
  devices: [],
  total: 0,
  deviceId: params.get('device'),
  metric: params.get('metric') ?? 'pm25',
  timer: undefined,
};

const showBanner = (message: string | null, kind: 'error' | 'info' = 'error') => {
  const banner = $<HTMLDivElement>('#banner');
  banner.textContent = message ?? '';
  banner.className = message ? `banner ${kind}` : 'banner hidden';
};

const askForKey = (reason: string) => {
  const dialog = $<HTMLFormElement>('#key-form');
  dialog.classList.remove('hidden');
  $<HTMLParagraphElement>('#key-reason').textContent = reason;
};

// ---------------------------------------------------------------- fleet
const renderFleet = () => {
  const body = $<HTMLTableSectionElement>('#fleet tbody');
  body.replaceChildren(
    ...state.devices.map((d) => {
      const row = el(
        'tr',
        {
          'data-device': d.deviceId,
          class: d.deviceId === state.deviceId ? 'selected' : '',
          tabindex: '0',
        },
        el('td', {}, d.deviceId),
        el('td', { title: stamp(d.lastReadingAt) }, ago(d.lastReadingAt)),
        ...(['pm25', 'pm10', 'o3', 'no2'] as const).map((m) => {
          const v = d.latest[m]?.value;
          return el('td', { class: `num ${m === 'pm25' ? level(v) : ''}` }, fmt(v));
        }),
      );
      row.addEventListener('click', () => selectDevice(d.deviceId));
      row.addEventListener('keydown', (e) => {
        if (e.key === 'Enter') selectDevice(d.deviceId);
      });
      return row;
    }),
  );
  $<HTMLSpanElement>('#fleet-count').textContent =
    state.total > state.devices.length
      ? `${state.devices.length} of ${state.total} devices`
      : `${state.devices.length} devices`;

  const map = $<SVGSVGElement>('#map');
  const width = 360;
  const height = 220;
  const located = state.devices.filter(
    (d): d is DeviceSummary & { lat: number; lon: number } => d.lat !== null && d.lon !== null,
  );
  const points = projectFleet(located, width, height);
  map.replaceChildren(svg('rect', { x: 0, y: 0, width, height, class: 'map-bg', rx: 8 }));
  for (const p of points) {
    const device = located.find((d) => d.deviceId === p.deviceId);
    const g = svg('g', {
      class: `map-device ${p.deviceId === state.deviceId ? 'selected' : ''}`,
      'data-device': p.deviceId,
    });
    g.append(
      svg('circle', {
        cx: p.x,
        cy: p.y,
        r: p.deviceId === state.deviceId ? 9 : 7,
        class: level(device?.latest.pm25?.value),
      }),
      svg('text', { x: p.x + 11, y: p.y + 4 }, p.deviceId),
      svg('title', {}, `${p.deviceId} (${p.lat.toFixed(3)}, ${p.lon.toFixed(3)})`),
    );
    g.addEventListener('click', () => selectDevice(p.deviceId));
    map.append(g);
  }

  const select = $<HTMLSelectElement>('#device-select');
  const current = select.value;
  select.replaceChildren(
    ...state.devices.map((d) => el('option', { value: d.deviceId }, d.deviceId)),
  );
  select.value = state.deviceId ?? current;
};

const selectDevice = (deviceId: string) => {
  state.deviceId = deviceId;
  renderFleet();
  void refreshChart();
};

// ---------------------------------------------------------------- chart
const renderMetricOptions = (device: DeviceSummary | undefined) => {
  const select = $<HTMLSelectElement>('#metric-select');
  const metrics = device?.metrics.length ? device.metrics : Object.keys(METRIC_NAMES);
  if (!metrics.includes(state.metric) && metrics[0]) state.metric = metrics[0];
  select.replaceChildren(...metrics.map((m) => el('option', { value: m }, METRIC_NAMES[m] ?? m)));
  select.value = state.metric;
};

const drawChart = (history: DeviceHistory | null, forecast: Forecast | null) => {
  const chart = $<SVGSVGElement>('#chart');
  const width = 760;
  const height = 300;
  const values = (isMetric(state.metric) ? history?.series[state.metric] : undefined) ?? [];
  const quantileKeys = forecast
    ? Object.keys(forecast.quantiles).sort((a, b) => Number(a) - Number(b))
    : [];
  const lowerKey = quantileKeys[0];
  const upperKey = quantileKeys.at(-1);
  const g = chartGeometry({
    width,
    height,
    history: { start: history ? Date.parse(history.start) : Date.now(), values },
    forecast: forecast
      ? {
          start: Date.parse(forecast.start),
          mean: forecast.mean,
          lower: lowerKey ? forecast.quantiles[lowerKey] : undefined,
          upper: upperKey && upperKey !== lowerKey ? forecast.quantiles[upperKey] : undefined,
        }
      : undefined,
  });
  chart.replaceChildren();
  const grid = svg('g', { class: 'grid' });
  for (const t of g.yTicks) {
    grid.append(
      svg('line', { x1: g.plot.left, x2: g.plot.right, y1: t.at, y2: t.at }),
      svg('text', { x: g.plot.left - 6, y: t.at + 4, class: 'y-label' }, t.label),
    );
  }
  for (const t of g.xTicks) {
    grid.append(
      svg('line', { x1: t.at, x2: t.at, y1: g.plot.top, y2: g.plot.bottom, class: 'x-line' }),
      svg('text', { x: t.at, y: g.plot.bottom + 18, class: 'x-label' }, t.label),
    );
  }
  chart.append(grid);
  if (g.bandPath) chart.append(svg('path', { d: g.bandPath, class: 'band' }));
  if (g.forecastX !== null) {
    chart.append(
      svg('line', {
        x1: g.forecastX,
        x2: g.forecastX,
        y1: g.plot.top,
        y2: g.plot.bottom,
        class: 'now',
      }),
      svg('text', { x: g.forecastX + 4, y: g.plot.top + 10, class: 'now-label' }, 'forecast →'),
    );
  }
  if (g.historyPath) chart.append(svg('path', { d: g.historyPath, class: 'history' }));
  if (g.meanPath) chart.append(svg('path', { d: g.meanPath, class: 'mean' }));

  const legend = $<HTMLDivElement>('#legend');
  legend.replaceChildren(
    el('span', { class: 'key history' }, 'observed (hourly mean)'),
    ...(forecast
      ? [
          el('span', { class: 'key mean' }, 'forecast mean'),
          el('span', { class: 'key band' }, `${lowerKey}–${upperKey} quantile band`),
          el(
            'span',
            { class: 'model-badge' },
            `model ${forecast.model.version} · variant ${forecast.model.variant}`,
          ),
        ]
      : []),
  );
};

let chartRequest = 0;
const refreshChart = async () => {
  const deviceId = state.deviceId;
  if (!deviceId) return;
  const mine = ++chartRequest;
  const device = state.devices.find((d) => d.deviceId === deviceId);
  renderMetricOptions(device);
  $<HTMLHeadingElement>('#chart-title').textContent =
    `${deviceId} · ${METRIC_NAMES[state.metric] ?? state.metric}`;
  const note = $<HTMLParagraphElement>('#chart-note');
  const [history, forecast] = await Promise.allSettled([
    api.get<DeviceHistory>('/devices', { deviceId, metric: state.metric, hours: '72' }),
    api.get<Forecast>('/forecast', { deviceId, metric: state.metric }),
  ]);
  if (mine !== chartRequest) return; // a newer selection won
  drawChart(
    history.status === 'fulfilled' ? history.value : null,
    forecast.status === 'fulfilled' ? forecast.value : null,
  );
  const failure = [forecast, history].find((r) => r.status === 'rejected') as
    | PromiseRejectedResult
    | undefined;
  const error = failure?.reason;
  if (!error) {
    note.textContent =
      forecast.status === 'fulfilled'
        ? `Forecast from ${stamp(forecast.value.start)}, generated ${ago(forecast.value.generatedAt)}.`
        : '';
    note.className = 'note';
  } else if (error instanceof ApiError && error.status === 503) {
    note.textContent = `No model is deployed yet; the forecast appears after the first training run (retrying in ${error.retryAfter ?? REFRESH_MS / 1000} s).`;
    note.className = 'note warn';
  } else {
    note.textContent = error instanceof Error ? error.message : String(error);
    note.className = 'note warn';
  }
  $<SVGSVGElement>('#chart').dataset.state =
    forecast.status === 'fulfilled'
      ? 'forecast'
      : history.status === 'fulfilled'
        ? 'history'
        : 'empty';
};

// ---------------------------------------------------------------- pipeline
const definition = (rows: Array<[string, string | Node]>) =>
  el('dl', {}, ...rows.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));

/** A two-column table of named scores (metric name, value to 3 decimals). */
const scoreTable = (scores: Array<[string, number]>) =>
  el(
    'table',
    { class: 'metrics' },
    el(
      'tbody',
      {},
      ...scores.map(([k, v]) =>
        el('tr', {}, el('td', {}, k), el('td', { class: 'num' }, fmt(v, 3))),
      ),
    ),
  );

const renderStatus = (s: StatusView) => {
  const champion = $<HTMLDivElement>('#champion');
  if (s.champion) {
    const metrics = Object.entries(s.champion.metrics);
    champion.replaceChildren(
      definition([
        ['version', s.champion.version],
        ['variant', s.champion.variant],
        ['deployed', `${stamp(s.champion.deployedAt)} (${ago(s.champion.deployedAt)})`],
        ['devices', String(s.champion.devices)],
      ]),
      metrics.length
        ? scoreTable(metrics)
        : el('p', { class: 'muted' }, 'no evaluation metrics recorded'),
    );
  } else {
    champion.replaceChildren(el('p', { class: 'muted' }, 'no model deployed yet'));
  }

  const drift = $<HTMLDivElement>('#drift');
  if (!s.drift.computed) {
    drift.replaceChildren(el('p', { class: 'muted' }, s.drift.reason));
  } else {
    const scores = Object.entries(s.drift.scores);
    drift.replaceChildren(
      definition([
        ['checked', `${stamp(s.drift.at)} (${s.drift.source})`],
        ['retrain asked', s.drift.detected === null ? '—' : s.drift.detected ? 'yes' : 'no'],
        ...(s.drift.reasons.length
          ? [['reasons', s.drift.reasons.join('; ')] as [string, string]]
          : []),
      ]),
      scoreTable(scores),
    );
  }

  const canary = $<HTMLDivElement>('#canary');
  const variants = s.endpoint?.variants ?? [];
  canary.replaceChildren(
    el('p', {}, el('span', { class: `pill canary-${s.canary.state}` }, s.canary.state)),
    definition([
      ['version', s.canary.version ?? '—'],
      ['run', s.canary.runId ?? '—'],
      ...(s.canary.detail ? [['detail', s.canary.detail] as [string, string]] : []),
      ...(s.endpoint ? [['endpoint', s.endpoint.status] as [string, string]] : []),
      ...variants.map(
        (v) => [`variant ${v.name}`, `weight ${v.currentWeight ?? '—'}`] as [string, string],
      ),
    ]),
  );

  const runs = $<HTMLTableSectionElement>('#runs tbody');
  runs.replaceChildren(
    ...s.runs.map((r) => {
      const outcome = r.outcome ?? r.status ?? '—';
      const took =
        r.startedAt && r.finishedAt
          ? `${Math.round((Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000)} s`
          : '…';
      const error =
        typeof r.error === 'string'
          ? `${r.error}: ${r.cause ?? ''}`
          : r.error && typeof r.error === 'object'
            ? JSON.stringify(r.error)
            : '';
      return el(
        'tr',
        {},
        el('td', {}, r.runId),
        el('td', {}, el('span', { class: `pill run-${outcome.toLowerCase()}` }, outcome)),
        el('td', { title: stamp(r.startedAt) }, ago(r.startedAt)),
        el('td', { class: 'num' }, took),
        el('td', {}, r.version ?? '—'),
        el('td', { class: 'muted' }, error || (r.states?.at(-1) ?? '')),
      );
    }),
  );
  if (s.runs.length === 0) {
    runs.append(el('tr', {}, el('td', { colspan: '6', class: 'muted' }, 'no runs yet')));
  }

  const health = $<HTMLSpanElement>('#health');
  const records = s.records
    ? ` · ${s.records.stored} readings stored, ${s.records.errors} rejected`
    : '';
  health.textContent = `last reading ${ago(s.lastReadingAt)}${records}`;
};

// ---------------------------------------------------------------- refresh loop
const refresh = async () => {
  try {
    const [fleet, status] = await Promise.all([
      api.get<{ devices: DeviceSummary[]; total?: number }>('/devices'),
      api.get<StatusView>('/status'),
    ]);
    state.devices = fleet.devices;
    state.total = fleet.total ?? fleet.devices.length;
    if (!state.deviceId || !state.devices.some((d) => d.deviceId === state.deviceId)) {
      state.deviceId = state.devices[0]?.deviceId ?? null;
    }
    renderFleet();
    renderStatus(status);
    await refreshChart();
    showBanner(null);
    $<HTMLSpanElement>('#updated').textContent =
      `updated ${new Date().toLocaleTimeString()} · every ${REFRESH_MS / 1000} s`;
    document.body.dataset.loaded = 'true';
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
      askForKey(error.status === 401 ? 'This API needs a key.' : 'That key was refused.');
    }
    showBanner(error instanceof Error ? error.message : String(error));
  }
};

const loop = async () => {
  await refresh();
  state.timer = window.setTimeout(loop, REFRESH_MS);
};

$<HTMLSelectElement>('#device-select').addEventListener('change', (e) =>
  selectDevice((e.target as HTMLSelectElement).value),
);
$<HTMLSelectElement>('#metric-select').addEventListener('change', (e) => {
  state.metric = (e.target as HTMLSelectElement).value;
  void refreshChart();
});
$<HTMLFormElement>('#key-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const input = $<HTMLInputElement>('#key-input');
  const remember = $<HTMLInputElement>('#key-remember').checked;
  sessionStorage.setItem('smogcast-key', input.value.trim());
  if (remember) localStorage.setItem('smogcast-key', input.value.trim());
  $<HTMLFormElement>('#key-form').classList.add('hidden');
  window.clearTimeout(state.timer);
  void loop();
});

if (!apiKey()) askForKey('Enter the API key (npm start prints it).');
void loop();
