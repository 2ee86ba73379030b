import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { runExample } from '../../../e2e/src/run-example.js';

it('keeps each account on its proxy until that proxy fails', async () => {
  const out = await runExample(join(dirname(fileURLToPath(import.meta.url)), '..'));
  const alice = [...out.matchAll(/^alice → (\S+)$/gm)].map((m) => m[1]);
  const bob = [...out.matchAll(/^bob → (\S+)$/gm)].map((m) => m[1]);
  expect(new Set(alice).size).toBe(1);
  expect(new Set(bob).size).toBe(1);
  const moved = /alice's proxy (\S+) failed; alice → (\S+)/.exec(out)!;
  expect(moved[1]).toBe(alice[0]);
  expect(moved[2]).not.toBe(moved[1]);
});
