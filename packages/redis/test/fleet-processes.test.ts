import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RedisServer } from './redis-server.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const WORKER = fileURLToPath(new URL('./fixtures/fleet-worker.ts', import.meta.url));
const PROXIES = ['http://10.0.0.1:8080', 'http://10.0.0.2:8080', 'http://10.0.0.3:8080'];

let server: RedisServer;
const children: ChildProcess[] = [];

beforeAll(async () => {
  server = await RedisServer.start();
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await server?.stop();
});

interface Worker {
  child: ChildProcess;
  /** The next line that matches, or a rejection after `ms`. */
  next(match: (message: Record<string, unknown>) => boolean, ms?: number): Promise<Record<string, unknown>>;
  send(line: string): void;
}

function startWorker(): Worker {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', WORKER], {
    cwd: ROOT,
    env: { ...process.env, REDIS_URL: server.url, NAMESPACE: 'processes', PROXIES: PROXIES.join(',') },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  children.push(child);
  const seen: Record<string, unknown>[] = [];
  const waiting = new Set<() => void>();
  let buffer = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
      seen.push(JSON.parse(buffer.slice(0, i)));
      buffer = buffer.slice(i + 1);
    }
    for (const wake of [...waiting]) wake();
  });
  return {
    child,
    send: (line) => child.stdin!.write(`${line}\n`),
    next: (match, ms = 15_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const index = seen.findIndex(match);
          if (index < 0) return;
          clearTimeout(timer);
          waiting.delete(check);
          resolve(seen.splice(index, 1)[0]!);
        };
        const timer = setTimeout(() => {
          waiting.delete(check);
          reject(new Error(`worker ${child.pid}: no matching line within ${ms} ms (seen ${JSON.stringify(seen)})`));
        }, ms);
        waiting.add(check);
        check();
      }),
  };
}

it('three worker processes over one Redis: one worker’s breaker opening is seen by the others', async () => {
  const workers = [startWorker(), startWorker(), startWorker()];
  await Promise.all(workers.map((w) => w.next((m) => m.ready === true, 30_000)));
  const [opener, ...others] = workers as [Worker, Worker, Worker];
  const seen = others.map((w) =>
    w.next((m) => (m.change as { proxyId?: string } | undefined)?.proxyId === PROXIES[0] && m.state === 'open'),
  );
  opener.send(`open ${PROXIES[0]}`);
  expect(await opener.next((m) => m.opened === PROXIES[0])).toMatchObject({ state: 'open' });
  for (const message of await Promise.all(seen)) expect(message).toMatchObject({ change: { what: 'breaker', source: 'remote' } });
  for (const w of others) {
    w.send(`state ${PROXIES[0]}`);
    const state = await w.next((m) => m.id === PROXIES[0]);
    expect(state.state).toBe('open');
    expect(state.pick).not.toBe(PROXIES[0]);
  }
  for (const w of workers) {
    w.send('exit');
    w.child.stdin!.end();
  }
  await Promise.all(
    workers.map((w) => new Promise((resolve) => (w.child.exitCode === null ? w.child.once('exit', resolve) : resolve(null)))),
  );
  for (const w of workers) expect(w.child.exitCode).toBe(0);
}, 60_000);
