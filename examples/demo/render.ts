import type { PoolSnapshot } from '@proxy-pool/core';

const tty = process.stdout.isTTY === true;
const color = (code: number, text: string) => (tty ? `\x1b[${code}m${text}\x1b[0m` : text);
export const green = (t: string) => color(32, t);
export const red = (t: string) => color(31, t);
export const yellow = (t: string) => color(33, t);
export const dim = (t: string) => color(2, t);
export const bold = (t: string) => color(1, t);

export function bar(done: number, total: number, width = 40): string {
  const filled = Math.round((done / Math.max(1, total)) * width);
  return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${done}/${total}`;
}

const STATE = { closed: green('closed   '), open: red('OPEN     '), 'half-open': yellow('half-open') } as const;

/** One line per proxy: name, breaker, score, successes, failures, the kind it fails with most, bans. */
export function table(snapshot: PoolSnapshot, nameOf: (id: string) => string): string[] {
  const lines = [dim(`${'proxy'.padEnd(20)} ${'state'.padEnd(9)} score  ${'ok'.padStart(4)} ${'fail'.padStart(4)}  mostly`)];
  for (const m of snapshot.proxies) {
    const kinds = Object.entries(m.failuresByKind).sort((a, b) => b[1] - a[1]);
    const mostly = kinds[0] ? `${kinds[0][0]}` : '';
    const banned = m.bannedOn.length > 0 ? red(' banned') : '';
    lines.push(
      `${nameOf(m.proxy).padEnd(20)} ${STATE[m.circuitState]} ${m.healthScore.toFixed(2)}  ${String(m.successfulRequests).padStart(4)} ${String(m.failedRequests).padStart(4)}  ${mostly}${banned}`,
    );
  }
  return lines;
}

let drawn = 0;

/** Redraws the screen region in place on a terminal; elsewhere (CI, pipes) prints nothing here. */
export function draw(lines: string[]): void {
  if (!tty) return;
  if (drawn > 0) process.stdout.write(`\x1b[${drawn}A`);
  for (const line of lines) process.stdout.write(`\x1b[2K${line}\n`);
  drawn = lines.length;
}

export const isTty = tty;
