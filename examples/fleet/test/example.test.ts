import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { runExample } from '../../../e2e/src/run-example.js';

it('three worker processes crawl through one Redis: every page fetched, openings learned from each other', async () => {
  // Three Chromiums on a shared machine: a few pages each, and the example's own deadline below the test's.
  const out = await runExample(join(dirname(fileURLToPath(import.meta.url)), '..'), 'main.ts', 100_000, {
    FLEET_PAGES: '3',
    FLEET_TIMEOUT_MS: '90000',
    REDIS_URL: '',
  });
  expect(out).toMatch(/^fleet: 9 of 9 pages; (\d+) breaker openings learned from another worker$/m);
  for (const worker of [1, 2, 3]) expect(out).toMatch(new RegExp(`^worker ${worker}: 3 pages fetched, 0 failed`, 'm'));
  // Four refusing proxies, three workers: some worker heard of an opening before it tried the proxy.
  expect(Number(/(\d+) breaker openings learned/.exec(out)![1])).toBeGreaterThan(0);
}, 110_000);
