// A request checked against the service's API model, the way AWS's request validation answers:
// every violation with the member path (`productionVariants.1.member.instanceType`) and the
// constraint, in one `N validation error(s) detected: …` message. Types, required members and
// enums come from the aws-sdk v2 model; lengths, ranges and patterns from botocore's, when
// installed (a violation of those names the model it came from).
import { type BotoShape, wholeValuePattern } from './botocore.js';
import { type ApiModel, apiModel, type ShapeRef, UnknownApiModelError } from './model.js';

export interface Violation {
  /** The member path as AWS prints it: lower camel case, list items 1-based then `member`. */
  path: string;
  message: string;
  /** The model a length, range or pattern constraint came from (botocore's). */
  source?: string;
}

type Scope = { model: ApiModel; violations: Violation[] };

const ENUM_SHOWN = 12;

const camel = (name: string): string => name.charAt(0).toLowerCase() + name.slice(1);
const pascal = (name: string): string => name.charAt(0).toUpperCase() + name.slice(1);
const join = (path: string, part: string): string => (path ? `${path}.${part}` : part);

const show = (value: unknown): string => {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'object') return Array.isArray(value) ? 'a list' : 'an object';
  return String(value);
};

const fail = (
  scope: Scope,
  path: string,
  value: unknown,
  constraint: string,
  source?: string,
): void => {
  scope.violations.push({
    path,
    message: `Value ${show(value)} at '${path || 'request'}' failed to satisfy constraint: ${constraint}`,
    ...(source ? { source } : {}),
  });
};

/** botocore's length, range and pattern constraints of the named shape, on a well-typed value. */
const checkConstraints = (
  scope: Scope,
  constraints: BotoShape | undefined,
  type: string,
  value: unknown,
  path: string,
): void => {
  if (!constraints) return;
  const source = scope.model.constraints?.source;
  const { min, max, pattern } = constraints;
  const bound = (size: number, what: 'length' | 'value') => {
    if (min !== undefined && size < min) {
      fail(scope, path, value, `Member must have ${what} greater than or equal to ${min}`, source);
    } else if (max !== undefined && size > max) {
      fail(scope, path, value, `Member must have ${what} less than or equal to ${max}`, source);
    }
  };
  switch (type) {
    case 'string': {
      const text = value as string;
      bound([...text].length, 'length');
      const regex = pattern === undefined ? null : wholeValuePattern(pattern);
      if (pattern !== undefined && regex && !regex.test(text)) {
        fail(
          scope,
          path,
          value,
          `Member must satisfy regular expression pattern: ${pattern}`,
          source,
        );
      }
      return;
    }
    case 'integer':
    case 'long':
    case 'float':
    case 'double':
      bound(value as number, 'value');
      return;
    case 'list':
      bound((value as unknown[]).length, 'length');
      return;
    case 'map':
      bound(Object.keys(value as object).length, 'length');
      return;
    default:
      return;
  }
};

const resolve = (model: ApiModel, ref: ShapeRef): ShapeRef => {
  if (!ref.shape) return ref;
  const shape = model.shapes[ref.shape];
  if (!shape) throw new UnknownApiModelError(`shape ${ref.shape} of ${model.uid}`);
  return { ...shape, ...ref, shape: undefined };
};

/** The element or value type a declared list or map type names. */
const declaredInner = (model: ApiModel, declared: string | undefined, kind: 'list' | 'map') => {
  const text = declared && (model.aliases.get(declared) ?? declared);
  if (!text) return undefined;
  const match =
    kind === 'list' ? /^(\w+)\[\]$/.exec(text) : /^\{\[key: string\]: (\w+)\}$/.exec(text);
  return match?.[1];
};

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);

const checkEnum = (scope: Scope, path: string, value: string, declared?: string) => {
  const values = declared ? scope.model.enums.get(declared) : undefined;
  if (values && !values.includes(value)) {
    const listed =
      values.length > ENUM_SHOWN
        ? `${values.slice(0, ENUM_SHOWN).join(', ')}, …`
        : values.join(', ');
    fail(scope, path, value, `Member must satisfy enum value set: [${listed}]`);
  }
};

const check = (
  scope: Scope,
  ref: ShapeRef,
  value: unknown,
  path: string,
  declared?: string,
  boto?: string,
): void => {
  const shape = resolve(scope.model, ref);
  const type = shape.type ?? 'string';
  const botoShape = boto ? scope.model.constraints?.shapes[boto] : undefined;
  checkShape(scope, shape, type, value, path, declared, botoShape);
  // Lengths, ranges and patterns only on a value of the right type (else the type error alone).
  if (isWellTyped(type, value)) checkConstraints(scope, botoShape, type, value, path);
};

const isWellTyped = (type: string, value: unknown): boolean => {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'integer':
    case 'long':
      return typeof value === 'number' && Number.isInteger(value);
    case 'float':
    case 'double':
      return typeof value === 'number' && Number.isFinite(value);
    case 'list':
      return Array.isArray(value);
    case 'map':
      return isPlainObject(value);
    default:
      return false;
  }
};

const checkShape = (
  scope: Scope,
  shape: ShapeRef,
  type: string,
  value: unknown,
  path: string,
  declared?: string,
  boto?: BotoShape,
): void => {
  switch (type) {
    case 'structure': {
      if (!isPlainObject(value)) {
        fail(scope, path, value, 'Member must be a structure');
        return;
      }
      const members = shape.members ?? {};
      const declaredMembers = declared ? scope.model.interfaces.get(declared) : undefined;
      // Step Functions takes every API's parameters in PascalCase, camelCase APIs' too
      // (Step Functions' ExecutionArn is the API's executionArn).
      const given = (name: string) => value[name] ?? value[pascal(name)];
      for (const name of shape.required ?? []) {
        if (given(name) === undefined || given(name) === null) {
          fail(scope, join(path, camel(name)), null, 'Member must not be null');
        }
      }
      const present = Object.keys(value).filter((k) => value[k] !== undefined && value[k] !== null);
      for (const key of present) {
        const name = members[key] ? key : camel(key);
        const member = members[name];
        if (!member) {
          fail(scope, join(path, camel(key)), value[key], 'Member is not defined in the API');
          continue;
        }
        check(
          scope,
          member,
          value[key],
          join(path, camel(name)),
          declaredMembers?.get(name),
          boto?.members?.[name]?.shape,
        );
      }
      if (shape.union && present.length !== 1) {
        fail(scope, path, value, 'Member must have exactly one member set (a union)');
      }
      return;
    }
    case 'list': {
      if (!Array.isArray(value)) {
        fail(scope, path, value, 'Member must be a list');
        return;
      }
      const inner = declaredInner(scope.model, declared, 'list');
      value.forEach((item, i) => {
        check(
          scope,
          shape.member ?? {},
          item,
          `${join(path, String(i + 1))}.member`,
          inner,
          boto?.member?.shape,
        );
      });
      return;
    }
    case 'map': {
      if (!isPlainObject(value)) {
        fail(scope, path, value, 'Member must be a map');
        return;
      }
      const inner = declaredInner(scope.model, declared, 'map');
      for (const [k, v] of Object.entries(value)) {
        check(scope, shape.key ?? {}, k, `${path}.key`, undefined, boto?.key?.shape);
        check(scope, shape.value ?? {}, v, `${path}.${k}`, inner, boto?.value?.shape);
      }
      return;
    }
    case 'string':
      if (typeof value !== 'string') {
        fail(scope, path, value, 'Member must be a string');
        return;
      }
      checkEnum(scope, path, value, declared);
      return;
    case 'integer':
    case 'long':
      if (typeof value !== 'number' || !Number.isInteger(value)) {
        fail(
          scope,
          path,
          value,
          `Member must be an ${type === 'long' ? 'integer (long)' : 'integer'}`,
        );
      }
      return;
    case 'float':
    case 'double':
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        fail(scope, path, value, 'Member must be a number');
      }
      return;
    case 'boolean':
      if (typeof value !== 'boolean') fail(scope, path, value, 'Member must be a boolean');
      return;
    case 'timestamp':
      if (
        !(value instanceof Date) &&
        typeof value !== 'number' &&
        !(typeof value === 'string' && !Number.isNaN(Date.parse(value)))
      ) {
        fail(scope, path, value, 'Member must be a timestamp');
      }
      return;
    case 'blob':
      // Bytes on the wire; a state machine's lambda:invoke also hands its Payload over as JSON.
      return;
    default:
      throw new UnknownApiModelError(`shape type ${type} of ${scope.model.uid}`);
  }
};

/** Every violation of `input` against the operation's input shape in the service's model. */
export const requestViolations = (
  service: string,
  operation: string,
  input: unknown,
): Violation[] => {
  const model = apiModel(service);
  const op = model.operations[operation];
  if (!op) throw new UnknownApiModelError(`operation ${operation} of ${model.uid}`);
  const scope: Scope = { model, violations: [] };
  check(
    scope,
    op.input ?? { type: 'structure', members: {} },
    input ?? {},
    '',
    model.inputTypes.get(operation),
    model.constraints?.inputs[operation],
  );
  return scope.violations;
};

/** The message AWS answers a rejected request with (and, given, the models it was checked against). */
export const validationMessage = (violations: Violation[], sources?: string): string =>
  `${violations.length} validation error${violations.length === 1 ? '' : 's'} detected: ${violations
    .map((v) => v.message)
    .join('; ')}${sources ? ` [API models: ${sources}]` : ''}`;

/** Throws what `toError` makes of the violations, if any. */
export const enforceRequest = (
  service: string,
  operation: string,
  input: unknown,
  toError: (message: string, violations: Violation[]) => Error,
): void => {
  const violations = requestViolations(service, operation, input);
  if (violations.length > 0) {
    throw toError(validationMessage(violations, apiModel(service).sources), violations);
  }
};
