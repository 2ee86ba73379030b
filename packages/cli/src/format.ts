import type { CheckResult } from './check.js';
import { byLatency, countVerdicts } from './order.js';
import { VERDICTS } from './verdicts.js';

export const FORMATS = ['table', 'json', 'csv', 'txt'] as const;
export type Format = (typeof FORMATS)[number];

/** The `--format json` shape (contract): `proxy` is the id, which never holds the password. */
export interface JsonResult {
  proxy: string;
  ok: boolean;
  kind?: string;
  latencyMs?: number;
}

export function toJsonResult(r: CheckResult): JsonResult {
  const json: JsonResult = { proxy: r.proxy.id, ok: r.ok };
  if (r.kind !== undefined) json.kind = r.kind;
  if (r.latencyMs !== undefined) json.latencyMs = r.latencyMs;
  return json;
}

/** The results in `format`, sorted by latency (usable ones first), ending with a newline. */
export function formatResults(results: readonly CheckResult[], format: Format): string {
  const sorted = byLatency(results);
  switch (format) {
    case 'json':
      return `${JSON.stringify(sorted.map(toJsonResult), null, 2)}\n`;
    case 'csv':
      return `proxy,ok,kind,latency_ms\n${sorted.map((r) => [r.proxy.id, r.ok, r.kind ?? '', r.latencyMs ?? ''].map(csvField).join(',')).join('\n')}\n`;
    case 'txt':
      return sorted.map((r) => `${r.proxy.id} ${verdict(r)}${r.latencyMs === undefined ? '' : ` ${r.latencyMs}ms`}\n`).join('');
    case 'table':
      return table(sorted);
  }
}

function verdict(r: CheckResult): string {
  return r.ok ? 'ok' : (r.kind ?? 'unknown');
}

function csvField(value: string | number | boolean): string {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function table(sorted: readonly CheckResult[]): string {
  const rows = sorted.map((r) => [
    r.proxy.id,
    `${verdict(r)}${r.status === undefined ? '' : ` (HTTP ${r.status})`}${r.sessions ? ` ${r.sessions.ok}/${r.sessions.total} sessions` : ''}`,
    r.latencyMs === undefined ? '' : `${r.latencyMs} ms`,
  ]);
  const header = ['PROXY', 'VERDICT', 'LATENCY'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const usable = sorted.filter((r) => r.ok).length;
  const counts = countVerdicts(sorted);
  const kindWidth = Math.max(...counts.map(([v]) => v.length));
  const countWidth = Math.max(...counts.map(([, n]) => String(n).length));
  return [
    line(header),
    ...rows.map(line),
    '',
    `${usable} of ${sorted.length} usable.`,
    ...counts.map(([v, n]) => `  ${v.padEnd(kindWidth)}  ${String(n).padStart(countWidth)}  ${VERDICTS[v as keyof typeof VERDICTS] ?? ''}`),
    '',
  ].join('\n');
}
