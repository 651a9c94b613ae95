// DeepAR series decoding shared by the training channels and the inference requests: the same
// JSON object shape arrives through both doors. Returns a problem string instead of throwing so
// each door can raise its own error class.
import type { Series } from '../model/types.js';

const START = /^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?$/;

const isIntegerArray = (value: unknown): value is number[] =>
  Array.isArray(value) && value.every((v) => Number.isInteger(v));

export const decodeSeries = (value: unknown): Series | string => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'a series must be a JSON object';
  }
  const record = value as Record<string, unknown>;
  if (typeof record.start !== 'string' || !START.test(record.start)) {
    return `start must be "YYYY-MM-DD HH:MM:SS", got ${JSON.stringify(record.start)}`;
  }
  if (!Array.isArray(record.target)) return 'target must be an array';
  const target: Array<number | null> = [];
  for (const [i, v] of record.target.entries()) {
    if (v === null || v === 'NaN') target.push(null);
    else if (typeof v === 'number' && Number.isFinite(v)) target.push(v);
    else return `target[${i}] must be a number, "NaN" or null, got ${JSON.stringify(v)}`;
  }
  const series: Series = { start: record.start, target };
  if (record.cat !== undefined) {
    if (!isIntegerArray(record.cat)) return 'cat must be an array of integers';
    series.cat = record.cat;
  }
  if (record.dynamic_feat !== undefined) {
    const feat = record.dynamic_feat;
    if (!Array.isArray(feat) || !feat.every((row) => Array.isArray(row))) {
      return 'dynamic_feat must be an array of arrays of numbers';
    }
    series.dynamic_feat = feat as number[][];
  }
  return series;
};
