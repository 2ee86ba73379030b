/**
 * A fleet: three worker processes crawl one site through one proxy list, and share what they
 * learn through one Redis (a breaker one worker opens is open for the others at once).
 *
 *   pnpm start                                    # a local redis-server and a local farm: 2 good proxies, 4 refusing
 *   REDIS_URL=redis://127.0.0.1:6379 PROXIES=http://u:p@1.2.3.4:8080,… pnpm start https://example.com/a https://example.com/b
 *
 * FLEET_PAGES (default 5) pages per worker on the local farm; FLEET_TIMEOUT_MS (default 120 s)
 * bounds the whole run: every worker is killed then, and the run fails.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ProxyFarm } from '@proxy-pool/e2e/farm';
import { RedisServer } from '../../packages/redis/test/redis-server.js';

const WORKERS = 3;
const pagesPerWorker = Number(process.env.FLEET_PAGES ?? 5);
const deadline = Number(process.env.FLEET_TIMEOUT_MS ?? 120_000);

const farm = process.env.PROXIES
  ? undefined
  : await ProxyFarm.start({
      proxies: [{ mode: 'good' }, { mode: 'refuse' }, { mode: 'refuse' }, { mode: 'good' }, { mode: 'refuse' }, { mode: 'refuse' }],
    });
const redis = process.env.REDIS_URL ? undefined : await RedisServer.start();
const proxies = farm ? farm.urls : process.env.PROXIES!.split(',');
const urls = farm
  ? Array.from({ length: WORKERS * pagesPerWorker }, (_, i) => farm.site.url(`/page/${i + 1}`, 'shop.test'))
  : process.argv.slice(2);

const children: ChildProcess[] = [];
const killAll = () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
};
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    killAll();
    process.exit(1);
  });
}

interface Done {
  worker: string;
  fetched: number;
  failed: number;
  opened: string[];
  learned: string[];
}

/** Starts one worker with its share of the pages; resolves with its last line. */
function start(worker: number): Promise<Done> {
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', fileURLToPath(new URL('./worker.ts', import.meta.url))],
    {
      env: {
        ...process.env,
        WORKER: String(worker),
        REDIS_URL: process.env.REDIS_URL || redis!.url,
        PROXIES: proxies.join(','),
        URLS: urls.filter((_, i) => i % WORKERS === worker - 1).join(','),
      },
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  children.push(child);
  return new Promise((resolve, reject) => {
    let buffer = '';
    let done: Done | undefined;
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
        const message = JSON.parse(buffer.slice(0, i)) as Record<string, unknown>;
        buffer = buffer.slice(i + 1);
        if (message.done) done = message as unknown as Done;
        else if (message.page)
          console.log(`worker ${worker}: ${message.page} → ${message.ok ? message.title : `failed (${message.error})`}`);
      }
    });
    child.once('exit', (code) => (done && code === 0 ? resolve(done) : reject(new Error(`worker ${worker} exited with ${code}`))));
  });
}

const timer = setTimeout(() => {
  console.error(`the fleet did not finish within ${deadline} ms: stopping every worker`);
  killAll();
  process.exit(1);
}, deadline);
try {
  const results = await Promise.all(Array.from({ length: WORKERS }, (_, i) => start(i + 1)));
  const name = (id: string) => farm?.byId(id)?.name ?? id;
  for (const r of results) {
    console.log(
      `worker ${r.worker}: ${r.fetched} pages fetched, ${r.failed} failed; opened itself: ${r.opened.map(name).join(', ') || '-'}; learned from the fleet: ${r.learned.map(name).join(', ') || '-'}`,
    );
  }
  const fetched = results.reduce((n, r) => n + r.fetched, 0);
  const learned = results.reduce((n, r) => n + r.learned.length, 0);
  console.log(`fleet: ${fetched} of ${urls.length} pages; ${learned} breaker openings learned from another worker`);
} finally {
  clearTimeout(timer);
  killAll();
  await farm?.close();
  await redis?.stop();
}
