import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { ProxyAgent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_KINDS, type FarmGateway, type GatewayOptions, ProxyFarm, parseGatewayCredentials } from '../src/farm/index.js';
import { ExitTable } from '../src/farm/gateway-exits.js';
import { seededRandom } from '@proxy-pool/core/testing';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One GET through the gateway with undici: plain forwarding for http, a CONNECT tunnel for https. */
async function get(proxyUrl: string, target: string): Promise<Answer> {
  const agent = new ProxyAgent({
    uri: proxyUrl,
    proxyTunnel: target.startsWith('https:'),
    requestTls: { rejectUnauthorized: false }, // the farm's self-signed certificate
  });
  try {
    const res = await request(target, { dispatcher: agent });
    return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
  } finally {
    await agent.close();
  }
}

/** A plain absolute-URI GET through the gateway with node:http (undici's ProxyAgent throws on a 407 and hides its headers). */
function plainGet(proxyUrl: string, target: string): Promise<Answer> {
  const proxy = new URL(proxyUrl);
  const auth = proxy.username ? decodeURIComponent(proxy.username) + ':' + decodeURIComponent(proxy.password) : undefined;
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: '127.0.0.1',
      port: Number(proxy.port),
      path: target,
      headers: auth ? { 'proxy-authorization': `Basic ${Buffer.from(auth).toString('base64')}` } : {},
      agent: false,
    });
    req.on('error', reject);
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.end();
  });
}

/** A raw CONNECT: the gateway's own answer (status line and headers), before any tunnel. */
function rawConnect(port: number, authority: string, auth: string | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
      if (data.includes('\r\n\r\n')) {
        socket.destroy();
        resolve(data);
      }
    });
    socket.on('close', () => resolve(data));
    const authLine = auth ? `Proxy-Authorization: Basic ${Buffer.from(auth).toString('base64')}\r\n` : '';
    socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${authLine}\r\n`);
  });
}

describe('the farm gateway', () => {
  let farm: ProxyFarm;
  let now = 0;
  const clock = () => now;
  const gateways: FarmGateway[] = [];
  const start = async (options: Omit<GatewayOptions, 'registry'> = {}) => {
    const gateway = await farm.addGateway({ now: clock, ...options });
    gateways.push(gateway);
    return gateway;
  };
  const page = (n: number, https = false) => (https ? farm.sites[1]! : farm.sites[0]!).url(`/page/${n}`, 'shop.test');

  beforeAll(async () => {
    farm = await ProxyFarm.start({ proxies: [], sites: [{}, { https: true }] });
  });
  afterAll(async () => {
    await farm?.close();
  });

  it('keeps one exit per token, gives a new token a new exit, and tells the site which exit came', async () => {
    const gateway = await start({ stickyMs: 1_000, idleMs: 500 });
    for (let i = 0; i < 3; i++) expect((await get(gateway.url('aaa111'), page(i))).status).toBe(200);
    const exit = gateway.exitOf('aaa111');
    expect(exit).toBeDefined();
    expect(farm.site.seen.at(-1)?.proxy).toBe(exit!.id);
    expect(gateway.requestsOf('aaa111')).toBe(3);
    expect((await get(gateway.url('bbb222'), page(4))).status).toBe(200);
    expect(gateway.exitOf('bbb222')!.id).not.toBe(exit!.id);
    expect(farm.site.seen.at(-1)?.proxy).toBe(gateway.exitOf('bbb222')!.id);
    expect(gateway.log.map((r) => r.assignment)).toEqual(['new', 'kept', 'kept', 'new']);
  });

  it('swaps a sticky exit silently after stickyMs, and drops an idle session', async () => {
    now = 0;
    const gateway = await start({ stickyMs: 1_000, idleMs: 400 });
    await get(gateway.url('tok1'), page(1));
    const first = gateway.exitOf('tok1')!.id;
    for (const t of [300, 600, 900]) {
      now = t; // used every 300 ms: never idle, same exit until 1,000 ms after assignment
      expect((await get(gateway.url('tok1'), page(2))).status).toBe(200);
      expect(gateway.exitOf('tok1')!.id).toBe(first);
    }
    now = 1_000;
    expect((await get(gateway.url('tok1'), page(3))).status).toBe(200); // no error: the swap is silent
    const second = gateway.exitOf('tok1')!.id;
    expect(second).not.toBe(first);
    expect(farm.site.seen.at(-1)?.proxy).toBe(second);
    now = 1_399; // 399 ms unused: still the same
    await get(gateway.url('tok1'), page(4));
    expect(gateway.exitOf('tok1')!.id).toBe(second);
    now = 1_799; // 400 ms unused: a fresh exit
    await get(gateway.url('tok1'), page(5));
    expect(gateway.exitOf('tok1')!.id).not.toBe(second);
    expect(gateway.stats()).toMatchObject({ requests: 7, sessions: 1, swaps: 1, idleDrops: 1 });
  });

  it('answers 407 with Proxy-Authenticate to missing, wrong and revoked credentials (plain and CONNECT)', async () => {
    const gateway = await start();
    const wrongPassword = gateway.url('abc').replace(':secret@', ':nope@');
    const wrongAccount = gateway.url('abc').replace('customer-acme', 'customer-other');
    const badToken = `http://customer-acme-sessid-a-b:secret@127.0.0.1:${gateway.port}`;
    for (const url of [wrongPassword, wrongAccount, badToken]) {
      const answer = await plainGet(url, page(1));
      expect(answer.status).toBe(407);
      expect(answer.headers['proxy-authenticate']).toBe(`Basic realm="${gateway.name}"`);
    }
    expect((await plainGet(`http://127.0.0.1:${gateway.port}`, page(1))).status).toBe(407);
    const authority = `shop.test:${farm.sites[1]!.port}`;
    expect(await rawConnect(gateway.port, authority, 'customer-acme-sessid-abc:nope')).toMatch(
      /^HTTP\/1\.1 407 [^\r]*\r\n(.*\r\n)*proxy-authenticate: Basic realm=/i,
    );
    await expect(get(wrongPassword, page(1, true))).rejects.toThrow(/407/);
    gateway.revoked = true;
    expect((await plainGet(gateway.url('abc'), page(1))).status).toBe(407);
    gateway.revoked = false;
    expect((await get(gateway.url('abc'), page(1))).status).toBe(200);
    expect(gateway.stats()).toMatchObject({ requests: 1, unauthorized: 7, challenged: 1, rejected: 6, sessions: 1 });
    expect(gateway.stats().usernames).toBe(3); // customer-acme-sessid-abc, customer-other-sessid-abc, customer-acme-sessid-a-b
    expect(farm.site.seen.every((s) => s.authorization === undefined)).toBe(true); // credentials never reach the site
  });

  it('carries https through CONNECT tunnels, sticky by token', async () => {
    const gateway = await start();
    const a = await get(gateway.url('tunnel1'), page(7, true));
    expect(a.status).toBe(200);
    expect(a.body).toContain('<title>Page 7</title>');
    expect(farm.sites[1]!.seen.at(-1)?.proxy).toBe(gateway.exitOf('tunnel1')!.id);
    await get(gateway.url('tunnel1'), page(8, true));
    expect(farm.sites[1]!.seen.at(-1)?.proxy).toBe(gateway.exitOf('tunnel1')!.id);
    expect(gateway.log.map((r) => r.request)).toEqual([
      `CONNECT shop.test:${farm.sites[1]!.port}`,
      `CONNECT shop.test:${farm.sites[1]!.port}`,
    ]);
  });

  it('lets the site ban banned exits, over http and https', async () => {
    const gateway = await start({ mix: { banned: 1 } });
    for (const https of [false, true]) {
      const answer = await get(gateway.url(`ban${https ? 's' : ''}`), page(1, https));
      expect(answer.status).toBe(403);
      expect(answer.body).toContain('Access denied');
      expect(answer.headers['proxy-status']).toBeUndefined(); // the site's answer, carried
    }
    const onlyShop = await start({ mix: { banned: 1 }, bannedOn: ['shop.test'] });
    expect((await get(onlyShop.url('x1'), farm.site.url('/page/1', 'other.test'))).status).toBe(200);
    expect((await get(onlyShop.url('x1'), page(1))).status).toBe(403);
    expect(gateway.stats().byExit).toEqual({ good: 0, banned: 2, dead: 0, slow: 0 });
  });

  it('answers 502 with a proxy label for dead exits, to plain requests and CONNECT', async () => {
    const gateway = await start({ mix: { dead: 1 } });
    const before = farm.site.seen.length;
    const answer = await get(gateway.url('dead1'), page(1));
    expect(answer.status).toBe(502);
    expect(answer.headers['proxy-status']).toBe(`${gateway.name}; error=destination_unavailable; details="exit node unavailable"`);
    expect(answer.headers['x-gateway-error']).toBe('session_failed');
    expect(answer.body).toContain('session failed');
    expect(farm.site.seen.length).toBe(before); // never reached the site
    const raw = await rawConnect(gateway.port, `shop.test:${farm.sites[1]!.port}`, 'customer-acme-sessid-dead1:secret');
    expect(raw).toMatch(/^HTTP\/1\.1 502 /);
    expect(raw).toMatch(/x-gateway-error: session_failed/i);
    await expect(get(gateway.url('dead2'), page(1, true))).rejects.toThrow(/502/);
    expect(gateway.stats().byExit.dead).toBe(3);
  });

  it('delays slow exits by slowMs', async () => {
    const gateway = await start({ mix: { slow: 1 }, slowMs: 150 });
    const began = performance.now();
    expect((await get(gateway.url('slow1'), page(1))).status).toBe(200);
    expect(performance.now() - began).toBeGreaterThanOrEqual(140);
    expect(gateway.stats().byExit.slow).toBe(1);
  });

  it('reads the token from the password (IPRoyal-like)', async () => {
    const gateway = await start({ grammar: 'password', account: 'u1', password: 'p1' });
    expect(gateway.url('s1')).toBe(`http://u1:p1_session-s1_lifetime-10m@127.0.0.1:${gateway.port}`);
    await get(gateway.url('s1'), page(1));
    await get(`http://u1:p1_country-br_session-s1@127.0.0.1:${gateway.port}`, page(2));
    expect(gateway.stats()).toMatchObject({ requests: 2, sessions: 1 });
    expect(gateway.log.map((r) => r.exit.id)).toEqual([gateway.exitOf('s1')!.id, gateway.exitOf('s1')!.id]);
    expect((await plainGet(`http://u1:p2_session-s1@127.0.0.1:${gateway.port}`, page(3))).status).toBe(407);
    // no session parameter: a new exit per request
    await get(`http://u1:p1@127.0.0.1:${gateway.port}`, page(4));
    await get(`http://u1:p1@127.0.0.1:${gateway.port}`, page(5));
    const [a, b] = gateway.log.slice(-2);
    expect(a!.exit.id).not.toBe(b!.exit.id);
    expect(gateway.stats().sessions).toBe(1);
  });

  it('refuses connections after refuse(), and accepts them again on the same port', async () => {
    const gateway = await start();
    const port = gateway.port;
    await gateway.refuse();
    await expect(get(gateway.url('r1'), page(1))).rejects.toThrow(/ECONNREFUSED|connect/i);
    await gateway.accept();
    expect(gateway.port).toBe(port);
    expect((await get(gateway.url('r1'), page(1))).status).toBe(200);
  });

  it('leaves nothing open after close()', async () => {
    const gateway = await start({ mix: { slow: 1 }, slowMs: 5_000 });
    const pending = get(gateway.url('c1'), page(1)).catch((error: Error) => error);
    for (let i = 0; i < 300 && gateway.stats().requests === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(gateway.stats().requests).toBe(1); // the request is waiting on its slow exit
    await gateway.close();
    expect(await pending).toBeInstanceOf(Error); // the waiting request was dropped, not left hanging
    expect(gateway.listening).toBe(false);
  });
});

describe('gateway exits and credentials (pure)', () => {
  it('draws exits from the mix, deterministically per seed', () => {
    const table = (seed: number) =>
      new ExitTable({
        name: 'g',
        mix: { good: 55, banned: 25, dead: 10, slow: 10 },
        random: seededRandom(seed),
        stickyMs: 1e9,
        idleMs: 1e9,
      });
    const a = table(7);
    const counts = Object.fromEntries(EXIT_KINDS.map((k) => [k, 0])) as Record<string, number>;
    const kinds: string[] = [];
    for (let i = 0; i < 2_000; i++) {
      const { exit } = a.use(`t${i}`, 0);
      counts[exit.kind]!++;
      kinds.push(exit.kind);
    }
    expect(counts.good! / 2_000).toBeCloseTo(0.55, 1);
    expect(counts.banned! / 2_000).toBeCloseTo(0.25, 1);
    expect(counts.dead! / 2_000).toBeCloseTo(0.1, 1);
    expect(counts.slow! / 2_000).toBeCloseTo(0.1, 1);
    const b = table(7);
    expect(Array.from({ length: 2_000 }, (_, i) => b.use(`t${i}`, 0).exit.kind)).toEqual(kinds);
    const c = table(8);
    expect(Array.from({ length: 50 }, (_, i) => c.use(`t${i}`, 0).exit.kind)).not.toEqual(kinds.slice(0, 50));
  });

  it('rejects a mix without weight or with unknown kinds', () => {
    const make = (mix: Record<string, number>) => new ExitTable({ name: 'g', mix, random: Math.random, stickyMs: 1, idleMs: 1 });
    expect(() => make({})).toThrow(/at least one exit kind/);
    expect(() => make({ good: 1, wild: 1 })).toThrow(/unknown exit kind "wild"/);
    expect(() => make({ good: -1 })).toThrow(/mix.good/);
  });

  it('parses the username, password and RegExp grammars', () => {
    expect(parseGatewayCredentials('username', 'customer-acme-cc-DE-sessid-abc123-sesstime-10', 's')).toEqual({
      account: 'acme',
      password: 's',
      token: 'abc123',
    });
    expect(parseGatewayCredentials('username', 'customer-acme', 's')).toEqual({ account: 'acme', password: 's', token: undefined });
    expect(parseGatewayCredentials('username', 'user-acme-sessid-x', 's')).toBeUndefined();
    expect(parseGatewayCredentials('password', 'u', 'p_session-x9_lifetime-10m')).toEqual({ account: 'u', password: 'p', token: 'x9' });
    const brd = /^brd-customer-(?<account>\w+)-zone-res-session-(?<token>[a-z0-9]+):(?<password>.*)$/;
    expect(parseGatewayCredentials(brd, 'brd-customer-7-zone-res-session-q1', 'pw')).toEqual({ account: '7', password: 'pw', token: 'q1' });
  });
});
