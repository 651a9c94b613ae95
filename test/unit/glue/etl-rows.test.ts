// The Glue job's row logic (glue/etl_job.py) against the same golden vectors as the TypeScript
// engine, through its stdlib unittest suite. python3 is required, not optional: without it the
// test fails and says so, because a skipped run would let the two engines drift apart unseen.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('../../../glue/test_etl_rows.py', import.meta.url));

describe('glue/etl_job.py row logic', () => {
  it('passes its stdlib unittest suite, golden vectors included', () => {
    // Act
    const run = spawnSync('python3', [script], {
      encoding: 'utf8',
      // Keep glue/ free of __pycache__.
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
    });

    // Assess
    expect(run.error, 'python3 must be on PATH to check glue/etl_job.py').toBeUndefined();
    expect(run.stderr).toMatch(/OK/);
    expect(run.status).toBe(0);
  });
});
