import { type AddressInfo, type Server, type Socket, connect, createServer } from 'node:net';
import { ProxyPool, parseProxy } from '@proxy-pool/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelayManager, SocksRelay, classifyRelayStatus, classifyUpstreamFailure } from '../src/index.js';

/**
 * A SOCKS5 server that takes only username/password (RFC 1929) and then refuses every CONNECT
 * with "connection refused" (0x05): enough to see what the relay makes of the upstream's
 * answers without a browser. `u:right` is accepted.
 */
function startSocksWithAuth(): Promise<Server> {
  const server = createServer((client: Socket) => {
    client.on('error', () => undefined);
    let stage: 'greeting' | 'auth' | 'request' = 'greeting';
    client.on('data', (chunk) => {
      if (stage === 'greeting') {
        stage = 'auth';
        client.write(Buffer.from([0x05, chunk.subarray(2, 2 + chunk[1]!).includes(0x02) ? 0x02 : 0xff]));
      } else if (stage === 'auth') {
        const user = chunk.subarray(2, 2 + chunk[1]!).toString();
        const passwordLength = chunk[2 + chunk[1]!]!;
        const password = chunk.subarray(3 + chunk[1]!, 3 + chunk[1]! + passwordLength).toString();
        const ok = user === 'u' && password === 'right';
        stage = 'request';
        client.write(Buffer.from([0x01, ok ? 0x00 : 0x01]));
        if (!ok) client.end();
      } else {
        client.end(Buffer.from([0x05, 0x05, 0x00, 0x01, 0, 0, 0, 0, 0, 0]));
      }
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** The relay's status line for `CONNECT authority`. */
function connectThrough(relayPort: number, authority: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(relayPort, '127.0.0.1', () => socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`));
    let head = '';
    socket.on('data', (chunk) => {
      head += chunk.toString('latin1');
      if (head.includes('\r\n')) {
        socket.destroy();
        resolve(head.split('\r\n')[0]!);
      }
    });
    socket.on('error', reject);
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('what the relay makes of its SOCKS upstream', () => {
  let socks: Server;
  let port: number;
  beforeAll(async () => {
    socks = await startSocksWithAuth();
    port = (socks.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => socks.close(() => resolve()));
  });

  it('maps its http statuses and its upstream failures to kinds', () => {
    expect(classifyRelayStatus(594)?.kind).toBe('proxy_unreachable');
    expect(classifyRelayStatus(593)?.kind).toBe('proxy_unreachable');
    expect(classifyRelayStatus(597)?.kind).toBe('proxy_auth');
    expect(classifyRelayStatus(599)?.kind).toBe('tunnel_failed');
    expect(classifyRelayStatus(502)).toBeUndefined();
    expect(classifyUpstreamFailure('Error: Socks5 Authentication failed\n    at …').kind).toBe('proxy_auth');
    expect(classifyUpstreamFailure('Error: connect ECONNREFUSED 127.0.0.1:1').kind).toBe('proxy_unreachable');
    expect(classifyUpstreamFailure('Error: Socks5 proxy rejected connection - ConnectionRefused').kind).toBe('tunnel_failed');
    expect(classifyUpstreamFailure('Error: Socks5 proxy rejected connection - NotAllowed').kind).toBe('proxy_error');
    expect(classifyUpstreamFailure('Error: Proxy connection timed out').kind).toBe('timeout');
  });

  it('records why a CONNECT failed upstream (proxy-chain only logs it), on loopback only', async () => {
    const wrong = await SocksRelay.start(parseProxy(`socks5://u:wrong@127.0.0.1:${port}`));
    const right = await SocksRelay.start(parseProxy(`socks5://u:right@127.0.0.1:${port}`));
    const dead = await SocksRelay.start(parseProxy('socks5://u:right@127.0.0.1:1'));
    try {
      expect(wrong.server).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const since = Date.now();
      expect(await connectThrough(wrong.port, 'example.test:443')).toMatch(/^HTTP\/1\.1 597 /);
      expect(wrong.failureSince(since)?.kind).toBe('proxy_auth');
      expect(await connectThrough(right.port, 'example.test:443')).toMatch(/^HTTP\/1\.1 599 /);
      expect(right.failureSince(since)?.kind).toBe('tunnel_failed');
      expect(await connectThrough(dead.port, 'example.test:443')).toMatch(/^HTTP\/1\.1 599 /);
      expect(dead.failureSince(since)?.kind).toBe('proxy_unreachable');
      expect(dead.failureSince(Date.now() + 1)).toBeUndefined();
    } finally {
      await Promise.all([wrong.close(), right.close(), dead.close()]);
    }
    expect(await accepts(wrong.port)).toBe(false);
  });

  it('starts one relay per proxy on demand, checks the upstream first, and closes with the proxy and the pool', async () => {
    const pool = new ProxyPool({
      proxies: [`socks5://u:right@127.0.0.1:${port}`, `socks5://w:wrong@127.0.0.1:${port}`, 'http://127.0.0.1:9'],
    });
    const relays = new RelayManager(pool, { checkTimeoutMs: 2_000, memoryMs: 10_000 });
    const [good, bad, plain] = pool.proxies;
    expect(await relays.routeFor(plain!)).toEqual({ server: 'http://127.0.0.1:9', username: undefined, password: undefined });
    const [a, b] = await Promise.all([relays.routeFor(good!, 'https://example.test/'), relays.routeFor(good!)]);
    expect(a.relay).toBe(b.relay);
    expect(a.username).toBeUndefined();
    expect(relays.running).toEqual([{ proxyId: good!.id, server: a.server }]);
    await expect(relays.routeFor(bad!, 'https://example.test/')).rejects.toMatchObject({ kind: 'proxy_auth' });
    expect(relays.running).toHaveLength(1);
    const relayPort = a.relay!.port;
    pool.remove(good!);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(relays.running).toEqual([]);
    expect(await accepts(relayPort)).toBe(false);
    pool.add(`socks5://u:right@127.0.0.1:${port}`);
    const again = await relays.routeFor(pool.proxies.find((p) => p.id === good!.id)!);
    await pool.close();
    expect(await accepts(again.relay!.port)).toBe(false);
    await expect(relays.routeFor(good!)).rejects.toThrow(/closed/);
  });
});
