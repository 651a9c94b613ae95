// deploy/register-device.sh writes a device's private key: the file must never exist with a mode
// that others can read, not even between its creation and a later chmod. The script needs the
// AWS CLI and an account to run, so this reads its commands in order, as bash runs them.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SCRIPT = path.resolve(import.meta.dirname, '..', '..', '..', 'deploy', 'register-device.sh');

/** The script's top-level command lines (comments and blank lines left out), in order. */
const commandLines = (text: string): string[] =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));

describe('deploy/register-device.sh', () => {
  const lines = commandLines(readFileSync(SCRIPT, 'utf8'));
  const firstIndex = (pattern: RegExp) => lines.findIndex((line) => pattern.test(line));

  it('is valid bash', () => {
    expect(spawnSync('bash', ['-n', SCRIPT]).status).toBe(0);
  });

  it('sets umask 077 before it creates the key folder or writes any key', () => {
    // Act
    const umask = firstIndex(/^umask 077$/);
    const firstWrite = Math.min(
      firstIndex(/^mkdir /),
      firstIndex(/create-keys-and-certificate/),
      firstIndex(/--private-key-outfile/),
    );

    // Assess
    expect(umask).toBeGreaterThanOrEqual(0);
    expect(firstWrite).toBeGreaterThan(umask);
  });

  it('still narrows a key file that existed before (umask applies only to new files)', () => {
    const keyWrite = firstIndex(/--private-key-outfile/);
    const chmod = firstIndex(/^chmod 600 "\$\{out_dir\}\/private\.pem\.key"$/);
    expect(chmod).toBeGreaterThan(keyWrite);
  });
});
