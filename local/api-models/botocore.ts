// The constraints the aws-sdk v2 minified models drop — string length, numeric ranges, list and
// map sizes, patterns — from botocore's full models (`botocore/data/<service>/<version>/
// service-2.json[.gz]`), as installed with python3-botocore (Debian) or pip. Shapes are matched by
// name: both are generated from the same service definition. A shape botocore does not have (a
// member newer than the installed botocore) keeps only the v2 checks.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

/** A reference to a named shape of botocore's model. */
export interface BotoRef {
  shape: string;
}

/**
 * A botocore shape: its constraints (`min`/`max`: length, size or value by type) and the named
 * shapes of its members, items, keys and values. The aws-sdk v2 minified models inline simple
 * shapes without their names, so constraints are found by walking botocore's shapes beside v2's.
 */
export interface BotoShape {
  type?: string;
  min?: number;
  max?: number;
  pattern?: string;
  members?: Record<string, BotoRef>;
  member?: BotoRef;
  key?: BotoRef;
  value?: BotoRef;
}

export interface ConstraintModel {
  /** For messages: `botocore 1.29.27 sagemaker/2017-07-24`. */
  source: string;
  shapes: Record<string, BotoShape>;
  /** Operation name → the name of its input shape. */
  inputs: Record<string, string | undefined>;
}

/** Where Debian's python3-botocore installs the package. */
const DEBIAN_BOTOCORE = '/usr/lib/python3/dist-packages/botocore';

let located: { dir: string; version: string } | null | undefined;

/**
 * The botocore package the machine has: `SMOGCAST_BOTOCORE_DIR` when set, else the one python3
 * imports, else Debian's path. Looked up once per process; `null` when there is none.
 */
export const botocorePackage = (): { dir: string; version: string } | null => {
  if (located !== undefined) return located;
  const candidates: string[] = [];
  if (process.env.SMOGCAST_BOTOCORE_DIR) candidates.push(process.env.SMOGCAST_BOTOCORE_DIR);
  else {
    try {
      const dir = execFileSync(
        'python3',
        ['-c', 'import botocore,os;print(os.path.dirname(botocore.__file__))'],
        { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] },
      ).trim();
      if (dir) candidates.push(dir);
    } catch {
      // No python3, or no botocore for it: Debian's path may still hold one.
    }
    candidates.push(DEBIAN_BOTOCORE);
  }
  located = null;
  for (const dir of candidates) {
    if (!existsSync(join(dir, 'data'))) continue;
    const init = readFileSync(join(dir, '__init__.py'), 'utf8');
    const version = /__version__\s*=\s*['"]([^'"]+)['"]/.exec(init)?.[1] ?? 'unknown';
    located = { dir, version };
    break;
  }
  return located;
};

/** botocore names a service's folder after its service id: lower case, spaces as dashes. */
const serviceDirs = (serviceId: string, uid: string): string[] => {
  const fromId = serviceId.toLowerCase().replace(/\s+/g, '-');
  const fromUid = uid.replace(/-\d{4}-\d{2}-\d{2}$/, '');
  return [...new Set([fromId, fromUid])];
};

const cache = new Map<string, ConstraintModel | null>();

/**
 * botocore's constraints for the service of a v2 model (its `serviceId` and `uid`, e.g.
 * `SageMaker Runtime`, `runtime.sagemaker-2017-05-13`), for the same API version; `null` when
 * botocore is missing or has no such service or version.
 */
export const botocoreConstraints = (serviceId: string, uid: string): ConstraintModel | null => {
  const key = `${serviceId}|${uid}`;
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  let model: ConstraintModel | null = null;
  const pkg = botocorePackage();
  const apiVersion = /(\d{4}-\d{2}-\d{2})$/.exec(uid)?.[1];
  if (pkg && apiVersion) {
    for (const service of serviceDirs(serviceId, uid)) {
      const folder = join(pkg.dir, 'data', service, apiVersion);
      if (!existsSync(folder)) continue;
      const names = readdirSync(folder);
      const file = names.includes('service-2.json')
        ? readFileSync(join(folder, 'service-2.json'), 'utf8')
        : names.includes('service-2.json.gz')
          ? gunzipSync(readFileSync(join(folder, 'service-2.json.gz'))).toString('utf8')
          : undefined;
      if (file === undefined) continue;
      const raw = JSON.parse(file) as {
        shapes: Record<string, BotoShape>;
        operations: Record<string, { input?: BotoRef }>;
      };
      const inputs = Object.fromEntries(
        Object.entries(raw.operations).map(([name, op]) => [name, op.input?.shape]),
      );
      model = {
        source: `botocore ${pkg.version} ${service}/${apiVersion}`,
        shapes: raw.shapes,
        inputs,
      };
      break;
    }
  }
  cache.set(key, model);
  return model;
};

const patterns = new Map<string, RegExp | null>();

/**
 * A botocore pattern as AWS applies it: to the whole value (the newer models drop the `^` the
 * older ones wrote; the service matches the entire member either way). `null` when JavaScript
 * cannot compile it.
 */
export const wholeValuePattern = (pattern: string): RegExp | null => {
  const cached = patterns.get(pattern);
  if (cached !== undefined) return cached;
  let compiled: RegExp | null = null;
  for (const flags of ['u', '']) {
    try {
      compiled = new RegExp(`^(?:${pattern})$`, flags);
      break;
    } catch {
      // Java-style escapes that unicode mode refuses: try without it.
    }
  }
  patterns.set(pattern, compiled);
  return compiled;
};
