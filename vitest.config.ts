import { defineConfig } from 'vitest/config';

// Two projects so each half runs on its own (`npm run test:unit`, `npm run test:integration`);
// `npm test` runs both.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration tests start real servers on fixed-free ports; keep files in separate workers
    // but do not oversubscribe this 2-core machine.
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { extends: true, test: { name: 'integration', include: ['test/integration/**/*.test.ts'] } },
    ],
  },
});
