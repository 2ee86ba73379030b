/**
 * A fleet's crawl (a measurement, not a test): three workers crawl 200 pages each through the
 * bad-proxy farm of the goodput benchmark (40 proxies: refusing, hanging, resetting, banned,
 * dying, flaky, slow, recovering and good ones), with real Chromium, once sharing one Redis
 * namespace and once each in a namespace of its own (the same code, only the sharing differs),
 * on fresh farms of the same list and the same seeds.
 *
 *   pnpm --filter @proxy-pool/redis bench:crawl
 *   FLEET_PAGES=100 FLEET_CONCURRENCY=3 FLEET_ROUNDS=2 pnpm --filter @proxy-pool/redis bench:crawl
 *
 * The three workers share one process and one Chromium (three Chromiums would measure the
 * machine's two cores, not the sharing); each has its own pool, Redis client and store, and its
 * own browser contexts. Measured:
 * - attempts wasted on a bad proxy that another worker had already found bad: after another
 *   worker's charged failure through it, and after another worker's own breaker opening on it;
 * - half-open trials running at once for one proxy in two workers (duplicates; 0 when shared);
 * - in the shared run, Redis killed and restarted half-way: from "Ready to accept connections"
 *   to another worker hearing the first change made after it (a probe: three failures reported
 *   by worker 1 on a good proxy, which opens it fleet-wide for a minute).
 */
import { loadavg } from 'node:os';
import { ProxyPool } from '@proxy-pool/core';
import { seededRandom } from '@proxy-pool/core/testing';
import { type FarmProxy, ProxyFarm } from '@proxy-pool/e2e/farm';
import { withProxyPool } from '@proxy-pool/playwright';
import { type Browser, chromium } from 'playwright-core';
import { createClient } from 'redis';
import { mixedList } from '../../../bench/crawl-bench.js';
import { CHROMIUM_ARGS, chromiumPath } from '../../../e2e/src/chromium.js';
import { RedisHealthStore } from '../src/index.js';
import { RedisServer } from './redis-server.js';

const WORKERS = 3;
const PAGES = Number(process.env.FLEET_PAGES ?? 200);
const CONCURRENCY = Number(process.env.FLEET_CONCURRENCY ?? 3);
const PROXIES = Number(process.env.FLEET_PROXIES ?? 40);
const ROUNDS = Number(process.env.FLEET_ROUNDS ?? 1);
const NAV_TIMEOUT = 5_000;

type Mode = 'shared' | 'alone';

interface RunResult {
  mode: Mode;
  seconds: number;
  fetched: number;
  failed: number;
  attempts: number;
  /** Failed attempts (pre-flight checks included) through bad proxies. */
  badFailures: number;
  /** …of which after another worker's charged failure through the same proxy. */
  afterOthersFailure: number;
  /** The time those took (ms, as the pool was told: a hanging proxy's pre-flight check costs its timeout). */
  afterOthersFailureMs: number;
  /** …of which after another worker's own breaker opening on it. */
  afterOthersOpening: number;
  /** Navigations through bad proxies after another worker's charged failure through it. */
  navigationsAfterOthersFailure: number;
  duplicateTrials: number;
  trials: number;
  restartRecoveryMs?: number;
  loadAverage: number[];
}

/** A proxy of the mix that never works for the target (or no longer: a dying one after its death). */
function bad(proxy: FarmProxy | undefined): boolean {
  if (!proxy) return false;
  if (/^(refusing|hanging|resetting|banned)-/.test(proxy.name)) return true;
  return proxy.spec.dieAfter !== undefined && !proxy.alive;
}

async function run(browser: Browser, mode: Mode, seed: number): Promise<RunResult> {
  const farm = await ProxyFarm.start({ proxies: mixedList(PROXIES), sites: [{ https: true }], random: seededRandom(seed) });
  const server = await RedisServer.start();
  const byId = new Map(farm.proxies.map((p) => [p.id, p]));
  const firstCharged = new Map<string, Map<number, number>>(); // proxy → worker → time of its first charged failure
  const firstOpened = new Map<string, Map<number, number>>(); // proxy → worker → time of its first own opening
  const halfOpen = new Map<string, Map<number, number>>(); // proxy → worker → since (while half-open)
  const trials: Array<{ proxy: string; worker: number; from: number; to: number }> = [];
  const stats = {
    attempts: 0,
    fetched: 0,
    failed: 0,
    badFailures: 0,
    afterOthersFailure: 0,
    afterOthersFailureMs: 0,
    afterOthersOpening: 0,
    navigationsAfterOthersFailure: 0,
  };
  const earliestOther = (m: Map<string, Map<number, number>>, proxy: string, worker: number) => {
    let t = Number.POSITIVE_INFINITY;
    for (const [w, at] of m.get(proxy) ?? []) if (w !== worker && at < t) t = at;
    return t;
  };
  const mark = (m: Map<string, Map<number, number>>, proxy: string, worker: number, at: number) => {
    const inner = m.get(proxy) ?? new Map<number, number>();
    if (!inner.has(worker)) inner.set(worker, at);
    m.set(proxy, inner);
  };
  const endTrial = (proxy: string, worker: number, at: number) => {
    const since = halfOpen.get(proxy)?.get(worker);
    if (since === undefined) return;
    halfOpen.get(proxy)!.delete(worker);
    trials.push({ proxy, worker, from: since, to: at });
  };

  const workers = await Promise.all(
    Array.from({ length: WORKERS }, async (_, w) => {
      const client = createClient({ url: server.url, disableOfflineQueue: true });
      client.on('error', () => {});
      await client.connect();
      const store = new RedisHealthStore({ client, namespace: mode === 'shared' ? 'crawl' : `crawl-${w}`, workerId: `w${w}` });
      const pool = new ProxyPool({ proxies: farm.urls, healthStore: store, random: seededRandom(seed * 10 + w) });
      const pooled = withProxyPool(browser, pool, {
        navigationTimeoutMs: NAV_TIMEOUT,
        reuseContexts: true,
        maxIdleContexts: PROXIES + CONCURRENCY,
      });
      pool.on('failure', (e) => {
        const now = Date.now();
        if (e.verdict === 'charged') mark(firstCharged, e.proxy.id, w, now);
        if (!bad(byId.get(e.proxy.id))) return;
        stats.badFailures++;
        if (earliestOther(firstCharged, e.proxy.id, w) < now) {
          stats.afterOthersFailure++;
          stats.afterOthersFailureMs += e.latencyMs ?? 0;
        }
        if (earliestOther(firstOpened, e.proxy.id, w) < now) stats.afterOthersOpening++;
      });
      pool.on('breakerOpen', (e) => {
        mark(firstOpened, e.proxy.id, w, Date.now());
        endTrial(e.proxy.id, w, Date.now());
      });
      pool.on('breakerHalfOpen', (e) => {
        const inner = halfOpen.get(e.proxy.id) ?? new Map<number, number>();
        inner.set(w, Date.now());
        halfOpen.set(e.proxy.id, inner);
      });
      pool.on('breakerClose', (e) => endTrial(e.proxy.id, w, Date.now()));
      // The store may end a half-open state too (the fleet's verdict arrived first).
      store.onChange((c) => {
        if (c.what === 'breaker' && pool.getMetrics(c.proxyId)?.circuitState !== 'half-open') endTrial(c.proxyId, w, Date.now());
      });
      await store.ready;
      return { w, client, store, pool, pooled };
    }),
  );
  await new Promise((resolve) => setTimeout(resolve, 500)); // attach loads

  let restartRecoveryMs: number | undefined;
  let pagesDone = 0;
  let restart: Promise<void> | undefined;
  const startedAt = Date.now();
  await Promise.all(
    workers.map(async ({ w, pooled }) => {
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          for (let i = next++; i < PAGES; i = next++) {
            const url = farm.site.url(`/w${w}/page/${i}`, 'shop.test');
            try {
              await pooled.run(
                async ({ page, proxy }) => {
                  stats.attempts++;
                  if (bad(byId.get(proxy.id)) && earliestOther(firstCharged, proxy.id, w) < Date.now())
                    stats.navigationsAfterOthersFailure++;
                  await page.goto(url);
                  return page.title();
                },
                { target: url, contextOptions: { ignoreHTTPSErrors: true } },
              );
              stats.fetched++;
            } catch {
              stats.failed++;
            }
            if (++pagesDone === Math.floor((WORKERS * PAGES) / 2) && mode === 'shared') restart = restartRedis();
          }
        }),
      );
    }),
  );
  await restart;
  const seconds = (Date.now() - startedAt) / 1000;

  /** Kills Redis mid-crawl, restarts it a second later, and times a probe change from worker 0 to worker 1. */
  async function restartRedis(): Promise<void> {
    await server.kill();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await server.restart();
    const readyAt = performance.now();
    const probe = farm.proxies.find(
      (p) => p.name.startsWith('good-') && workers.every(({ pool }) => pool.getMetrics(p.id)?.circuitState === 'closed'),
    );
    if (!probe) return;
    const [first, second] = workers as [(typeof workers)[number], (typeof workers)[number]];
    const heard = new Promise<number>((resolve) => {
      const off = second.store.onChange((c) => {
        if (c.proxyId !== probe.id || c.what !== 'breaker') return;
        off();
        resolve(performance.now());
      });
    });
    for (let i = 0; i < 3; i++) first.pool.report(probe.id, { ok: false, kind: 'proxy_unreachable' });
    restartRecoveryMs = Math.round((await heard) - readyAt);
  }

  for (const [proxy, inner] of halfOpen) for (const w of [...inner.keys()]) endTrial(proxy, w, Date.now());
  let duplicateTrials = 0;
  for (const t of trials) {
    if (trials.some((o) => o !== t && o.proxy === t.proxy && o.worker !== t.worker && o.from < t.to && t.from < o.to && o.from <= t.from))
      duplicateTrials++;
  }
  for (const { pooled, pool, store, client } of workers) {
    await pooled.close();
    await pool.close();
    await store.close();
    client.destroy();
  }
  await farm.close();
  await server.stop();
  return {
    mode,
    seconds,
    ...stats,
    duplicateTrials,
    trials: trials.length,
    restartRecoveryMs,
    loadAverage: loadavg().map((l) => +l.toFixed(1)),
  };
}

const browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
console.log(
  `fleet crawl: ${WORKERS} workers × ${PAGES} https pages, concurrency ${CONCURRENCY} each, ${PROXIES} proxies (the goodput mix), ${ROUNDS} round(s) of alone/shared; load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
const results: RunResult[] = [];
try {
  for (let round = 0; round < ROUNDS; round++) {
    // The order alternates between rounds: the machine's speed drifts.
    const order: Mode[] = round % 2 === 0 ? ['alone', 'shared'] : ['shared', 'alone'];
    for (const mode of order) {
      const result = await run(browser, mode, 1 + round);
      results.push(result);
      console.log(`  round ${round + 1}, ${mode}: ${JSON.stringify(result)}`);
    }
  }
} finally {
  await browser.close();
}
const header = [
  'run',
  'pages',
  'failed',
  'pages/s',
  'attempts',
  'bad-proxy failures',
  'after another worker failed there',
  'their time',
  'after another worker opened it',
  'navigations after another failed there',
  'trials',
  'duplicate trials',
  'restart → heard',
  'load',
];
const rows = results.map((r) => [
  r.mode,
  String(r.fetched),
  String(r.failed),
  (r.fetched / r.seconds).toFixed(1),
  String(r.attempts),
  String(r.badFailures),
  String(r.afterOthersFailure),
  `${Math.round(r.afterOthersFailureMs)} ms`,
  String(r.afterOthersOpening),
  String(r.navigationsAfterOthersFailure),
  String(r.trials),
  String(r.duplicateTrials),
  r.restartRecoveryMs === undefined ? '-' : `${r.restartRecoveryMs} ms`,
  r.loadAverage[0]!.toFixed(1),
]);
console.log(`\n| ${header.join(' | ')} |\n|${header.map(() => '---').join('|')}|`);
for (const row of rows) console.log(`| ${row.join(' | ')} |`);
