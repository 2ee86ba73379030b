import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { runExample } from '../../../e2e/src/run-example.js';

it('classifies each proxy and brings the recovered one back', async () => {
  const out = await runExample(join(dirname(fileURLToPath(import.meta.url)), '..'));
  const [round1, round2] = out.split('round 2:');
  expect(round1).toMatch(/good\s+ok in \d+ ms\s+→ breaker closed/);
  expect(round1).toMatch(/dead\s+proxy_unreachable\s+→ breaker open/);
  expect(round1).toMatch(/hanging\s+timeout/);
  expect(round1).toMatch(/wrong-password\s+proxy_auth\s+→ breaker open/);
  expect(round1).toMatch(/back-in-2s\s+proxy_unreachable\s+→ breaker open/);
  expect(round2).toMatch(/back-in-2s\s+ok in \d+ ms\s+→ breaker half-open/);
});
