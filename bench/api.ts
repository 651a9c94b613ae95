// bench:api — GET /forecast under 50 concurrent keep-alive clients against the local API server
// (cached: the hour's forecast is reused; uncached: every request a new quantile set, so each one
// reads the device context and invokes the model endpoint), and, in the same run, a bare
// node:http server answering a JSON body of the same size: the floor any handler stack sits on.
// The load generator runs in a separate process so it does not share the server's event loop:
// autocannon (a typical client: the headline ratio) and raw sockets (a nearly free client: the
// server-bound ratio, reported beside it). Prints progress, a table, and one JSON line:
// {"cachedRps","uncachedRps","floorRps","ratio","p99Ms","serverBound":{…}}.
import { fork } from 'node:child_process';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median } from '../core/stats.js';
import { API_KEY, startServingRuntime } from '../local/serving-runtime.js';
import type { LoadResult, LoadSpec } from './load-generator.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '9' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '50' },
  },
});
const durationMs = Number(values.seconds) * 1000;
const connections = Number(values.connections);
const rounds = Math.max(1, Number(values.rounds));
const log = (m: string) => console.error(`[bench:api] ${m}`);

const GENERATOR = fileURLToPath(new URL('./load-generator.ts', import.meta.url));

/** Runs one load phase in a fresh child process. */
const load = (spec: LoadSpec): Promise<LoadResult> =>
  new Promise((resolve, reject) => {
    const child = fork(GENERATOR, [], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
    child.once('message', (result) => resolve(result as LoadResult));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`load generator exited with ${code}`));
    });
    child.send(spec);
  });

const describe = (name: string, r: LoadResult) =>
  `${name}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms, statuses ${JSON.stringify(r.statuses)}`;

const check = (name: string, r: LoadResult) => {
  if (r.errors > 0)
    throw new Error(`${name}: ${r.errors} failed requests ${JSON.stringify(r.statuses)}`);
  return r;
};

/** Combines rounds: total requests over total time; p50/p99 the median round's (noise-robust). */
const combine = (rounds: LoadResult[], seconds: number): LoadResult => {
  const statuses: Record<string, number> = {};
  for (const r of rounds) {
    for (const [k, v] of Object.entries(r.statuses)) statuses[k] = (statuses[k] ?? 0) + v;
  }
  const requests = rounds.reduce((a, r) => a + r.requests, 0);
  return {
    requests,
    errors: rounds.reduce((a, r) => a + r.errors, 0),
    statuses,
    rps: requests / seconds,
    p50Ms: median(rounds.map((r) => r.p50Ms)),
    p99Ms: median(rounds.map((r) => r.p99Ms)),
    maxMs: Math.max(...rounds.map((r) => r.maxMs)),
  };
};

const main = async () => {
  log('starting the local runtime: 3 simulated devices, 4 days of history, one training run');
  const serving = await startServingRuntime({ devices: 3 });
  const floorServer = createServer();
  try {
    const path = '/forecast?deviceId=sim-001&metric=pm25';
    const sample = await fetch(`${serving.runtime.apiUrl}${path}`, {
      headers: { 'x-api-key': API_KEY },
    });
    const body = await sample.text();
    if (sample.status !== 200) throw new Error(`GET ${path}: ${sample.status} ${body}`);
    log(`forecast body ${Buffer.byteLength(body)} bytes`);

    // The floor: no routing, no auth, no handler — a fixed JSON of the same size.
    const floorBody = JSON.stringify({
      pad: 'x'.repeat(Math.max(0, Buffer.byteLength(body) - 10)),
    });
    floorServer.on('request', (_req, res) => {
      res.writeHead(200, {
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(floorBody),
      });
      res.end(floorBody);
    });
    await new Promise<void>((resolve) => floorServer.listen(0, '127.0.0.1', resolve));
    const address = floorServer.address();
    const floorUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

    const headers = { 'x-api-key': API_KEY };
    const roundMs = durationMs / rounds;

    /** Floor and cached, alternating in rounds, driven by one client. */
    const compare = async (client: 'autocannon' | 'raw') => {
      const floorSpec = { client, url: floorUrl, path: '/', headers, connections };
      const cachedSpec = { client, url: serving.runtime.apiUrl, path, headers, connections };
      log(`${client}: warm-up 1 s each`);
      await load({ ...floorSpec, durationMs: 1000 });
      await load({ ...cachedSpec, durationMs: 1000 });
      // The machine is shared: floor and cached alternate in rounds so that a burst of someone
      // else's load hits both, and the ratio compares like with like.
      const floorRounds: LoadResult[] = [];
      const cachedRounds: LoadResult[] = [];
      for (let round = 1; round <= rounds; round++) {
        const f = check('floor', await load({ ...floorSpec, durationMs: roundMs }));
        log(describe(`${client} round ${round}/${rounds} floor (bare node:http)`, f));
        const c = check('cached', await load({ ...cachedSpec, durationMs: roundMs }));
        log(describe(`${client} round ${round}/${rounds} cached GET /forecast`, c));
        floorRounds.push(f);
        cachedRounds.push(c);
      }
      const seconds = (roundMs * rounds) / 1000;
      return { floor: combine(floorRounds, seconds), cached: combine(cachedRounds, seconds) };
    };

    // autocannon: what a typical HTTP client sees (the reference figures were taken so).
    const typical = await compare('autocannon');
    // raw sockets: the client is nearly free, so this ratio is the server's own cost per request.
    const serverBound = await compare('raw');
    log(`uncached GET /forecast: ${connections} connections for ${roundMs / 1000} s`);
    const uncached = check(
      'uncached',
      await load({
        url: serving.runtime.apiUrl,
        path: '/forecast?deviceId={device}&metric={metric}&quantiles=0.1,0.5,0.9,0.{q}',
        headers,
        connections,
        durationMs: roundMs,
      }),
    );
    log(describe('uncached GET /forecast', uncached));

    const ratio = typical.cached.rps / typical.floor.rps;
    const serverRatio = serverBound.cached.rps / serverBound.floor.rps;
    const rows = [
      ['floor (node:http), autocannon', typical.floor, typical.floor],
      ['cached /forecast, autocannon', typical.cached, typical.floor],
      ['floor (node:http), raw sockets', serverBound.floor, serverBound.floor],
      ['cached /forecast, raw sockets', serverBound.cached, serverBound.floor],
      ['uncached /forecast, raw sockets', uncached, serverBound.floor],
    ] as const;
    console.log('\n| run | req/s | p50 ms | p99 ms | max ms | vs floor |');
    console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
    for (const [name, r, floor] of rows) {
      console.log(
        `| ${name} | ${r.rps.toFixed(0)} | ${r.p50Ms.toFixed(2)} | ${r.p99Ms.toFixed(2)} | ${r.maxMs.toFixed(1)} | ${((100 * r.rps) / floor.rps).toFixed(0)}% |`,
      );
    }
    console.log(
      `\ncached reaches ${(100 * ratio).toFixed(1)}% of the floor with autocannon (target ≥ 70%), p99 ${typical.cached.p99Ms.toFixed(2)} ms (target < 50 ms);` +
        ` with raw sockets, where the server alone is the bottleneck, ${(100 * serverRatio).toFixed(1)}%\n`,
    );
    console.log(
      JSON.stringify({
        cachedRps: Math.round(typical.cached.rps),
        uncachedRps: Math.round(uncached.rps),
        floorRps: Math.round(typical.floor.rps),
        ratio: Math.round(ratio * 1000) / 1000,
        p99Ms: Math.round(typical.cached.p99Ms * 100) / 100,
        serverBound: {
          cachedRps: Math.round(serverBound.cached.rps),
          floorRps: Math.round(serverBound.floor.rps),
          ratio: Math.round(serverRatio * 1000) / 1000,
        },
      }),
    );
  } finally {
    await new Promise<void>((resolve) => floorServer.close(() => resolve()));
    floorServer.closeAllConnections();
    await serving.close();
  }
};

main().then(
  () => process.exit(0), // the MQTT client library can keep the loop alive for a while
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
