import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));

it('prints every page title through the local farm, dead and hanging proxies notwithstanding', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, ['--conditions=source', '--import', 'tsx', 'main.ts'], {
    cwd: join(here, '..'),
    env: { ...process.env, PROXIES: '' },
    timeout: 90_000,
  });
  const lines = stdout.trim().split('\n');
  expect(lines).toHaveLength(5);
  lines.forEach((line, i) => expect(line).toMatch(new RegExp(`/page/${i + 1} → Page ${i + 1}$`)));
});
