/**
 * A crawler that restarts should not relearn which proxies are dead. The pool's state
 * (scores, breakers, bans — by proxy id, never passwords) goes to a file and comes back.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProxyPool } from '@proxy-pool/core';

const proxies = ['http://user:s3cret@10.0.0.1:8080', '10.0.0.2:8080', '10.0.0.3:8080'];
const file = join(mkdtempSync(join(tmpdir(), 'proxy-pool-')), 'health.json');

// First run: the pool learns that 10.0.0.1 is dead and that shop.example bans 10.0.0.2.
{
  await using pool = new ProxyPool({ proxies });
  for (let i = 0; i < 5; i++) pool.report('http://user@10.0.0.1:8080', { ok: false, kind: 'proxy_unreachable' });
  pool.report(
    'http://10.0.0.2:8080',
    { ok: false, kind: 'rate_limited', status: 429, retryAfterMs: 600_000 },
    { target: 'https://shop.example/' },
  );
  writeFileSync(file, JSON.stringify(pool));
}
const saved = readFileSync(file, 'utf8');
console.log(`saved ${saved.length} bytes; contains the password: ${saved.includes('s3cret')}`);

// Second run, with one proxy more: it starts from what the first one learned.
{
  await using pool = ProxyPool.restore(saved, { proxies: [...proxies, '10.0.0.4:8080'] });
  for (const m of pool.snapshot().proxies) {
    console.log(`${m.proxy.padEnd(28)} ${m.circuitState.padEnd(9)} banned on: ${m.bannedOn.join(', ') || '-'}`);
  }
  console.log(`a job for shop.example gets: ${pool.getProxy({ target: 'https://shop.example/cart' })?.id}`);
}
