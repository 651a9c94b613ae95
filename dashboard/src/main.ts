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
import { gridClusters, isInseparable, mergeClose, zoomBounds } from './cluster.js';
import { $, el, fmt, level, stamp, svg } from './dom.js';
import { type Bounds, boundsOf, contains, projectInto } from './fleet-map.js';
import {
  renderAb,
  renderAccuracy,
  renderDeviceBands,
  renderPsi,
  renderRegistry,
  renderRunStates,
} from './model-views.js';
import {
  type AbRound,
  abRounds,
  type DailyAccuracy,
  dailyAccuracy,
  deviceBands,
  type HourBand,
  type PsiRun,
  psiRuns,
  type RegistryEvent,
  type RunTimeline,
  registryEvents,
  runTimelines,
} from './views-data.js';

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
const params = new URLSearchParams(location.search);
const REFRESH_MS = Math.max(2, Number(params.get('refresh')) || 15) * 1000;

// The key comes from the URL fragment (never sent to a server), or what was entered before.
const fragmentKey = new URLSearchParams(location.hash.slice(1)).get('key');
if (fragmentKey) {
  sessionStorage.setItem('smogcast-key', fragmentKey);
  history.replaceState(null, '', location.pathname + location.search);
}
const apiKey = () => sessionStorage.getItem('smogcast-key') ?? localStorage.getItem('smogcast-key');

const ago = (iso: string | null | undefined): string => {
  if (!iso) return '—';
  const s = Math.round((Date.now() - Date.parse(iso)) / 1000);
  if (!Number.isFinite(s)) return '—';
  if (s < 90) return `${Math.max(0, s)} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  if (s < 172_800) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
};

const api = createApiClient(
  (document.querySelector('meta[name="smogcast-api"]')?.getAttribute('content') ?? '').replace(
    /\/$/,
    '',
  ),
  apiKey,
);

/** Rows per page of the device table, and devices per request when the map loads positions. */
const PAGE_SIZE = 50;
const MAP_PAGE = 1000;
/** The most pages the map walks (MAP_PAGE each): a bounded walk, whatever the fleet. */
const MAP_MAX_PAGES = 20;
const MAP_TTL_MS = 60_000;
const MAP_WIDTH = 360;
const MAP_HEIGHT = 220;
/** Grid cell of the map's clustering, in map pixels. */
const CLUSTER_CELL = 28;
const SEARCH = /^[A-Za-z0-9_.:-]{1,128}$/;

interface DevicePage {
  devices: DeviceSummary[];
  total: number;
  nextCursor: string | null;
}

const state: {
  /** The table's page of GET /devices (limit, cursor, q). */
  page: DevicePage;
  /** cursors[i] = the cursor that fetched page i ('' for the first). */
  cursors: string[];
  pageIndex: number;
  q: string;
  /** The map's positions for the current search, loaded page by page in the background. */
  map: { q: string | null; points: DeviceSummary[]; total: number; loadedAt: number };
  /** The map's box after a click on a cluster; the table then lists the devices in view. */
  zoom: Bounds | null;
  zoomPage: number;
  deviceId: string | null;
  selected: DeviceSummary | undefined;
  metric: string;
  timer: number | undefined;
} = {
  page: { devices: [], total: 0, nextCursor: null },
  cursors: [''],
  pageIndex: 0,
  q: params.get('q') ?? '',
  map: { q: null, points: [], total: 0, loadedAt: 0 },
  zoom: null,
  zoomPage: 0,
  deviceId: params.get('device'),
  selected: undefined,
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
type Located = DeviceSummary & { lat: number; lon: number };
const located = (d: DeviceSummary): d is Located => d.lat !== null && d.lon !== null;

const findDevice = (deviceId: string | null): DeviceSummary | undefined =>
  deviceId === null
    ? undefined
    : (state.page.devices.find((d) => d.deviceId === deviceId) ??
      state.map.points.find((d) => d.deviceId === deviceId) ??
      (state.selected?.deviceId === deviceId ? state.selected : undefined));

/** Devices inside the zoomed map box, from the positions the map loaded. */
const inView = (): Located[] => {
  const zoom = state.zoom;
  return zoom ? state.map.points.filter(located).filter((d) => contains(zoom, d)) : [];
};

/** What the table shows: the API's page, or (zoomed in) a page of the devices in view. */
const tableRows = () => {
  if (!state.zoom) {
    const first = state.pageIndex * PAGE_SIZE;
    const { devices, total, nextCursor } = state.page;
    return {
      rows: devices,
      first,
      total,
      hasPrev: state.pageIndex > 0,
      hasNext: nextCursor !== null,
      label: state.q ? `matching “${state.q}”` : '',
    };
  }
  const all = inView();
  const first = state.zoomPage * PAGE_SIZE;
  return {
    rows: all.slice(first, first + PAGE_SIZE),
    first,
    total: all.length,
    hasPrev: state.zoomPage > 0,
    hasNext: first + PAGE_SIZE < all.length,
    label: 'in the map view',
  };
};

const renderTable = () => {
  const { rows, first, total, hasPrev, hasNext, label } = tableRows();
  const body = $<HTMLTableSectionElement>('#fleet tbody');
  body.replaceChildren(
    ...rows.map((d) => {
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
  if (rows.length === 0) {
    body.append(el('tr', {}, el('td', { colspan: '6', class: 'muted' }, 'no devices')));
  }
  const count = $<HTMLSpanElement>('#fleet-count');
  count.textContent =
    rows.length === 0
      ? `0 of ${total.toLocaleString('en')} devices ${label}`.trim()
      : `${(first + 1).toLocaleString('en')}–${(first + rows.length).toLocaleString('en')} of ${total.toLocaleString('en')} devices ${label}`.trim();
  count.dataset.total = String(total);
  $<HTMLButtonElement>('#fleet-prev').disabled = !hasPrev;
  $<HTMLButtonElement>('#fleet-next').disabled = !hasNext;

  const select = $<HTMLSelectElement>('#device-select');
  const options = rows.some((d) => d.deviceId === state.deviceId)
    ? rows
    : [
        ...(findDevice(state.deviceId) ? [findDevice(state.deviceId) as DeviceSummary] : []),
        ...rows,
      ];
  select.replaceChildren(...options.map((d) => el('option', { value: d.deviceId }, d.deviceId)));
  if (state.deviceId) select.value = state.deviceId;
};

const renderMap = () => {
  const map = $<SVGSVGElement>('#map');
  const points = state.map.points.filter(located);
  const bounds = state.zoom ?? boundsOf(points);
  map.replaceChildren(
    svg('rect', { x: 0, y: 0, width: MAP_WIDTH, height: MAP_HEIGHT, class: 'map-bg', rx: 8 }),
  );
  const note = $<HTMLSpanElement>('#map-note');
  $<HTMLButtonElement>('#map-reset').classList.toggle('hidden', state.zoom === null);
  if (!bounds) {
    note.textContent = '';
    return;
  }
  const projected = projectInto(
    points.map((d) => ({
      deviceId: d.deviceId,
      lat: d.lat,
      lon: d.lon,
      value: d.latest.pm25?.value,
    })),
    bounds,
    MAP_WIDTH,
    MAP_HEIGHT,
  );
  const clusters = mergeClose(gridClusters(projected, CLUSTER_CELL), CLUSTER_CELL);
  const labelled = clusters.length <= 24;
  for (const c of clusters) {
    if (c.deviceId !== null) {
      const id = c.deviceId;
      const g = svg('g', {
        class: `map-device ${id === state.deviceId ? 'selected' : ''}`,
        'data-device': id,
      });
      g.append(
        svg('circle', { cx: c.x, cy: c.y, r: id === state.deviceId ? 9 : 7, class: level(c.max) }),
        ...(labelled ? [svg('text', { x: c.x + 11, y: c.y + 4 }, id)] : []),
        svg('title', {}, `${id} (${c.bounds.south.toFixed(3)}, ${c.bounds.west.toFixed(3)})`),
      );
      g.addEventListener('click', () => selectDevice(id));
      map.append(g);
      continue;
    }
    const g = svg('g', { class: 'map-cluster', 'data-cluster': c.key, 'data-count': c.count });
    g.append(
      svg('circle', {
        cx: c.x,
        cy: c.y,
        r: Math.min(CLUSTER_CELL / 2, 7 + 2.2 * Math.log10(c.count)),
        class: level(c.max),
      }),
      svg('text', { x: c.x, y: c.y + 4, class: 'cluster-count' }, compact(c.count)),
      svg(
        'title',
        {},
        `${c.count} devices: ${c.sample.join(', ')}${c.count > c.sample.length ? ', …' : ''}`,
      ),
    );
    g.addEventListener('click', () => {
      if (isInseparable(c.bounds)) {
        // Devices on one spot: zooming cannot split them, so list them instead.
        state.zoom = { ...c.bounds };
      } else {
        state.zoom = zoomBounds(c.bounds);
      }
      state.zoomPage = 0;
      renderFleet();
    });
    map.append(g);
  }
  map.dataset.points = String(projected.length);
  map.dataset.clusters = String(clusters.length);
  const loaded = state.map.points.length;
  note.textContent =
    `${projected.length.toLocaleString('en')} devices on the map · ${clusters.length} markers` +
    (loaded < state.map.total
      ? ` · loading ${loaded.toLocaleString('en')} of ${state.map.total.toLocaleString('en')}`
      : '');
};

const compact = (n: number) =>
  n >= 10_000 ? `${Math.round(n / 1000)}k` : n >= 1000 ? `${(n / 1000).toFixed(1)}k` : String(n);

const renderFleet = () => {
  renderTable();
  renderMap();
};

const pageQuery = (limit: number, cursor: string, q: string) => ({
  limit: String(limit),
  ...(cursor ? { cursor } : {}),
  ...(q ? { q } : {}),
});

/** The table's current page from the API. */
const loadPage = async () => {
  const cursor = state.cursors[state.pageIndex] ?? '';
  const q = state.q;
  const page = await api.get<DevicePage>('/devices', pageQuery(PAGE_SIZE, cursor, q));
  if (q !== state.q || cursor !== (state.cursors[state.pageIndex] ?? '')) return; // superseded
  state.page = page;
};

let mapGeneration = 0;
/** The map's positions for the current search: pages of MAP_PAGE, drawn as they arrive. */
const loadMap = async (force = false) => {
  if (!force && state.map.q === state.q && Date.now() - state.map.loadedAt < MAP_TTL_MS) return;
  const mine = ++mapGeneration;
  const q = state.q;
  const points: DeviceSummary[] = [];
  let cursor = '';
  const map = $<SVGSVGElement>('#map');
  map.dataset.loaded = 'false';
  for (let i = 0; i < MAP_MAX_PAGES; i++) {
    const page = await api.get<DevicePage>('/devices', pageQuery(MAP_PAGE, cursor, q));
    if (mine !== mapGeneration) return;
    points.push(...page.devices);
    state.map = { q, points: [...points], total: page.total, loadedAt: Date.now() };
    renderMap();
    if (!page.nextCursor) break;
    cursor = page.nextCursor;
  }
  map.dataset.loaded = 'true';
};

const selectDevice = (deviceId: string) => {
  state.deviceId = deviceId;
  state.selected = findDevice(deviceId);
  renderFleet();
  void refreshChart();
  void refreshDeviceBands();
};

const search = async (q: string) => {
  state.q = q;
  state.cursors = [''];
  state.pageIndex = 0;
  state.zoom = null;
  await loadPage();
  renderFleet();
  await loadMap(true);
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
  const device = findDevice(deviceId);
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

// ---------------------------------------------------------------- model views
/** The model views' data, kept so a resize redraws without asking the API again. */
const views: {
  bands: HourBand[];
  bandsMessage: string;
  daily: DailyAccuracy[];
  psi: PsiRun[];
  registry: RegistryEvent[];
  ab: AbRound[];
  runs: RunTimeline[];
  sources: Record<string, string>;
} = {
  bands: [],
  bandsMessage: 'loading…',
  daily: [],
  psi: [],
  registry: [],
  ab: [],
  runs: [],
  sources: {},
};

const drawModelViews = () => {
  renderDeviceBands($('#bands-chart'), $('#bands-note'), views.bands, views.bandsMessage);
  renderAccuracy($('#wql-chart'), $('#coverage-chart'), $('#accuracy-note'), views.daily);
  renderPsi($('#psi-chart'), $('#psi-note'), views.psi);
  renderRegistry($('#registry-chart'), $('#registry-note'), views.registry);
  renderAb($('#ab-chart'), $('#ab-note'), views.ab);
  renderRunStates($('#run-states'), views.runs, Date.now());
  for (const [id, source] of Object.entries(views.sources)) {
    const node = document.querySelector(`#${id}`);
    if (node) node.textContent = source;
  }
};

const missing = (r: PromiseSettledResult<unknown>) =>
  r.status === 'rejected' && r.reason instanceof ApiError && r.reason.status === 404;

let bandsRequest = 0;
/** The chosen device's past 7 days: the bands forecast for them over what was measured. */
const refreshDeviceBands = async () => {
  const deviceId = state.deviceId;
  if (!deviceId) return;
  const mine = ++bandsRequest;
  $<HTMLHeadingElement>('#bands-title').textContent =
    `${deviceId} · ${METRIC_NAMES[state.metric] ?? state.metric} · past 7 days, forecast vs realised`;
  const [answer] = await Promise.allSettled([
    api.get<unknown>('/accuracy', { deviceId, metric: state.metric, days: '7' }),
  ]);
  if (mine !== bandsRequest || !answer) return;
  views.bands = answer.status === 'fulfilled' ? deviceBands(answer.value) : [];
  views.bandsMessage =
    answer.status === 'fulfilled'
      ? 'no served forecast has been scored for this device yet'
      : missing(answer)
        ? `no scored forecasts for ${deviceId} (${(answer.reason as Error).message})`
        : String((answer.reason as Error)?.message ?? answer.reason);
  renderDeviceBands($('#bands-chart'), $('#bands-note'), views.bands, views.bandsMessage);
};

/** Fleet accuracy, runs and the registry: the history endpoints, else what /status carries. */
const refreshModelViews = async (status: StatusView) => {
  const [accuracy, runs, models] = await Promise.allSettled([
    api.get<unknown>('/accuracy', { days: '30' }),
    api.get<unknown>('/runs', { limit: '20' }),
    api.get<unknown>('/models'),
  ]);
  const runsBody = runs.status === 'fulfilled' ? runs.value : status;
  const modelsBody =
    models.status === 'fulfilled'
      ? { ...(models.value as object), runs: (runsBody as { runs?: unknown }).runs }
      : status;
  views.daily = accuracy.status === 'fulfilled' ? dailyAccuracy(accuracy.value) : [];
  views.psi = psiRuns(runsBody);
  views.registry = registryEvents(modelsBody);
  views.ab = abRounds(runsBody);
  views.runs = runTimelines(runsBody).slice(0, 10);
  const from = (r: PromiseSettledResult<unknown>, path: string) =>
    r.status === 'fulfilled'
      ? `from GET ${path}`
      : `from GET /status (GET ${path}: ${(r.reason as Error).message})`;
  views.sources = {
    'accuracy-source':
      accuracy.status === 'fulfilled'
        ? 'from GET /accuracy'
        : `GET /accuracy: ${(accuracy.reason as Error).message}`,
    'psi-source': from(runs, '/runs'),
    'registry-source': from(models, '/models'),
    'ab-source': from(runs, '/runs'),
    'states-source': from(runs, '/runs'),
  };
  drawModelViews();
};

let resizeTimer: number | undefined;
window.addEventListener('resize', () => {
  window.clearTimeout(resizeTimer);
  resizeTimer = window.setTimeout(drawModelViews, 200);
});

// ---------------------------------------------------------------- refresh loop
const refresh = async () => {
  try {
    const [, status] = await Promise.all([loadPage(), api.get<StatusView>('/status')]);
    if (!state.deviceId) state.deviceId = state.page.devices[0]?.deviceId ?? null;
    if (!state.selected || state.selected.deviceId !== state.deviceId) {
      state.selected = findDevice(state.deviceId);
    }
    renderFleet();
    renderStatus(status);
    await Promise.all([refreshChart(), refreshDeviceBands(), refreshModelViews(status)]);
    showBanner(null);
    $<HTMLSpanElement>('#updated').textContent =
      `updated ${new Date().toLocaleTimeString()} · every ${REFRESH_MS / 1000} s`;
    document.body.dataset.loaded = 'true';
    void loadMap().catch((error: unknown) =>
      showBanner(error instanceof Error ? error.message : String(error)),
    );
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

let searchTimer: number | undefined;
$<HTMLInputElement>('#fleet-search').value = state.q;
$<HTMLInputElement>('#fleet-search').addEventListener('input', (e) => {
  const value = (e.target as HTMLInputElement).value.trim();
  window.clearTimeout(searchTimer);
  if (value && !SEARCH.test(value)) {
    showBanner('search: letters, digits and _ . : - only', 'info');
    return;
  }
  searchTimer = window.setTimeout(() => {
    showBanner(null);
    void search(value).catch((error: unknown) =>
      showBanner(error instanceof Error ? error.message : String(error)),
    );
  }, 250);
});
const turnPage = async (step: 1 | -1) => {
  if (state.zoom) {
    state.zoomPage = Math.max(0, state.zoomPage + step);
    renderTable();
    return;
  }
  if (step === 1) {
    if (!state.page.nextCursor) return;
    state.cursors[state.pageIndex + 1] = state.page.nextCursor;
  }
  state.pageIndex = Math.max(0, state.pageIndex + step);
  await loadPage();
  renderTable();
};
$<HTMLButtonElement>('#fleet-next').addEventListener('click', () => void turnPage(1));
$<HTMLButtonElement>('#fleet-prev').addEventListener('click', () => void turnPage(-1));
$<HTMLButtonElement>('#map-reset').addEventListener('click', () => {
  state.zoom = null;
  state.zoomPage = 0;
  renderFleet();
});

$<HTMLSelectElement>('#device-select').addEventListener('change', (e) =>
  selectDevice((e.target as HTMLSelectElement).value),
);
$<HTMLSelectElement>('#metric-select').addEventListener('change', (e) => {
  state.metric = (e.target as HTMLSelectElement).value;
  void refreshChart();
  void refreshDeviceBands();
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
