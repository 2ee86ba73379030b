import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { parseProxyList } from '@proxy-pool/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProxyFarm } from '../../../e2e/src/farm/index.js';
import { main } from '../src/index.js';

// The CLI runs as a child process from its TypeScript sources (tsx), against the local farm.
const packageDir = join(import.meta.dirname, '..');
const cli = join(packageDir, 'src/cli.ts');
const nodeArgs = ['--conditions=source', '--import', 'tsx', cli];
const SECRETS = ['pw-SECRET-good', 'pw-SECRET-wrong', 'pw-SECRET-right', 'gw-SECRET'];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], stdin?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [...nodeArgs, ...args], { cwd: packageDir, timeout: 20_000 }, (error, stdout, stderr) =>
      resolve({ code: child.exitCode ?? (error as { code?: number } | null)?.code ?? null, stdout, stderr }),
    );
    child.stdin?.end(stdin ?? '');
  });
}

/** The same `main` in this process, for the cases that need no second process of their own. */
async function runHere(args: string[], stdin = ''): Promise<Run> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const text = (stream: PassThrough) => {
    let all = '';
    stream.on('data', (chunk: Buffer) => (all += chunk.toString()));
    return () => all;
  };
  const out = text(stdout);
  const err = text(stderr);
  const code = await main(args, { stdin: Readable.from([stdin]), stdout, stderr });
  return { code, stdout: out(), stderr: err() };
}

function noSecrets(...runs: Run[]): void {
  for (const r of runs) for (const secret of SECRETS) expect(r.stdout + r.stderr).not.toContain(secret);
}

let farm: ProxyFarm;
let dir: string;
let url: string;
let list: string;
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'proxy-pool-cli-'));
  farm = await ProxyFarm.start({
    proxies: [
      { name: 'good', mode: 'good', credentials: { username: 'u', password: 'pw-SECRET-good' } },
      { name: 'plain', mode: 'good' },
      { name: 'slow', mode: 'slow', delayMs: 300 },
      { name: 'refuse', mode: 'refuse' },
      { name: 'hang', mode: 'hang' },
      { name: '502', mode: 'error502' },
      {
        name: '407',
        mode: 'good',
        credentials: { username: 'u', password: 'pw-SECRET-right' },
        listedCredentials: { username: 'u', password: 'pw-SECRET-wrong' },
      },
    ],
  });
  url = farm.site.url('/page/1');
  const gateway = `http://cust-{session}:gw-SECRET@127.0.0.1:${farm.proxy('plain').port}`;
  // Several formats: a URL, host:port:user:pass, a comment, a gateway.
  const good = farm.proxy('good');
  list = [
    '# the farm',
    `127.0.0.1:${good.port}:u:pw-SECRET-good`,
    ...farm.proxies.filter((p) => p.name !== 'good').map((p) => p.url),
    gateway,
  ].join('\n');
});

afterAll(async () => {
  await farm?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('proxy-pool check', () => {
  it('prints json, csv and txt verdicts, writes the usable proxies with --out, and exits 0', async () => {
    const input = file('list.txt', list);
    const out = join(dir, 'usable.txt');
    const common = ['--url', url, '--timeout', '2000', '--concurrency', '20'];
    const [json, csv, txt] = await Promise.all([
      run(['check', input, ...common, '--format', 'json', '--out', out]),
      run(['check', '-', ...common, '--format', 'csv'], list),
      runHere(['check', input, ...common, '--format', 'txt']),
    ]);
    for (const r of [json, csv, txt]) expect(r.code, r.stderr).toBe(0);
    noSecrets(json, csv, txt);

    const results = JSON.parse(json.stdout) as Array<{ proxy: string; ok: boolean; kind?: string; latencyMs?: number }>;
    const verdict = (name: string) => results.find((r) => r.proxy === farm.proxy(name).id);
    expect(results).toHaveLength(8);
    expect(verdict('good')).toEqual({ proxy: farm.proxy('good').id, ok: true, latencyMs: expect.any(Number) });
    expect(verdict('slow')).toMatchObject({ ok: true });
    expect(verdict('slow')!.latencyMs).toBeGreaterThanOrEqual(300);
    expect(verdict('refuse')).toEqual({ proxy: farm.proxy('refuse').id, ok: false, kind: 'proxy_unreachable' });
    expect(verdict('hang')).toMatchObject({ ok: false, kind: 'timeout' });
    expect(verdict('407')).toMatchObject({ ok: false, kind: 'proxy_auth' });
    expect(verdict('502')).toMatchObject({ ok: false });
    expect(results.find((r) => r.proxy.includes('cust-%7Bsession%7D'))).toMatchObject({ ok: true });
    // Sorted by latency, the usable ones first.
    const usable = results.filter((r) => r.ok);
    expect(results.slice(0, usable.length)).toEqual(usable);
    expect(usable.map((r) => r.latencyMs)).toEqual([...usable.map((r) => r.latencyMs!)].sort((a, b) => a - b));

    // --out: the usable ones, credentials kept, readable by parseProxyList.
    const written = parseProxyList(readFileSync(out, 'utf8'));
    expect(written.map((p) => p.id)).toEqual(usable.map((r) => r.proxy));
    expect(written.find((p) => p.id === farm.proxy('good').id)?.password).toBe('pw-SECRET-good');
    expect(written.find((p) => p.username === 'cust-{session}')?.password).toBe('gw-SECRET');
    expect(json.stderr).toContain(`wrote ${usable.length} usable proxies to ${out}`);

    expect(csv.stdout.split('\n')[0]).toBe('proxy,ok,kind,latency_ms');
    expect(csv.stdout).toContain(`${farm.proxy('refuse').id},false,proxy_unreachable,`);
    expect(txt.stdout).toContain(`${farm.proxy('hang').id} timeout\n`);
    expect(txt.stdout).toMatch(new RegExp(`${farm.proxy('plain').id.replaceAll('.', '\\.')} ok \\d+ms`));
    // No terminal: plain progress lines, no escape codes.
    expect(json.stderr).toContain('checked 8/8 (ok 4,');
    expect(json.stderr).not.toContain('\x1b[');
  });

  it('prints a table with a line of explanation per verdict, and exits 1 when nothing works', async () => {
    const dead = file('dead.txt', [farm.proxy('refuse').url, farm.proxy('hang').url, farm.proxy('407').url].join('\n'));
    const r = await run(['check', dead, '--url', url, '--timeout', '1500']);
    expect(r.code, r.stderr).toBe(1);
    noSecrets(r);
    expect(r.stdout).toMatch(/^PROXY\s+VERDICT\s+LATENCY$/m);
    expect(r.stdout).toContain('0 of 3 usable.');
    expect(r.stdout).toMatch(/proxy_unreachable\s+1\s+nothing answers at the proxy address/);
    expect(r.stdout).toMatch(/proxy_auth\s+1\s+the proxy refused the credentials/);
    expect(r.stdout).toMatch(/timeout\s+1\s+no answer in time/);
  });

  it('exits 2 on bad input, naming the line, never the password', async () => {
    const bad = file('bad.txt', `${farm.proxy('plain').url}\n\n127.0.0.1:99999:u:pw-SECRET-wrong\n`);
    const spaced = file('spaced.txt', '# ok\n127.0.0.1:8080 u pw-SECRET-wrong\n');
    const [r1, r2, r3, r4, r5] = await Promise.all([
      run(['check', bad, '--url', url]),
      runHere(['check', spaced, '--url', url]),
      runHere(['check', join(dir, 'missing.txt')]),
      runHere(['check', bad, '--format', 'xml']),
      runHere(['check', '-'], '# nothing\n'),
    ]);
    for (const r of [r1, r2, r3, r4, r5]) expect(r.code, r.stderr).toBe(2);
    noSecrets(r1, r2, r3, r4, r5);
    expect(r1.stderr).toBe(`proxy-pool: line 3 of ${bad}: the port 99999 is out of range (1-65535)\n`);
    expect(r2.stderr).toContain(`line 2 of ${spaced}: a proxy cannot contain spaces`);
    expect(r3.stderr).toContain('cannot read');
    expect(r4.stderr).toContain('--format is one of table, json, csv, txt');
    expect(r5.stderr).toContain('no proxies found');
    expect(r1.stdout + r2.stdout).toBe('');
  });

  it('reads a list with a byte-order mark and CRLF line ends', async () => {
    const r = await runHere(
      ['check', '-', '--url', url, '--format', 'json'],
      `\uFEFF${farm.proxy('plain').url}\r\n${farm.proxy('slow').url}\r\n`,
    );
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as Array<{ ok: boolean }>).map((x) => x.ok)).toEqual([true, true]);
  });

  it('answers --help and --version', async () => {
    const [help, version, none] = await Promise.all([runHere(['--help']), run(['--version']), runHere([])]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: proxy-pool check <file|-> [options]');
    for (const option of ['--url', '--timeout', '--concurrency', '--format', '--out']) expect(help.stdout).toContain(option);
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')).version);
    expect(none.code).toBe(2);
  });

  const hasScript = spawnSync('script', ['--version']).status === 0;
  it.skipIf(!hasScript)('draws a progress bar with counts and an ETA on a terminal', async () => {
    const input = file('tty.txt', [farm.proxy('plain').url, farm.proxy('refuse').url, farm.proxy('slow').url].join('\n'));
    const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
    const command = [process.execPath, ...nodeArgs, 'check', input, '--url', url, '--timeout', '2000'].map(quote).join(' ');
    // util-linux's script runs the command under a pseudo-terminal; -e passes its exit status on.
    const r = await new Promise<Run>((resolve) => {
      const child = execFile('script', ['-qfec', command, '/dev/null'], { cwd: packageDir, timeout: 20_000 }, (_e, stdout, stderr) =>
        resolve({ code: child.exitCode, stdout, stderr }),
      );
      child.stdin?.end();
    });
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/checking .*█.* 3\/3 \| ETA \d+s \| ok 2, proxy_unreachable 1/);
    expect(r.stdout).toContain('\x1b[');
    expect(r.stdout).not.toContain('checked 3/3');
    expect(r.stdout).toContain('2 of 3 usable.');
  });
});
