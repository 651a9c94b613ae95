// A request checked against the service's API model, the way AWS's request validation answers:
// every violation with the member path (`productionVariants.1.member.instanceType`) and the
// constraint, in one `N validation error(s) detected: …` message.
import { type ApiModel, apiModel, type ShapeRef, UnknownApiModelError } from './model.js';

export interface Violation {
  /** The member path as AWS prints it: lower camel case, list items 1-based then `member`. */
  path: string;
  message: string;
}

type Scope = { model: ApiModel; violations: Violation[] };

const ENUM_SHOWN = 12;

const camel = (name: string): string => name.charAt(0).toLowerCase() + name.slice(1);
const join = (path: string, part: string): string => (path ? `${path}.${part}` : part);

const show = (value: unknown): string => {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'object') return Array.isArray(value) ? 'a list' : 'an object';
  return String(value);
};

const fail = (scope: Scope, path: string, value: unknown, constraint: string): void => {
  scope.violations.push({
    path,
    message: `Value ${show(value)} at '${path || 'request'}' failed to satisfy constraint: ${constraint}`,
  });
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
): void => {
  const shape = resolve(scope.model, ref);
  const type = shape.type ?? 'string';
  switch (type) {
    case 'structure': {
      if (!isPlainObject(value)) {
        fail(scope, path, value, 'Member must be a structure');
        return;
      }
      const members = shape.members ?? {};
      const declaredMembers = declared ? scope.model.interfaces.get(declared) : undefined;
      for (const name of shape.required ?? []) {
        if (value[name] === undefined || value[name] === null) {
          fail(scope, join(path, camel(name)), null, 'Member must not be null');
        }
      }
      const present = Object.keys(value).filter((k) => value[k] !== undefined && value[k] !== null);
      for (const name of present) {
        const member = members[name];
        if (!member) {
          fail(scope, join(path, camel(name)), value[name], 'Member is not defined in the API');
          continue;
        }
        check(scope, member, value[name], join(path, camel(name)), declaredMembers?.get(name));
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
        check(scope, shape.member ?? {}, item, `${join(path, String(i + 1))}.member`, inner);
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
        check(scope, shape.key ?? {}, k, `${path}.key`);
        check(scope, shape.value ?? {}, v, `${path}.${k}`, inner);
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
  );
  return scope.violations;
};

/** The message AWS answers a rejected request with. */
export const validationMessage = (violations: Violation[]): string =>
  `${violations.length} validation error${violations.length === 1 ? '' : 's'} detected: ${violations
    .map((v) => v.message)
    .join('; ')}`;

/** Throws what `toError` makes of the violations, if any. */
export const enforceRequest = (
  service: string,
  operation: string,
  input: unknown,
  toError: (message: string, violations: Violation[]) => Error,
): void => {
  const violations = requestViolations(service, operation, input);
  if (violations.length > 0) throw toError(validationMessage(violations), violations);
};
