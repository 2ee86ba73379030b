import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { runExample } from '../../../e2e/src/run-example.js';

it('prints every page title through the local farm, dead and hanging proxies notwithstanding', async () => {
  const lines = (await runExample(join(dirname(fileURLToPath(import.meta.url)), '..'))).trim().split('\n');
  expect(lines).toHaveLength(5);
  for (const [i, line] of lines.entries()) expect(line).toMatch(new RegExp(`/page/${i + 1} → Page ${i + 1}$`));
});
