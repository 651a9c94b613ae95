// AWS's published API models, as the `aws-sdk` package ships them: `apis/<prefix>-<version>.min.json`
// (operations, input shapes, required members, member types, unions) and the enum value sets the
// same package's generated declarations carry (`clients/<id>.d.ts`: `export type X = "a"|"b"`,
// each interface member typed by its shape name). Nothing here is written by hand per service.
// The minified models drop length, range and pattern constraints: botocore's full models supply
// them where installed (./botocore.ts).
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { botocoreConstraints, type ConstraintModel } from './botocore.js';

/** A shape of the minified model: a reference to a shared shape, or the shape inline. */
export type ShapeRef = {
  shape?: string;
  type?: string;
  required?: string[];
  members?: Record<string, ShapeRef>;
  member?: ShapeRef;
  key?: ShapeRef;
  value?: ShapeRef;
  union?: boolean;
};

/** The declared type of a value: its shape name in the package's declarations, when it has one. */
export type Declared = string | undefined;

export interface ApiModel {
  /** The model's file, for messages. */
  uid: string;
  serviceId: string;
  shapes: Record<string, ShapeRef>;
  operations: Record<string, { input?: ShapeRef }>;
  /** Operation name → its input's declared shape name (e.g. CreateEndpointConfigInput). */
  inputTypes: Map<string, string>;
  /** Interface name → member → declared type text (`X`, `X[]`, `{[key: string]: X}`). */
  interfaces: Map<string, Map<string, string>>;
  /** Type alias name → its right-hand side text. */
  aliases: Map<string, string>;
  /** Type alias name → the enum's values, for aliases that are string-literal unions. */
  enums: Map<string, string[]>;
  /** Lengths, ranges and patterns by shape name, from botocore; null without botocore. */
  constraints: ConstraintModel | null;
  /** The models used, for messages: `aws-sdk 2.1693.0 sagemaker-2017-07-24.min.json + botocore …`. */
  sources: string;
}

const require = createRequire(import.meta.url);
const sdkRoot = (): string => dirname(require.resolve('aws-sdk/package.json'));
const sdkVersion = (): string =>
  (JSON.parse(readFileSync(join(sdkRoot(), 'package.json'), 'utf8')) as { version: string })
    .version;

export class UnknownApiModelError extends Error {
  constructor(what: string) {
    super(`no AWS API model for ${what}`);
    this.name = 'UnknownApiModelError';
  }
}

/** The newest model file of a service prefix (`sagemaker`, `lambda`, `runtime.sagemaker`, …). */
const modelFile = (prefix: string): string => {
  const pattern = new RegExp(
    `^${prefix.replace(/\./g, '\\.')}-(\\d{4}-\\d{2}-\\d{2})\\.min\\.json$`,
  );
  const versions = readdirSync(join(sdkRoot(), 'apis'))
    .map((name) => pattern.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => m[0])
    .sort();
  const newest = versions.at(-1);
  if (!newest) throw new UnknownApiModelError(`service ${prefix}`);
  return join(sdkRoot(), 'apis', newest);
};

/** The declarations file of a service, named by the class the SDK exports for it. */
const declarationsFile = (prefix: string): string | undefined => {
  const metadata = JSON.parse(
    readFileSync(join(sdkRoot(), 'apis', 'metadata.json'), 'utf8'),
  ) as Record<string, { prefix?: string; name: string }>;
  const entry = Object.entries(metadata).find(([id, m]) => (m.prefix ?? id) === prefix);
  return entry ? join(sdkRoot(), 'clients', `${entry[0]}.d.ts`) : undefined;
};

const ENUM_UNION = /^"[^"]*"(\|"[^"]*")*(\|string)?$/;

const parseDeclarations = (text: string, model: ApiModel): void => {
  for (const m of text.matchAll(/^ {2}export type (\w+) = (.+);$/gm)) {
    const [, name, rhs] = m as unknown as [string, string, string];
    model.aliases.set(name, rhs);
    if (ENUM_UNION.test(rhs)) {
      model.enums.set(
        name,
        rhs
          .split('|')
          .filter((v) => v !== 'string')
          .map((v) => v.slice(1, -1)),
      );
    }
  }
  for (const m of text.matchAll(/^ {2}export interface (\w+) \{\n([\s\S]*?)\n {2}\}$/gm)) {
    const [, name, body] = m as unknown as [string, string, string];
    const members = new Map<string, string>();
    for (const p of body.matchAll(/^ {4}(\w+)\??: (.+);$/gm))
      members.set(p[1] as string, p[2] as string);
    model.interfaces.set(name, members);
  }
  for (const m of text.matchAll(/^ {2}(\w+)\(params: \w+\.Types\.(\w+),/gm)) {
    const [, method, input] = m as unknown as [string, string, string];
    model.inputTypes.set(method.charAt(0).toUpperCase() + method.slice(1), input);
  }
};

const cache = new Map<string, ApiModel>();

/** The API model of a service, by its endpoint prefix as the SDK's apis/ folder names it. */
export const apiModel = (prefix: string): ApiModel => {
  const cached = cache.get(prefix);
  if (cached) return cached;
  const file = modelFile(prefix);
  const raw = JSON.parse(readFileSync(file, 'utf8')) as {
    metadata: { uid?: string; serviceId?: string; serviceAbbreviation?: string };
    shapes: Record<string, ShapeRef>;
    operations: Record<string, { input?: ShapeRef }>;
  };
  const model: ApiModel = {
    uid: raw.metadata.uid ?? prefix,
    serviceId: raw.metadata.serviceId ?? prefix,
    shapes: raw.shapes,
    operations: raw.operations,
    inputTypes: new Map(),
    interfaces: new Map(),
    aliases: new Map(),
    enums: new Map(),
    constraints: null,
    sources: '',
  };
  model.constraints = botocoreConstraints(model.serviceId, model.uid);
  model.sources = [
    `aws-sdk ${sdkVersion()} ${basename(file)}`,
    model.constraints?.source ?? 'no botocore (lengths, ranges and patterns unchecked)',
  ].join(' + ');
  const declarations = declarationsFile(prefix);
  if (declarations) parseDeclarations(readFileSync(declarations, 'utf8'), model);
  cache.set(prefix, model);
  return model;
};
