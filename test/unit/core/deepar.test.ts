// The one DeepAR series codec: what the lake's channels, the training channels and the
// inference requests all decode with.
import { describe, expect, it } from 'vitest';
import {
  DeepArFormatError,
  decodeSeries,
  encodeSeriesLine,
  formatStart,
  parseSeriesLine,
  startTime,
} from '../../../core/deepar.js';

describe('formatStart', () => {
  it('formats a UTC hour as DeepAR expects', () => {
    // Act
    const start = formatStart(Date.UTC(2026, 0, 5, 7, 42, 13));

    // Assess
    expect(start).toBe('2026-01-05 07:00:00');
  });
});

describe('encodeSeriesLine / parseSeriesLine', () => {
  it('writes gaps as the string "NaN" and round-trips', () => {
    // Prepare
    const start = Date.UTC(2026, 10, 25, 3);

    // Act
    const line = encodeSeriesLine({ start, target: [1.5, null, 3, Number.NaN], cat: [2, 1] });
    const parsed = parseSeriesLine(line);

    // Assess
    expect(line).toBe('{"start":"2026-11-25 03:00:00","target":[1.5,"NaN",3,"NaN"],"cat":[2,1]}');
    expect(startTime(parsed.start)).toBe(start);
    expect(parsed.target[0]).toBe(1.5);
    expect(parsed.target[1]).toBeNull();
    expect(parsed.cat).toEqual([2, 1]);
  });

  it.each([
    ['not json', 'not JSON'],
    ['[1,2]', 'not a JSON object'],
    ['{"start":"2026-11-25T03:00:00Z","target":[1]}', 'start must be'],
    ['{"start":"2026-02-31 00:00:00","target":[1]}', 'not a calendar date'],
    ['{"start":"2026-11-25 03:00:00","target":[1,null]}', 'target[1]'],
    ['{"start":"2026-11-25 03:00:00","target":"1"}', 'target must be an array'],
    ['{"start":"2026-11-25 03:00:00","target":[1],"cat":[-1]}', 'cat[0]'],
  ])('rejects %s with a DeepArFormatError', (line, message) => {
    // Act
    const act = () => parseSeriesLine(line);

    // Assess
    expect(act).toThrow(DeepArFormatError);
    expect(act).toThrow(message);
  });
});

describe('decodeSeries', () => {
  it('reads gaps given as null or "NaN" from requests and training channels', () => {
    // Act
    const series = decodeSeries({ start: '2026-11-25 03:00', target: [1, null, 'NaN'], cat: [0] });

    // Assess
    expect(series).toEqual({ start: '2026-11-25 03:00', target: [1, null, null], cat: [0] });
  });

  it.each([
    [{ start: '2026-11-25 03:00:00', target: [1, null] }, 'target[1] must be a number or "NaN"'],
    [{ start: '2026-02-30 00:00:00', target: [1] }, 'start is not a calendar date'],
  ])('keeps the lake channel strict: %j', (value, problem) => {
    // Act
    const decoded = decodeSeries(value, { nullGaps: false });

    // Assess
    expect(decoded).toContain(problem);
  });
});
