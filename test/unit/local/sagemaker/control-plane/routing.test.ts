import { describe, expect, it } from 'vitest';
import { pickVariant } from '../../../../../local/sagemaker/control-plane/routing.js';

describe('pickVariant', () => {
  const variants = [
    { name: 'blue', weight: 9 },
    { name: 'green', weight: 1 },
  ];

  it('splits traffic in proportion to the weights', () => {
    // Act
    const picks = Array.from({ length: 100 }, (_, i) => pickVariant(variants, i / 100)?.name);

    // Assess
    expect(picks.filter((name) => name === 'blue')).toHaveLength(90);
    expect(picks.filter((name) => name === 'green')).toHaveLength(10);
  });

  it('never routes to a zero-weight variant while another has weight', () => {
    // Prepare
    const drained = [
      { name: 'old', weight: 0 },
      { name: 'new', weight: 1 },
    ];

    // Act
    const picks = new Set([0, 0.3, 0.999].map((draw) => pickVariant(drained, draw)?.name));

    // Assess
    expect([...picks]).toEqual(['new']);
  });

  it('spreads evenly when every weight is 0, and returns undefined without variants', () => {
    // Act + Assess
    expect(
      pickVariant(
        [
          { name: 'a', weight: 0 },
          { name: 'b', weight: 0 },
        ],
        0.75,
      )?.name,
    ).toBe('b');
    expect(pickVariant([], 0.5)).toBeUndefined();
  });
});
