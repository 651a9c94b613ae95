import { describe, expect, it } from 'vitest';
import type { RegistryEntry } from '../../../core/model-card.js';
import { registryTable } from '../../../local/registry-table.js';

const entry = (
  version: string,
  outcome: RegistryEntry['outcome'],
  wql: number,
  createdAt: string,
): RegistryEntry => ({
  version,
  runId: `run-${version}`,
  trainingJobName: `smogcast-${version}`,
  modelDataUrl: null,
  hyperParameters: {},
  dataWindow: { start: '2026-11-01T00:00:00.000Z', end: '2026-11-20T00:00:00.000Z' },
  categories: null,
  profile: {},
  metrics: { 'test:mean_wQuantileLoss': wql, 'test:RMSE': 12.345, 'test:coverage80': 0.81 },
  evaluation: null,
  deployment: null,
  outcome,
  reason:
    outcome === 'rejected'
      ? 'not better: challenger wQL 0.3 vs champion 0.2'
      : 'no champion model yet',
  createdAt,
  decidedAt: createdAt,
});

describe('registry table', () => {
  it('lists versions newest first with outcome, metrics and reason, marking the champion', () => {
    const text = registryTable(
      [
        entry('v1', 'promoted', 0.2, '2026-11-20T00:00:00Z'),
        entry('v2', 'rejected', 0.3, '2026-11-21T00:00:00Z'),
      ],
      'v1',
    );
    const lines = text.trim().split('\n');
    expect(lines[0]).toMatch(/version\s+outcome\s+trained on\s+wQL/);
    expect(lines[2]).toMatch(
      /^\s+v2\s+rejected\s+2026-11-01\.\.2026-11-20\s+0\.300\s+12\.35\s+0\.81/,
    );
    expect(lines[2]).toContain('not better');
    expect(lines[3]).toMatch(/^\*\s+v1\s+promoted/);
    expect(lines.at(-1)).toBe('* = champion (serving)');
  });

  it('says so when the registry is empty', () => {
    expect(registryTable([], undefined)).toBe('no model versions in the registry yet\n');
  });
});

describe('registryTable with algorithm both', () => {
  it('names the algorithm and both candidates’ scores on the held-out window', () => {
    // Prepare
    const base = entry('v3', 'promoted', 0.25, '2026-11-22T00:00:00Z');
    const both = {
      ...base,
      algorithm: 'smogcast' as const,
      evaluation: {
        ...(base.evaluation ?? {
          promote: true,
          reason: '',
          challengerWql: 0.25,
          championWql: null,
          championVersion: null,
          margin: 0.02,
        }),
        candidates: [
          { algorithm: 'deepar' as const, trainingJobName: 'smogcast-v3', wql: 0.31 },
          { algorithm: 'smogcast' as const, trainingJobName: 'smogcast-engine-v3', wql: 0.25 },
        ],
      },
    };

    // Act
    const lines = registryTable([both], 'v3').trim().split('\n');

    // Assess
    expect(lines[0]).toMatch(/champion wQL\s+algorithm\s+candidates wQL/);
    expect(lines[2]).toMatch(/smogcast\s+deepar 0\.310 \/ smogcast 0\.250/);
  });
});
