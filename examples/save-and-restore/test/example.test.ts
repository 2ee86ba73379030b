import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { runExample } from '../../../e2e/src/run-example.js';

it('restores breakers and bans, and saves no password', async () => {
  const out = await runExample(join(dirname(fileURLToPath(import.meta.url)), '..'));
  expect(out).toMatch(/contains the password: false/);
  expect(out).toMatch(/http:\/\/user@10\.0\.0\.1:8080\s+open/);
  expect(out).toMatch(/http:\/\/10\.0\.0\.2:8080\s+closed\s+banned on: shop\.example/);
  expect(out).toMatch(/http:\/\/10\.0\.0\.4:8080\s+closed\s+banned on: -/);
  expect(out).toMatch(/a job for shop\.example gets: http:\/\/10\.0\.0\.[34]:8080/);
});
