import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { ProxyParseError } from './errors.js';
import { parseProxyList } from './parse.js';
import type { Proxy } from './proxy.js';

export interface EnvOptions {
  /** The variables to read. @default process.env */
  env?: Record<string, string | undefined>;
  /** A dotenv file read when present; its values never override real variables. `false` skips it. @default '.env' */
  envFile?: string | false;
  /** Where relative paths start. @default process.cwd() */
  cwd?: string;
}

/**
 * Reads proxies from `PROXIES` (comma or newline separated) or from the file named by
 * `PROXY_FILE` (one per line, `#` comments), looking in the environment and then in `.env`.
 */
export function proxiesFromEnv(options: EnvOptions = {}): Proxy[] {
  const cwd = options.cwd ?? process.cwd();
  const env = { ...readEnvFile(options.envFile ?? '.env', cwd), ...stripUndefined(options.env ?? process.env) };
  if (env.PROXIES !== undefined && env.PROXIES.trim() !== '') {
    return parseProxyList(env.PROXIES, { source: 'PROXIES' });
  }
  if (env.PROXY_FILE !== undefined && env.PROXY_FILE.trim() !== '') {
    const path = resolve(cwd, env.PROXY_FILE);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      throw new ProxyParseError(`PROXY_FILE names ${path}, which cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    return parseProxyList(text, { source: path });
  }
  throw new ProxyParseError(
    'no proxies configured: set PROXIES (comma or newline separated) or PROXY_FILE (a file, one proxy per line), in the environment or in .env',
  );
}

function readEnvFile(envFile: string | false, cwd: string): Record<string, string> {
  if (envFile === false) return {};
  const path = resolve(cwd, envFile);
  if (!existsSync(path)) return {};
  return parseEnv(readFileSync(path, 'utf8')) as Record<string, string>;
}

function stripUndefined(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value;
  return out;
}
