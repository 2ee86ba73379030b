import { setTimeout as sleep } from 'node:timers/promises';
import { ProxyAgent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProxyFarm } from '../src/farm/index.js';

// The farm's rate-banning site (TargetSite's `rateBan`), requested through a real farm proxy
// with undici at two rates: under the limit nothing happens, over it the proxy is banned on
// that host (403 "Access denied" from then on) and only there.
describe('a target site that bans a proxy hitting it too fast', () => {
  let farm: ProxyFarm;
  const agents = new Map<string, ProxyAgent>();
  const get = async (proxyName: string, url: string): Promise<number> => {
    let agent = agents.get(proxyName);
    if (!agent) {
      agent = new ProxyAgent({ uri: farm.proxy(proxyName).url });
      agents.set(proxyName, agent);
    }
    const res = await request(url, { dispatcher: agent });
    await res.body.text();
    return res.statusCode;
  };

  beforeAll(async () => {
    farm = await ProxyFarm.start({
      proxies: [
        { name: 'slow', mode: 'good' },
        { name: 'fast', mode: 'good' },
      ],
      // More than 5 requests in any 500 ms from one proxy: banned.
      sites: [{ rateBan: { maxPerSecond: 10, windowMs: 500 } }],
    });
  });
  afterAll(async () => {
    for (const agent of agents.values()) await agent.close();
    await farm?.close();
  });

  it('leaves alone a proxy under the rate, bans one over it on that host only', async () => {
    const slow: number[] = [];
    // At most 3 requests in any 500 ms (one every 250 ms, each waited for).
    for (let i = 0; i < 6; i++) {
      slow.push(await get('slow', farm.site.url(`/page/${i}`, 'rate.test')));
      await sleep(250);
    }
    expect(slow).toEqual([200, 200, 200, 200, 200, 200]);
    // The favicon a browser fetches after each page is not counted.
    const icons = await Promise.all(Array.from({ length: 8 }, () => get('slow', farm.site.url('/favicon.ico', 'rate.test'))));
    expect(icons.every((s) => s === 200)).toBe(true);

    // Ten at once: the sixth to arrive within the window is the one over the rate; it and every later one are refused.
    const fast = await Promise.all(Array.from({ length: 10 }, (_, i) => get('fast', farm.site.url(`/page/${i}`, 'rate.test'))));
    expect(fast.filter((s) => s === 200)).toHaveLength(5);
    expect(fast.filter((s) => s === 403)).toHaveLength(5);
    expect(farm.site.rateBanned).toEqual([{ proxy: 'fast', host: 'rate.test' }]);
    expect(farm.registry.isBanned('fast', 'rate.test')).toBe(true);
    expect(farm.registry.isBanned('slow', 'rate.test')).toBe(false);

    // Banned on that host only: the same site under another name still answers it, and the slow proxy still works.
    expect(await get('fast', farm.site.url('/page/1', 'other.test'))).toBe(200);
    expect(await get('slow', farm.site.url('/page/99', 'rate.test'))).toBe(200);
    const seen = farm.site.seen.filter((r) => r.host === 'rate.test' && r.proxy === 'fast');
    expect(seen).toHaveLength(10);
  });
});
