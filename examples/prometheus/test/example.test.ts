import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { runExample } from '../../../e2e/src/run-example.js';
import { parseExposition, valueOf } from '../../../packages/prometheus/test/exposition.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..');

it('serves the pool on /metrics, in the Prometheus text format', async () => {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'main.ts'], {
    cwd: dir,
    env: { ...process.env, SERVE: '1', PROXIES: '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const found = /metrics at (\S+)/.exec(out);
        if (found) resolve(found[1]!);
      });
      child.once('exit', (code) => reject(new Error(`the example exited (${code}) before serving: ${out}`)));
    });
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    const text = await response.text();
    const metrics = parseExposition(text);
    for (const [name, type] of [
      ['proxy_pool_outcomes_total', 'counter'],
      ['proxy_pool_proxies', 'gauge'],
      ['proxy_pool_latency_seconds', 'histogram'],
      ['proxy_pool_acquire_wait_seconds', 'histogram'],
      ['proxy_pool_banned_proxies', 'gauge'],
      ['proxy_pool_bans', 'gauge'],
      ['proxy_pool_targets_down', 'gauge'],
      ['proxy_pool_proxy_health_score', 'gauge'],
      ['process_cpu_seconds_total', 'counter'],
    ] as const) {
      expect(metrics.get(name)?.type, name).toBe(type);
      expect(metrics.get(name)?.help, name).not.toBe('');
    }
    // The farm's five proxies, probed once: good and slow work, dead/hanging/wrong-password fail; then 5 successes.
    expect(valueOf(metrics, 'proxy_pool_outcomes_total', { kind: 'success' })).toBe(7);
    expect(valueOf(metrics, 'proxy_pool_outcomes_total', { kind: 'proxy_unreachable' })).toBe(1);
    expect(valueOf(metrics, 'proxy_pool_outcomes_total', { kind: 'proxy_auth' })).toBe(1);
    expect(valueOf(metrics, 'proxy_pool_outcomes_total', { kind: 'timeout' })).toBe(1);
    expect(
      metrics
        .get('proxy_pool_outcomes_total')!
        .samples.map((s) => s.labels.kind)
        .sort(),
    ).toEqual(
      [
        'success',
        'proxy_unreachable',
        'proxy_auth',
        'proxy_error',
        'tunnel_failed',
        'connection',
        'timeout',
        'blocked',
        'rate_limited',
        'target_error',
        'client',
        'unknown',
      ].sort(),
    );
    expect(valueOf(metrics, 'proxy_pool_latency_seconds_count')).toBe(7);
    const states = Object.fromEntries(metrics.get('proxy_pool_proxies')!.samples.map((s) => [s.labels.state, s.value]));
    expect(states).toEqual({ closed: 2, open: 3, 'half-open': 0 }); // the timeout is charged: other proxies reached the site
    expect(metrics.get('proxy_pool_proxy_health_score')!.samples).toHaveLength(5);
    expect(text).not.toContain('wrong');
    expect((await fetch(url.replace('/metrics', '/other'))).status).toBe(404);
  } finally {
    child.kill('SIGTERM');
    if (child.exitCode === null) await once(child, 'exit');
  }
  expect(child.exitCode).toBe(0); // it closed its server, pool and farm, and exited by itself
});

it('runs as a one-shot: scrapes itself and prints the series', async () => {
  const out = await runExample(dir);
  expect(out).toMatch(/^proxy_pool_outcomes_total\{kind="success"\} 7$/m);
  expect(out).toMatch(/^proxy_pool_proxies\{state="open"\} 3$/m);
});
