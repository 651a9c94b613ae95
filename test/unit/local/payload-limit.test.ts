import { StateMachine } from 'aws-local-stepfunctions';
import { describe, expect, it } from 'vitest';
import {
  DataLimitExceededError,
  PAYLOAD_LIMIT_BYTES,
  payloadBytes,
  runWithinPayloadQuota,
} from '../../../local/payload-limit.js';

const LAMBDA = 'arn:aws:lambda:us-east-1:123456789012:function:step';
/** A JSON string value whose document is `bytes` long: `"…"` is two bytes more than its text. */
const stringOf = (bytes: number, char = 'x') => char.repeat(bytes - 2);

/** Runs a tiny definition with the given local task handlers; records every state entered. */
const run = async (
  definition: Record<string, unknown>,
  handlers: Record<string, (input: never) => Promise<unknown>>,
  input: unknown = {},
) => {
  const entered: string[] = [];
  const machine = new StateMachine(definition as never);
  const outcome = await runWithinPayloadQuota(
    machine as never,
    input,
    { overrides: { taskResourceLocalHandlers: handlers } },
    (event) => {
      const e = event as { type: string; state?: { name: string } };
      if (e.type === 'StateEntered' && e.state) entered.push(e.state.name);
    },
  ).then(
    (value) => ({ value, error: undefined as unknown }),
    (error: unknown) => ({ value: undefined as unknown, error }),
  );
  return { ...outcome, entered };
};

/** A task whose failure of any kind would be caught and routed to `Caught`, then `After`. */
const caughtTask = (next = 'After') => ({
  Type: 'Task',
  Resource: LAMBDA,
  Retry: [{ ErrorEquals: ['States.ALL'], MaxAttempts: 2, IntervalSeconds: 0 }],
  Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'Caught' }],
  Next: next,
});
const tail = {
  Caught: { Type: 'Pass', Next: 'After' },
  After: { Type: 'Task', Resource: LAMBDA, End: true },
};

describe('payloadBytes', () => {
  it('measures the JSON text in UTF-8 bytes', () => {
    expect(payloadBytes({ a: 'é' })).toBe('{"a":"é"}'.length + 1);
    expect(payloadBytes(stringOf(100))).toBe(100);
    expect(payloadBytes(null)).toBe(4);
  });
});

describe('Step Functions payload quota in the local twin', () => {
  it('fails the execution on a task result over 256 KiB, past Retry and Catch States.ALL', async () => {
    // Prepare: the first task answers with one byte over the quota.
    let calls = 0;
    let afterCalls = 0;
    const definition = { StartAt: 'Big', States: { Big: caughtTask(), ...tail } };
    // Act
    const { error, entered } = await run(definition, {
      Big: async () => {
        calls += 1;
        return stringOf(PAYLOAD_LIMIT_BYTES + 1);
      },
      After: async () => {
        afterCalls += 1;
        return {};
      },
    });
    // Assess: terminal, named, not retried, not caught, nothing after it ran.
    expect(error).toBeInstanceOf(DataLimitExceededError);
    expect((error as Error).name).toBe('States.DataLimitExceeded');
    expect((error as Error).message).toContain('state Big: the task result is 262145 bytes');
    expect(calls).toBe(1);
    expect(afterCalls).toBe(0);
    expect(entered).toEqual(['Big']);
  });

  it('lets a payload of exactly 256 KiB through', async () => {
    // Prepare: the raw result is at the quota; the output keeps none of it.
    const definition = {
      StartAt: 'AtLimit',
      States: {
        AtLimit: { Type: 'Task', Resource: LAMBDA, ResultPath: null, Next: 'After' },
        After: { Type: 'Task', Resource: LAMBDA, End: true },
      },
    };
    // Act
    const { value, error } = await run(definition, {
      AtLimit: async () => stringOf(PAYLOAD_LIMIT_BYTES),
      After: async () => ({ done: true }),
    });
    // Assess
    expect(error).toBeUndefined();
    expect(value).toEqual({ done: true });
  });

  it('counts multi-byte characters as UTF-8 does', async () => {
    // Prepare: 131,072 two-byte characters are 262,144 bytes of text, 262,146 with quotes.
    const definition = { StartAt: 'Wide', States: { Wide: caughtTask(), ...tail } };
    // Act
    const { error } = await run(definition, {
      Wide: async () => 'é'.repeat(PAYLOAD_LIMIT_BYTES / 2),
      After: async () => ({}),
    });
    // Assess
    expect((error as Error).message).toContain('state Wide: the task result is 262146 bytes');
  });

  it('fails on a state output over the quota before the next task starts', async () => {
    // Prepare: the result is small, but ResultPath adds it to a large input.
    let afterCalls = 0;
    const definition = {
      StartAt: 'Grow',
      States: {
        Grow: { ...caughtTask(), ResultPath: '$.more' },
        ...tail,
      },
    };
    // Act
    const { error, entered } = await run(
      definition,
      {
        Grow: async () => stringOf(200_000),
        After: async () => {
          afterCalls += 1;
          return {};
        },
      },
      { data: stringOf(100_000) },
    );
    // Assess
    expect((error as Error).message).toMatch(/^state Grow: the state output is \d+ bytes/);
    expect(afterCalls).toBe(0);
    expect(entered).not.toContain('Caught');
  });

  it('fails on a task input over the quota after Parameters, before the service is called', async () => {
    // Prepare: Parameters takes the same 150 KB value twice.
    let calls = 0;
    const definition = {
      StartAt: 'Twice',
      States: {
        Twice: { ...caughtTask(), Parameters: { 'a.$': '$.data', 'b.$': '$.data' } },
        ...tail,
      },
    };
    // Act
    const { error } = await run(
      definition,
      {
        Twice: async () => {
          calls += 1;
          return {};
        },
        After: async () => ({}),
      },
      { data: stringOf(150_000) },
    );
    // Assess
    expect((error as Error).message).toMatch(/^state Twice: the task input is \d+ bytes/);
    expect(calls).toBe(0);
  });

  it('fails on a Pass state whose output is over the quota', async () => {
    // Prepare: a Pass state copies its 150 KB input twice.
    let afterCalls = 0;
    const definition = {
      StartAt: 'Copy',
      States: {
        Copy: { Type: 'Pass', Parameters: { 'a.$': '$.data', 'b.$': '$.data' }, Next: 'After' },
        After: { Type: 'Task', Resource: LAMBDA, End: true },
      },
    };
    // Act
    const { error } = await run(
      definition,
      {
        After: async () => {
          afterCalls += 1;
          return {};
        },
      },
      { data: stringOf(150_000) },
    );
    // Assess
    expect((error as Error).message).toMatch(/^state Copy: the state output is \d+ bytes/);
    expect(afterCalls).toBe(0);
  });

  it('fails on a Parallel state whose branches together are over the quota, its Catch aside', async () => {
    // Prepare: two branches, each 150 KB (under the quota alone), the Parallel output 300 KB.
    let afterCalls = 0;
    const branch = (name: string) => ({
      StartAt: name,
      States: { [name]: { Type: 'Task', Resource: LAMBDA, End: true } },
    });
    const definition = {
      StartAt: 'Both',
      States: {
        Both: {
          Type: 'Parallel',
          Branches: [branch('Left'), branch('Right')],
          Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'Caught' }],
          Next: 'After',
        },
        ...tail,
      },
    };
    // Act
    const { error, entered } = await run(definition, {
      Left: async () => stringOf(150_000),
      Right: async () => stringOf(150_000),
      After: async () => {
        afterCalls += 1;
        return {};
      },
    });
    // Assess
    expect((error as Error).message).toMatch(/^state Both: the state output is 300\d+ bytes/);
    expect(afterCalls).toBe(0);
    expect(entered).not.toContain('Caught');
  });

  it('fails on a Parallel branch output over the quota', async () => {
    // Prepare: one branch's last state grows its output past the quota.
    const definition = {
      StartAt: 'Both',
      States: {
        Both: {
          Type: 'Parallel',
          Branches: [
            {
              StartAt: 'Grow',
              States: {
                Grow: {
                  Type: 'Pass',
                  Parameters: { 'a.$': '$.data', 'b.$': '$.data' },
                  End: true,
                },
              },
            },
          ],
          Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'Caught' }],
          Next: 'After',
        },
        ...tail,
      },
    };
    // Act
    const { error, entered } = await run(
      definition,
      { After: async () => ({}) },
      { data: stringOf(150_000) },
    );
    // Assess: the branch's state is the first payload over the quota.
    expect((error as Error).message).toMatch(/^state Grow: the state output is \d+ bytes/);
    expect(entered).not.toContain('Caught');
  });
});
