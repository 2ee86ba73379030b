import { ProxyPool, type ProxyPoolOptions } from '../src/index.js';
import { FakeClock, seededRandom } from '../src/testing/index.js';

export function proxyList(n: number, port = 8000): string[] {
  return Array.from({ length: n }, (_, i) => `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}:${port}`);
}

/** A pool on fake time and a seeded random source. */
export function fakePool(options: ProxyPoolOptions & { seed?: number } = {}): { pool: ProxyPool; clock: FakeClock } {
  const clock = new FakeClock();
  const { seed, ...rest } = options;
  const pool = new ProxyPool({ proxies: proxyList(5), clock, random: seededRandom(seed ?? 7), ...rest });
  return { pool, clock };
}
