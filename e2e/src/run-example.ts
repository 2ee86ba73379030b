import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/** Runs an example's `main.ts` the way `pnpm start` does, without PROXIES (so it starts its local farm). */
export async function runExample(dir: string, file = 'main.ts', timeoutMs = 120_000, env: Record<string, string> = {}): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--conditions=source', '--import', 'tsx', file], {
    cwd: dir,
    env: { ...process.env, PROXIES: '', ...env },
    timeout: timeoutMs,
  });
  return stdout;
}
