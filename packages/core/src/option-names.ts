/**
 * Unknown option names. A JavaScript caller who writes `new ProxyPool({ limts: … })` gets no
 * type error: the pool names the option it does not know and the closest one it does.
 */
import { InvalidOptionError } from './errors.js';

/** Throws `InvalidOptionError` for the first key of `value` not in `known` (prefix: where `value` sits, e.g. `limits.`). */
export function checkOptionNames(value: object, known: readonly string[], prefix = ''): void {
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const suggestion = closest(key, known);
    const hint = suggestion
      ? ` Did you mean \`${prefix}${suggestion}\`?`
      : ` Known options: ${known.map((k) => `\`${prefix}${k}\``).join(', ')}.`;
    throw new InvalidOptionError(`Unknown option \`${prefix}${key}\`.${hint}`, `${prefix}${key}`);
  }
}

/** The known name nearest to `name` (case-insensitive edit distance ≤ a third of its length, at least 2), if any. */
export function closest(name: string, known: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const candidate of known) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Damerau–Levenshtein (optimal string alignment): a swapped pair of letters counts once. */
function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array(rows * cols).fill(0);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[(i - 1) * cols + j]! + 1, d[i * cols + j - 1]! + 1, d[(i - 1) * cols + j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[(i - 2) * cols + j - 2]! + 1);
      d[i * cols + j] = v;
    }
  }
  return d[rows * cols - 1]!;
}
