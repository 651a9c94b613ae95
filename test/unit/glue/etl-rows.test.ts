import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('../../../glue/test_etl_rows.py', import.meta.url));

const hasPython = (() => {
  try {
    execFileSync('python3', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('glue/etl_job.py row logic', () => {
  it.skipIf(!hasPython)('passes its stdlib unittest suite, golden vectors included', () => {
    // Act
    const run = spawnSync('python3', [script], {
      encoding: 'utf8',
      // Keep glue/ free of __pycache__.
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
    });

    // Assess
    expect(run.stderr).toMatch(/OK/);
    expect(run.status).toBe(0);
  });
});
