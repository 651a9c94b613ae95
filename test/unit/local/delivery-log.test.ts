import { describe, expect, it } from 'vitest';
import { formatIds, parseDeliveryLog, parseIds } from '../../../local/delivery-log.js';

describe('delivery log ids', () => {
  it('writes ids as merged ranges per segment and reads them back', () => {
    const ids = [
      { segment: 5, index: 0 },
      { segment: 3, index: 2 },
      { segment: 3, index: 0 },
      { segment: 3, index: 1 },
      { segment: 3, index: 7 },
      { segment: 5, index: 1 },
    ];
    const text = formatIds(ids);
    expect(text).toBe('3:0-2,3:7,5:0-1');
    expect(parseIds(text)).toEqual(
      [...ids].sort((a, b) => a.segment - b.segment || a.index - b.index),
    );
  });

  it('refuses text it cannot have written', () => {
    expect(parseIds('3:4-2')).toBeUndefined();
    expect(parseIds('3:x')).toBeUndefined();
  });
});

describe('parseDeliveryLog', () => {
  it('counts done batches and kept ranges as delivered, and leaves open intents pending', () => {
    const complete = [
      'A 1:0-1',
      'P raw/a aaa 2:0-1',
      'P raw/b bbb 2:2',
      'D raw/a',
      'P raw/c ccc 2:3',
      'D raw/c',
    ];
    // the last line is torn: the crash came before its newline
    const state = parseDeliveryLog(`${complete.join('\n')}\nD raw/b`);
    expect(state.delivered).toEqual([
      { segment: 1, index: 0 },
      { segment: 1, index: 1 },
      { segment: 2, index: 0 },
      { segment: 2, index: 1 },
      { segment: 2, index: 3 },
    ]);
    expect(state.pending).toEqual([
      { key: 'raw/b', digest: 'bbb', ids: [{ segment: 2, index: 2 }] },
    ]);
  });
});
