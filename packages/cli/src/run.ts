import { readFileSync } from 'node:fs';
import { type FileHandle, open, readFile } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { ProxyParseError, ProxyPoolError, type Proxy, parseProxyList } from '@proxy-pool/core';
import { type CheckResult, checkProxies } from './check.js';
import { FORMATS, type Format, formatResults } from './format.js';
import { byLatency } from './order.js';
import { writeUsable } from './out-file.js';
import { createProgress } from './progress.js';

/**
 * The default `--url`: Google's connectivity check, which answers 204 with an empty body, over
 * HTTPS (so the probe goes through a CONNECT tunnel, as a browser's would). Any 2xx or 3xx is usable.
 */
export const DEFAULT_URL = 'https://www.gstatic.com/generate_204';

export const DEFAULTS = { url: DEFAULT_URL, timeoutMs: 5_000, concurrency: 50, format: 'table' as Format, sessions: 3 };

export const EXIT = { usable: 0, noneUsable: 1, badInput: 2, interrupted: 130 } as const;

export const USAGE = `Usage: proxy-pool check <file|-> [options]

Probes every proxy of a list (one request each through it, as the pool's health checks do)
and tells which work, how fast, and why the others do not. Reads every format the pool takes:
http/https/socks4/socks5 URLs, host:port, user:pass@host:port, host:port:user:pass, one or
several per line, # comments. "-" reads standard input. A proxy whose username or password
holds {session} is a gateway: a few fresh sessions are probed through it.

Options:
  --url URL           what to request through each proxy; 2xx/3xx is usable
                      (default: ${DEFAULTS.url})
  --timeout MS        per probe (default: ${DEFAULTS.timeoutMs})
  --concurrency N     probes at once (default: ${DEFAULTS.concurrency})
  --sessions N        sessions probed per gateway (default: ${DEFAULTS.sessions})
  --format FORMAT     table, json, csv or txt (default: ${DEFAULTS.format})
  --out FILE          write the usable proxies there, fastest first, credentials kept
  -h, --help          show this help
  -v, --version       show the version

Exit status: 0 when some proxy is usable, 1 when none is, 2 for bad input or options.
Passwords are never printed (only --out holds them).
`;

export interface Io {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable & { isTTY?: boolean };
  /** Stops the check (Ctrl-C): what is done so far is reported. */
  signal?: AbortSignal;
}

class UsageError extends Error {}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function positiveInt(value: string | undefined, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`--${option} expects a positive whole number, got "${value}"`);
  return Number(value);
}

function parse(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      url: { type: 'string' },
      timeout: { type: 'string' },
      concurrency: { type: 'string' },
      sessions: { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  });
  if (values.help) return { kind: 'help' } as const;
  if (values.version) return { kind: 'version' } as const;
  const [command, input, ...extra] = positionals;
  if (command === undefined) throw new UsageError('no command: try "proxy-pool check proxies.txt"');
  if (command !== 'check') throw new UsageError(`unknown command "${command}" (the command is "check")`);
  if (input === undefined) throw new UsageError('check needs a file, or "-" for standard input');
  if (extra.length > 0) throw new UsageError(`one list at a time (got also "${extra.join('", "')}")`);
  const format = (values.format ?? DEFAULTS.format) as Format;
  if (!FORMATS.includes(format)) throw new UsageError(`--format is one of ${FORMATS.join(', ')}; got "${values.format}"`);
  const url = values.url ?? DEFAULTS.url;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--url "${url}" is not a URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new UsageError(`--url must be http or https, got "${parsed.protocol}"`);
  return {
    kind: 'check',
    input,
    url,
    format,
    out: values.out,
    timeoutMs: positiveInt(values.timeout, 'timeout', DEFAULTS.timeoutMs),
    concurrency: positiveInt(values.concurrency, 'concurrency', DEFAULTS.concurrency),
    sessions: positiveInt(values.sessions, 'sessions', DEFAULTS.sessions),
  } as const;
}

async function readInput(input: string, stdin: Readable): Promise<string> {
  if (input !== '-') return readFile(input, 'utf8');
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** `proxy-pool …`: resolves with the exit status. Writes results to stdout, progress and errors to stderr. */
export async function main(argv: string[], io: Io): Promise<number> {
  const fail = (message: string) => {
    io.stderr.write(`proxy-pool: ${message}\n`);
    return EXIT.badInput;
  };
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (error) {
    // parseArgs's own errors (an unknown option, a missing value) are usage errors too.
    return fail(`${(error as Error).message}\n(see proxy-pool --help)`);
  }
  if (args.kind === 'help') {
    io.stdout.write(USAGE);
    return 0;
  }
  if (args.kind === 'version') {
    io.stdout.write(`${version()}\n`);
    return 0;
  }

  let text: string;
  try {
    text = await readInput(args.input, io.stdin);
  } catch (error) {
    return fail(`cannot read ${args.input}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let proxies: Proxy[];
  try {
    // Lists exported on Windows often start with a byte-order mark.
    proxies = parseProxyList(text.replace(/^\uFEFF/, ''), { source: args.input === '-' ? 'standard input' : args.input });
  } catch (error) {
    // Only the line and the reason: not even the redacted input, so no password can show.
    if (error instanceof ProxyParseError || ProxyPoolError.is(error)) {
      const e = error as ProxyParseError;
      const where = e.line === undefined ? '' : `line ${e.line} of ${args.input === '-' ? 'standard input' : args.input}: `;
      return fail(`${where}${e.reason ?? e.message}`);
    }
    throw error;
  }

  let out: FileHandle | undefined;
  if (args.out !== undefined) {
    try {
      // Opened first, so that an unwritable path fails now rather than after the whole check.
      out = await open(args.out, 'w', 0o600);
    } catch (error) {
      return fail(`cannot write ${args.out}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  try {
    const progress = createProgress(io.stderr, proxies.length);
    let results: CheckResult[];
    try {
      results = await checkProxies(proxies, {
        url: args.url,
        timeoutMs: args.timeoutMs,
        concurrency: args.concurrency,
        sessionsPerGateway: args.sessions,
        signal: io.signal,
        onResult: (result) => progress.update(result),
      });
    } finally {
      progress.stop();
    }
    io.stdout.write(formatResults(results, args.format));
    const usable = byLatency(results).filter((r) => r.ok);
    if (out) {
      await writeUsable(
        out,
        usable.map((r) => r.proxy),
        `${usable.length} usable of ${proxies.length}, fastest first (proxy-pool check, ${new Date().toISOString()})`,
      );
      io.stderr.write(`wrote ${usable.length} usable ${usable.length === 1 ? 'proxy' : 'proxies'} to ${args.out}\n`);
    }
    if (io.signal?.aborted) return EXIT.interrupted;
    return usable.length > 0 ? EXIT.usable : EXIT.noneUsable;
  } finally {
    await out?.close();
  }
}
