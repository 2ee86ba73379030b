import { FAILURE_KINDS } from '@proxy-pool/core';
import type { CheckResult } from './check.js';

/** Usable proxies first, fastest first; then failures grouped by kind; ties keep the list's order. */
export function byLatency(results: readonly CheckResult[]): CheckResult[] {
  const rank = (r: CheckResult) => (r.ok ? -1 : FAILURE_KINDS.indexOf(r.kind ?? 'unknown'));
  return results
    .map((result, index) => ({ result, index }))
    .sort(
      (a, b) =>
        rank(a.result) - rank(b.result) ||
        (a.result.latencyMs ?? Number.POSITIVE_INFINITY) - (b.result.latencyMs ?? Number.POSITIVE_INFINITY) ||
        a.index - b.index,
    )
    .map(({ result }) => result);
}

/** How many results have each verdict (`ok` or a failure kind), most frequent first. */
export function countVerdicts(results: Iterable<CheckResult>): Array<[verdict: string, count: number]> {
  const counts = new Map<string, number>();
  for (const r of results) {
    const verdict = r.ok ? 'ok' : (r.kind ?? 'unknown');
    counts.set(verdict, (counts.get(verdict) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => (a[0] === 'ok' ? -1 : b[0] === 'ok' ? 1 : b[1] - a[1]));
}
