import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { runExample } from '../../../e2e/src/run-example.js';

it('the same loop fetches every page with fewer attempts once the pool learns', async () => {
  const out = await runExample(join(dirname(fileURLToPath(import.meta.url)), '..'));
  const before = /before \(round-robin\):\s+(\d+) pages in (\d+) attempts/.exec(out)!;
  const after = /after \(proxy-pool\):\s+(\d+) pages in (\d+) attempts/.exec(out)!;
  expect(Number(before[1])).toBe(16);
  expect(Number(after[1])).toBe(16);
  expect(Number(after[2])).toBeLessThan(Number(before[2]));
  expect(out).toMatch(/proxies the pool avoids now: [1-3]/);
});
