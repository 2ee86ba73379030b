import type { Candidate, PickContext, RotationStrategy } from './strategy.js';

const WALK = 64;

/** Per heap node: in flight, uses, last used (-1 when never). Kept beside the heap, not read from the proxies. */
const KEYS = 3;

/**
 * The proxy with the fewest leases in flight, then the fewest uses, then the longest idle.
 *
 * An indexed binary min-heap keeps that order as leases come and go, in O(log n) per change;
 * a pick walks the heap best-first past ineligible proxies (up to 64 of them) before it falls
 * back to a full scan, so that it stays O(1)-ish while most proxies are usable.
 *
 * The heap's keys sit in one Float64Array in heap order and each proxy's heap position in its
 * `slot`: a sift compares packed numbers and touches no proxy object. (With the keys read
 * from the proxies and positions in a Map, a sift at 100,000 proxies cost a cache miss and a
 * hash update per level; the pick-and-report benchmark ran at a third of the speed.)
 */
export class LeastUsed implements RotationStrategy {
  readonly name = 'least-used';
  readonly #heap: Candidate[] = [];
  #keys = new Float64Array(64 * KEYS);

  onAdded(candidate: Candidate): void {
    const at = this.#heap.length;
    this.#heap.push(candidate);
    if ((at + 1) * KEYS > this.#keys.length) {
      const grown = new Float64Array(this.#keys.length * 2);
      grown.set(this.#keys);
      this.#keys = grown;
    }
    candidate.slot = at;
    this.#readKeys(candidate, at);
    this.#up(at);
  }

  onRemoved(candidate: Candidate): void {
    const at = candidate.slot;
    if (this.#heap[at] !== candidate) return;
    candidate.slot = -1;
    const lastAt = this.#heap.length - 1;
    const last = this.#heap.pop()!;
    if (at < lastAt) {
      this.#place(last, at);
      this.#readKeys(last, at);
      this.#down(this.#up(at));
    }
  }

  onUpdated(candidate: Candidate): void {
    const at = candidate.slot;
    if (this.#heap[at] !== candidate) return;
    this.#readKeys(candidate, at);
    this.#down(this.#up(at));
  }

  pick(context: PickContext): Candidate | undefined {
    const heap = this.#heap;
    if (heap.length === 0) {
      // Used without the pool's hooks (e.g. wrapped by a custom strategy): plain scan.
      return minimum(context, context.candidates);
    }
    if (context.isEligible(heap[0]!)) return heap[0]; // the usual case
    // Best-first walk: a tiny frontier of heap indexes, smallest key first.
    const frontier = [0];
    for (let seen = 0; frontier.length > 0 && seen < WALK; seen++) {
      let best = 0;
      for (let i = 1; i < frontier.length; i++) if (this.#less(frontier[i]!, frontier[best]!)) best = i;
      const index = frontier[best]!;
      frontier[best] = frontier[frontier.length - 1]!;
      frontier.pop();
      const candidate = heap[index]!;
      if (context.isEligible(candidate)) return candidate;
      if (2 * index + 1 < heap.length) frontier.push(2 * index + 1);
      if (2 * index + 2 < heap.length) frontier.push(2 * index + 2);
    }
    return minimum(context, heap);
  }

  #readKeys(candidate: Candidate, at: number): void {
    const k = this.#keys;
    k[at * KEYS] = candidate.inFlight;
    k[at * KEYS + 1] = candidate.uses;
    k[at * KEYS + 2] = candidate.lastUsedAt ?? -1;
  }

  /** Whether the node at heap position a orders before the one at b. */
  #less(a: number, b: number): boolean {
    const k = this.#keys;
    const x = a * KEYS;
    const y = b * KEYS;
    if (k[x] !== k[y]) return k[x]! < k[y]!;
    if (k[x + 1] !== k[y + 1]) return k[x + 1]! < k[y + 1]!;
    return k[x + 2]! < k[y + 2]!;
  }

  #place(candidate: Candidate, at: number): void {
    this.#heap[at] = candidate;
    candidate.slot = at;
  }

  #swap(a: number, b: number): void {
    const heap = this.#heap;
    const item = heap[a]!;
    this.#place(heap[b]!, a);
    this.#place(item, b);
    const k = this.#keys;
    for (let i = 0; i < KEYS; i++) {
      const t = k[a * KEYS + i]!;
      k[a * KEYS + i] = k[b * KEYS + i]!;
      k[b * KEYS + i] = t;
    }
  }

  #up(index: number): number {
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!this.#less(index, parent)) break;
      this.#swap(index, parent);
      index = parent;
    }
    return index;
  }

  #down(index: number): void {
    const n = this.#heap.length;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && this.#less(right, left) ? right : left;
      if (!this.#less(child, index)) break;
      this.#swap(index, child);
      index = child;
    }
  }
}

function less(a: Candidate, b: Candidate): boolean {
  if (a.inFlight !== b.inFlight) return a.inFlight < b.inFlight;
  if (a.uses !== b.uses) return a.uses < b.uses;
  return (a.lastUsedAt ?? -1) < (b.lastUsedAt ?? -1);
}

function minimum(context: PickContext, candidates: readonly Candidate[]): Candidate | undefined {
  let best: Candidate | undefined;
  for (const candidate of candidates) {
    if (context.isEligible(candidate) && (!best || less(candidate, best))) best = candidate;
  }
  return best;
}
