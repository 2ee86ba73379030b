import type { Candidate, PickContext, RotationStrategy } from './strategy.js';

const WALK = 64;

/**
 * The proxy with the fewest leases in flight, then the fewest uses, then the longest idle.
 *
 * An indexed binary min-heap keeps that order as leases come and go, in O(log n) per change;
 * a pick walks the heap best-first past ineligible proxies (up to 64 of them) before it falls
 * back to a full scan, so that it stays O(1)-ish while most proxies are usable.
 */
export class LeastUsed implements RotationStrategy {
  readonly name = 'least-used';
  readonly #heap: Candidate[] = [];
  readonly #position = new Map<Candidate, number>();

  onAdded(candidate: Candidate): void {
    this.#heap.push(candidate);
    this.#position.set(candidate, this.#heap.length - 1);
    this.#up(this.#heap.length - 1);
  }

  onRemoved(candidate: Candidate): void {
    const index = this.#position.get(candidate);
    if (index === undefined) return;
    this.#position.delete(candidate);
    const last = this.#heap.pop()!;
    if (index < this.#heap.length) {
      this.#heap[index] = last;
      this.#position.set(last, index);
      this.#down(this.#up(index));
    }
  }

  onUpdated(candidate: Candidate): void {
    const index = this.#position.get(candidate);
    if (index !== undefined) this.#down(this.#up(index));
  }

  pick(context: PickContext): Candidate | undefined {
    const heap = this.#heap;
    if (heap.length === 0) {
      // Used without the pool's hooks (e.g. wrapped by a custom strategy): plain scan.
      return minimum(context, context.candidates);
    }
    // Best-first walk: a tiny frontier of heap indexes, smallest key first.
    const frontier = [0];
    for (let seen = 0; frontier.length > 0 && seen < WALK; seen++) {
      let best = 0;
      for (let i = 1; i < frontier.length; i++) if (less(heap[frontier[i]!]!, heap[frontier[best]!]!)) best = i;
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

  #up(index: number): number {
    const heap = this.#heap;
    const item = heap[index]!;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!less(item, heap[parent]!)) break;
      heap[index] = heap[parent]!;
      this.#position.set(heap[index]!, index);
      index = parent;
    }
    heap[index] = item;
    this.#position.set(item, index);
    return index;
  }

  #down(index: number): void {
    const heap = this.#heap;
    const n = heap.length;
    const item = heap[index]!;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && less(heap[right]!, heap[left]!) ? right : left;
      if (!less(heap[child]!, item)) break;
      heap[index] = heap[child]!;
      this.#position.set(heap[index]!, index);
      index = child;
    }
    heap[index] = item;
    this.#position.set(item, index);
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
