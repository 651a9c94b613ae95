import { describe, expect, it, vi } from 'vitest';

describe('device agent module', () => {
  it('can be imported without running the CLI', async () => {
    // Prepare
    const exit = vi.spyOn(process, 'exit').mockImplementation(() => undefined as never);

    // Act
    const agent = await import('../../../device/agent.js');

    // Assess
    expect(typeof agent.main).toBe('function');
    expect(exit).not.toHaveBeenCalled();
    exit.mockRestore();
  });

  it('formats a progress line with counts and rate', async () => {
    const { formatProgress } = await import('../../../device/agent.js');
    const line = formatProgress(
      { sent: 10, acked: 8, queued: 5, failed: 1, retried: 2, inFlight: 1, devices: ['a', 'b'] },
      12.345,
    );
    expect(line).toBe(
      '[device] sent=10 acked=8 queued=5 inFlight=1 failed=1 retried=2 rate=12.3/s devices=2',
    );
  });

  it('returns exit code 2 for bad flags and 0 for --help', async () => {
    // Prepare
    const { main } = await import('../../../device/agent.js');
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);

    // Act
    const bad = await main(['--devices', 'lots'], {});
    const help = await main(['--help'], {});

    // Assess
    expect(bad).toBe(2);
    expect(help).toBe(0);
    expect(String(stderr.mock.calls[0]?.[0])).toContain('--devices must be an integer');
    expect(String(stdout.mock.calls[0]?.[0])).toContain('Usage: npm run device');
    stderr.mockRestore();
    stdout.mockRestore();
  });
});
