/**
 * `proxy-pool check` on a list of 1,000 proxies, 30% of them hanging, at --timeout 5000
 * --concurrency 100 (the numbers in packages/cli/README.md). The farm's good and hanging
 * proxies are listed under many usernames, so that each entry is a distinct proxy.
 *
 *   node --conditions=source --import tsx cli-check.ts [total=1000] [hangingShare=0.3]
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProxyFarm } from '@proxy-pool/e2e/farm';

const total = Number(process.argv[2] ?? 1_000);
const hangingShare = Number(process.argv[3] ?? 0.3);
const hanging = Math.round(total * hangingShare);

await using farm = await ProxyFarm.start({
  proxies: [
    ...Array.from({ length: 10 }, () => ({ mode: 'good' as const })),
    ...Array.from({ length: 5 }, () => ({ mode: 'hang' as const })),
  ],
});
const good = farm.proxies.filter((p) => p.spec.mode === 'good');
const hang = farm.proxies.filter((p) => p.spec.mode === 'hang');
const lines = Array.from({ length: total }, (_, i) => {
  const proxy = i < hanging ? hang[i % hang.length]! : good[i % good.length]!;
  return `http://user${i}:pw@127.0.0.1:${proxy.port}`;
});
// Shuffled, as a bought list would be (a fixed permutation, so runs compare).
for (let i = lines.length - 1, seed = 42; i > 0; i--) {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  const j = seed % (i + 1);
  [lines[i], lines[j]] = [lines[j]!, lines[i]!];
}
const dir = mkdtempSync(join(tmpdir(), 'cli-bench-'));
const list = join(dir, 'list.txt');
writeFileSync(list, `${lines.join('\n')}\n`);

const cli = join(import.meta.dirname, '../packages/cli/src/cli.ts');
const args = ['check', list, '--url', farm.site.url('/page/1'), '--timeout', '5000', '--concurrency', '100', '--format', 'json'];
const started = performance.now();
const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) =>
  execFile(process.execPath, ['--conditions=source', '--import', 'tsx', cli, ...args], { maxBuffer: 64 << 20 }, (error, stdout, stderr) =>
    error && error.code !== 0 ? reject(error) : resolve({ stdout, stderr }),
  ),
);
const seconds = (performance.now() - started) / 1000;
const results = JSON.parse(stdout) as Array<{ ok: boolean; kind?: string }>;
const counts: Record<string, number> = {};
for (const r of results) counts[r.ok ? 'ok' : r.kind!] = (counts[r.ok ? 'ok' : r.kind!] ?? 0) + 1;
console.log(stderr.trim().split('\n').at(-1));
console.log(
  `${total} proxies (${hanging} hanging), --timeout 5000 --concurrency 100: ${seconds.toFixed(1)} s wall (the floor is ${Math.ceil(hanging / 100) * 5} s of timeouts); ${JSON.stringify(counts)}`,
);
rmSync(dir, { recursive: true, force: true });
