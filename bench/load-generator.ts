// Load generator for bench/api.ts, run in its own process so it does not steal the server's event
// loop. Two clients: `autocannon`, the usual Node HTTP benchmarking client (what an API's users
// and most published figures measure with), and `raw`: N keep-alive connections over raw
// sockets, each sending one request at a time and timing every response — light enough that the
// server, not the client, is the bottleneck. Reports through IPC.
import { connect, type Socket } from 'node:net';
import autocannon from 'autocannon';
import { nearestRankPercentile } from '../core/stats.js';

export interface LoadSpec {
  /** Which client drives the load (default raw). */
  client?: 'raw' | 'autocannon';
  url: string;
  connections: number;
  durationMs: number;
  headers: Record<string, string>;
  /** Fixed path, or a template where `{n}` is replaced by a per-request counter. */
  path: string;
  /** For templated paths: the values `{q}` cycles through (quantile suffixes, …). */
}

export interface LoadResult {
  requests: number;
  errors: number;
  statuses: Record<string, number>;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Uncached paths: every request a different quantile set (and device/metric), never repeated. */
const expand = (template: string, n: number) => {
  const devices = ['sim-001', 'sim-002', 'sim-003'];
  const metrics = ['o3', 'pm25', 'pm10', 'co', 'so2', 'no2'];
  return template
    .replace('{device}', devices[n % 3] as string)
    .replace('{metric}', metrics[Math.floor(n / 3) % 6] as string)
    .replace('{q}', String(1000 + (Math.floor(n / 18) % 8999)));
};

export const runLoad = (spec: LoadSpec): Promise<LoadResult> =>
  new Promise((resolve) => {
    const { hostname, port } = new URL(spec.url);
    const headerText = Object.entries(spec.headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    const templated = spec.path.includes('{');
    const fixed = Buffer.from(
      `GET ${spec.path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\n${headerText}\r\n`,
    );
    let counter = 0;
    const requestBytes = () =>
      templated
        ? Buffer.from(
            `GET ${expand(spec.path, counter++)} HTTP/1.1\r\nHost: ${hostname}:${port}\r\n${headerText}\r\n`,
          )
        : fixed;

    const latencies = new Float64Array(2_000_000);
    let count = 0;
    let errors = 0;
    const statuses: Record<string, number> = {};
    let stopping = false;
    const started = performance.now();
    let open = spec.connections;

    const finish = () => {
      const elapsed = (performance.now() - started) / 1000;
      const sample = latencies.subarray(0, count);
      resolve({
        requests: count,
        errors,
        statuses,
        rps: count / elapsed,
        p50Ms: count ? nearestRankPercentile(sample, 0.5) : 0,
        p99Ms: count ? nearestRankPercentile(sample, 0.99) : 0,
        maxMs: sample.reduce((max, v) => Math.max(max, v), 0),
      });
    };

    const drive = (socket: Socket) => {
      let buffer: Buffer = Buffer.alloc(0);
      let sentAt = 0;
      const send = () => {
        if (stopping) {
          socket.end();
          return;
        }
        sentAt = performance.now();
        socket.write(requestBytes());
      };
      socket.on('data', (chunk: Buffer) => {
        buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
        for (;;) {
          const end = buffer.indexOf('\r\n\r\n');
          if (end < 0) return;
          const head = buffer.subarray(0, end).toString('latin1');
          const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
          if (buffer.length < end + 4 + length) return;
          buffer = buffer.subarray(end + 4 + length);
          const status = head.slice(9, 12);
          statuses[status] = (statuses[status] ?? 0) + 1;
          if (status !== '200' && status !== '304') errors += 1;
          if (count < latencies.length) latencies[count++] = performance.now() - sentAt;
          send();
        }
      });
      socket.on('error', () => {
        errors += 1;
      });
      socket.on('close', () => {
        open -= 1;
        if (open === 0) finish();
      });
      send();
    };

    for (let i = 0; i < spec.connections; i++) {
      const socket = connect({ host: hostname, port: Number(port) }, () => drive(socket));
      socket.setNoDelay(true);
    }
    setTimeout(() => {
      stopping = true;
    }, spec.durationMs);
  });

/** The same measurement with autocannon (fixed paths only). */
export const runAutocannon = async (spec: LoadSpec): Promise<LoadResult> => {
  const result = await autocannon({
    url: `${spec.url}${spec.path}`,
    connections: spec.connections,
    duration: spec.durationMs / 1000,
    headers: spec.headers,
  });
  const statuses: Record<string, number> = {
    '2xx': result['2xx'],
    '3xx': result['3xx'],
    '4xx': result['4xx'],
    '5xx': result['5xx'],
  };
  return {
    requests: result.requests.total,
    errors: result.errors + result.non2xx - result['3xx'],
    statuses,
    rps: result.requests.total / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
  };
};

// As a child process: one spec in, one result out.
if (process.send) {
  process.once('message', (spec: LoadSpec) => {
    const run = spec.client === 'autocannon' && !spec.path.includes('{') ? runAutocannon : runLoad;
    void run(spec).then((result) => {
      process.send?.(result, () => process.exit(0));
    });
  });
}
