import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { runExample } from '../../../e2e/src/run-example.js';

// A short run of the demo, so that the README's demo command cannot rot.
it('crawls through the bad farm, changes the pool halfway, and sums up what it learned', async () => {
  const out = await runExample(join(dirname(fileURLToPath(import.meta.url)), '..'), 'demo.ts', 120_000, { DEMO_PAGES: '40' });
  expect(out).toMatch(/pages fetched:\s+40 of 40/);
  expect(out).toMatch(/added\s+fresh-1/);
  expect(out).toMatch(/removed\s+good-1/);
  expect(out).toMatch(/proxies the pool learned to avoid, and why:/);
  expect(out).toMatch(/the gateway:\s+\d+ sessions minted/);
});
