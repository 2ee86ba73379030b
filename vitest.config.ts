import { defineConfig } from 'vitest/config';

// Tests read the TypeScript sources directly: the "source" export condition points each
// workspace package at its src/ (see each package.json's exports map).
export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'], externalConditions: ['source'] } },
  test: {
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['packages/*/test/**/*.test.ts'], testTimeout: 20_000 },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['e2e/test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 60_000,
          // Chromium processes are heavy on a 2-core machine: one file at a time.
          fileParallelism: false,
        },
      },
    ],
  },
});
