import { describe, expect, it } from 'vitest';
import { InFlightLimiter } from '../../../device/in-flight.js';

describe('InFlightLimiter', () => {
  it('lets at most `max` holders in and hands freed slots to waiters in order', async () => {
    // Prepare
    const limiter = new InFlightLimiter(2);
    const order: number[] = [];
    await limiter.acquire();
    await limiter.acquire();

    // Act
    const third = limiter.acquire().then(() => order.push(3));
    const fourth = limiter.acquire().then(() => order.push(4));
    await Promise.resolve();
    const blocked = [...order];
    limiter.release();
    await third;

    // Assess
    expect(blocked).toEqual([]);
    expect(order).toEqual([3]);
    expect(limiter.inFlight).toBe(2);
    limiter.release();
    await fourth;
    expect(order).toEqual([3, 4]);
  });

  it('reports idle only once every slot is released', async () => {
    // Prepare
    const limiter = new InFlightLimiter(1);
    await limiter.acquire();
    let idle = false;
    const idlePromise = limiter.idle().then(() => {
      idle = true;
    });

    // Act
    await Promise.resolve();
    const idleWhileHeld = idle;
    limiter.release();
    await idlePromise;

    // Assess
    expect(idleWhileHeld).toBe(false);
    expect(idle).toBe(true);
    expect(limiter.inFlight).toBe(0);
  });

  it('rejects a non-positive bound', () => {
    expect(() => new InFlightLimiter(0)).toThrow(RangeError);
  });
});

describe('InFlightLimiter.close', () => {
  it('wakes waiters and idle watchers when slots will never be released', async () => {
    // Prepare
    const limiter = new InFlightLimiter(1);
    await limiter.acquire();
    const waiter = limiter.acquire();
    const idle = limiter.idle();

    // Act
    limiter.close();

    // Assess
    await expect(Promise.all([waiter, idle])).resolves.toEqual([undefined, undefined]);
    expect(limiter.inFlight).toBe(0);
  });
});
