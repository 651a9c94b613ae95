// Builds the dashboard: one esbuild bundle of src/ plus index.html and styles.css. In memory for
// the local runtime (served at `/`), or written to a folder for static hosting next to the API
// on AWS (S3 + CloudFront): `npx tsx dashboard/build.ts --out dist/dashboard --api-base <url>`.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const HERE = dirname(fileURLToPath(import.meta.url));

export interface DashboardFile {
  body: Uint8Array;
  contentType: string;
}

export interface DashboardBuildOptions {
  /** Where the API lives; '' = same origin. */
  apiBase?: string;
  minify?: boolean;
}

const escapeAttr = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** path → file, e.g. `/`, `/index.html`, `/app.js`, `/styles.css`. */
export const buildDashboard = async (
  options: DashboardBuildOptions = {},
): Promise<Map<string, DashboardFile>> => {
  const apiBase = (options.apiBase ?? '').replace(/\/$/, '');
  if (apiBase && !/^https?:\/\/[^\s"'<>]+$/.test(apiBase)) {
    throw new Error(`api base must be an http(s) URL, got "${apiBase}"`);
  }
  const bundle = await build({
    entryPoints: [join(HERE, 'src/main.ts')],
    bundle: true,
    format: 'esm',
    target: ['chrome110', 'firefox110', 'safari16'],
    minify: options.minify ?? true,
    write: false,
    logLevel: 'silent',
  });
  const js = bundle.outputFiles[0]?.contents;
  if (!js) throw new Error('esbuild produced no bundle');
  const connect = apiBase ? `'self' ${new URL(apiBase).origin}` : "'self'";
  const html = (await readFile(join(HERE, 'index.html'), 'utf8'))
    .replace('%API_BASE%', escapeAttr(apiBase))
    .replace('%CONNECT_SRC%', escapeAttr(connect));
  const index = { body: new TextEncoder().encode(html), contentType: 'text/html; charset=utf-8' };
  return new Map<string, DashboardFile>([
    ['/', index],
    ['/index.html', index],
    ['/app.js', { body: js, contentType: 'text/javascript; charset=utf-8' }],
    [
      '/styles.css',
      { body: await readFile(join(HERE, 'styles.css')), contentType: 'text/css; charset=utf-8' },
    ],
  ]);
};

const main = async () => {
  const { values } = parseArgs({
    options: { out: { type: 'string' }, 'api-base': { type: 'string' } },
  });
  const out = values.out ?? 'dist/dashboard';
  const files = await buildDashboard({ apiBase: values['api-base'] ?? '' });
  await mkdir(out, { recursive: true });
  for (const [path, file] of files) {
    if (path === '/') continue;
    await writeFile(join(out, path), file.body);
    console.log(`${join(out, path)}  ${file.body.byteLength} bytes  ${file.contentType}`);
  }
};

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
