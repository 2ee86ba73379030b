import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { runExample } from '../../../e2e/src/run-example.js';

it('fetches every page through Crawlee with the pool choosing the proxies', async () => {
  const out = await runExample(join(dirname(fileURLToPath(import.meta.url)), '..'));
  expect(out).toMatch(/fetched 12 pages/);
  const rows = out.split('\n').filter((line) => line.startsWith('http://'));
  expect(rows).toHaveLength(5);
  const okTotal = rows.reduce((sum, line) => sum + Number(/ok (\d+)/.exec(line)![1]), 0);
  expect(okTotal).toBe(12);
});
