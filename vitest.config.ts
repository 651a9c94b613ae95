import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration tests start real servers on fixed-free ports; keep files in separate workers
    // but do not oversubscribe this 2-core machine.
    maxWorkers: 2,
  },
});
