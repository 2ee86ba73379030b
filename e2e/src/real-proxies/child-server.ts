import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { type Server, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listenOnFreePort } from '../farm/ports.js';

/** Children still running: killed when this process exits, should a test end without its teardown. */
const live = new Set<ChildProcess>();
let exitHook = false;

function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const c of live) c.kill('SIGKILL');
  });
}

/** A free port on 127.0.0.1 (the farm's helper: never one a farm server keeps closed on purpose). */
export async function freePort(): Promise<number> {
  const server: Server = createServer();
  const port = await listenOnFreePort(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A temporary directory for one server's config and logs, removed at `stop()`. */
export function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `proxy-pool-${prefix}-`));
}

/** Resolves once 127.0.0.1:`port` accepts a connection; rejects after `timeoutMs` or when `child` exits. */
async function accepting(port: number, child: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; attempt < 400; attempt++) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${child.spawnfile} exited (${child.exitCode ?? child.signalCode}) before listening:\n${output()}`);
    }
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`${child.spawnfile} did not listen on 127.0.0.1:${port} within ${timeoutMs} ms:\n${output()}`);
}

/**
 * A real proxy server (Debian's squid, tinyproxy, microsocks) run in the foreground as a
 * child of the test: started with the config the test wrote, ready once its port accepts,
 * killed and waited for at `stop()`, its temporary directory removed.
 */
export class ChildServer {
  readonly name: string;
  readonly port: number;
  readonly #child: ChildProcess;
  readonly #dir: string;
  readonly #exited: Promise<void>;
  #output = '';

  private constructor(name: string, port: number, child: ChildProcess, dir: string) {
    this.name = name;
    this.port = port;
    this.#child = child;
    this.#dir = dir;
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const keep = (chunk: Buffer) => {
      this.#output = (this.#output + chunk.toString()).slice(-4_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  static async start(options: {
    name: string;
    command: string;
    args: string[];
    port: number;
    dir: string;
    timeoutMs?: number;
  }): Promise<ChildServer> {
    const child = spawn(options.command, options.args, { cwd: options.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    track(child);
    const server = new ChildServer(options.name, options.port, child, options.dir);
    const spawned = new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (error) => reject(new Error(`cannot start ${options.command}: ${error.message}`)));
    });
    try {
      await spawned;
      await accepting(options.port, child, () => server.#output, options.timeoutMs ?? 20_000);
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  }

  /** What the server printed last (for failure messages). */
  get output(): string {
    return this.#output;
  }

  async stop(): Promise<void> {
    const child = this.#child;
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await this.#exited;
      clearTimeout(killer);
    }
    await rm(this.#dir, { recursive: true, force: true });
  }
}
