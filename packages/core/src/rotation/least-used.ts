import { type Candidate, type PickContext, type RotationStrategy, candidateAt, drawBudget } from './strategy.js';

/** Proxies a pick looks at, in order, past an unusable least-used one. */
const WALK = 16;
/** Then: usable proxies drawn at random, the least used of which is taken (and draws allowed for them). */
const SAMPLE = 8;
const SAMPLE_TRIES = 64;
/** Per candidate index in #links: the previous and next in its bucket's list, its bucket's id, and one unused (16 bytes). */
const LINKS = 4;
const PREV = 0;
const NEXT = 1;
const BUCKET = 2;
const NONE = -1;
/** In flight and uses in one number, in-flight first (the buckets' order): exact while in-flight stays under 2^21. */
const USES_RANGE = 2 ** 32;

/** The candidates with one (in flight, uses) pair, in a list from the longest idle to the latest used. */
interface Bucket {
  readonly id: number;
  inFlight: number;
  uses: number;
  key: number;
  head: number;
  tail: number;
  /** Position in the heap of buckets. */
  at: number;
}

/**
 * The proxy with the fewest leases in flight, then the fewest uses, then the longest idle.
 *
 * Candidates with the same in-flight count and uses share a bucket: a doubly linked list kept
 * in order of last use (by candidate index, in an Int32Array, no object per proxy). The
 * non-empty buckets sit in a small min-heap by (in flight, uses). A pick takes the head of the
 * least bucket; a lease moves its proxy to the tail of another bucket (its last use is the
 * latest), and the end of a lease moves it back among the idle ones, from the tail back to
 * its place (usually the tail: leases end in about the order they began). Each is O(1) in the
 * number of proxies: a heap ordered by the same keys cost a sift through log₄ n levels per
 * change, a cache miss a level at 100,000 proxies (the pick-and-report benchmark ran at 0.9 M/s
 * there against 1.9 M/s at 10 proxies).
 *
 * Unusable proxies (an open breaker, a ban for the target) gather at the front of that order:
 * they are the least used because they are not used. A pick walks past up to 16 of them; when
 * those are all unusable it takes the least used of 8 usable proxies drawn at random, which
 * keeps the load even but not in exact order, and a pick O(1): a full scan per pick made a pool
 * of 100,000 proxies with 30% dead ones do 460 picks a second. Only when usable proxies are
 * too rare to draw does it scan the whole pool. Used without the pool's hooks (wrapped by a
 * custom strategy, say), it scans.
 */
export class LeastUsed implements RotationStrategy {
  readonly name = 'least-used';
  #links = new Int32Array(64 * LINKS).fill(NONE);
  /** Last use by candidate index (-1: never), the order within a bucket. */
  #lastUsed = new Float64Array(64);
  /** Buckets by in-flight count, then by uses (small integers: V8's maps hash them fastest). */
  readonly #byInFlight: Map<number, Bucket>[] = [];
  /**
   * The last bucket to empty, kept (in its map and the heap) in case it fills again at once: a
   * lease empties and refills the same few buckets, and making and dropping one each time cost
   * more than the rest of the strategy. Any other empty bucket is dropped.
   */
  #spare: Bucket | undefined;
  /** Every bucket made so far, by id; emptied ones are reused. */
  readonly #buckets: Bucket[] = [];
  readonly #freeIds: number[] = [];
  /** The non-empty buckets, a binary min-heap by key. */
  readonly #heap: Bucket[] = [];
  /** Candidates in the buckets. */
  #count = 0;

  onAdded(candidate: Candidate): void {
    if (this.#tracked(candidate.index)) return;
    this.#place(candidate.index, candidate.inFlight, candidate.uses, candidate.lastUsedAt ?? -1);
    this.#count++;
  }

  onRemoved(candidate: Candidate): void {
    if (!this.#tracked(candidate.index)) return;
    this.#unlink(candidate.index);
    this.#count--;
  }

  onUpdated(candidate: Candidate): void {
    const index = candidate.index;
    const { inFlight, uses } = candidate;
    const lastUsed = candidate.lastUsedAt ?? -1;
    if (!this.#tracked(index)) {
      // Its index changed: the pool moved its last proxy into a removed one's place, and there
      // are now as many candidates as that last index was.
      const from = this.#count;
      if (from === index || !this.#tracked(from)) return;
      this.#unlink(from);
      this.#place(index, inFlight, uses, lastUsed);
      return;
    }
    const bucket = this.#buckets[this.#links[index * LINKS + BUCKET]!]!;
    // An outcome with nothing to reorder:
    if (bucket.inFlight === inFlight && bucket.uses === uses && this.#lastUsed[index] === lastUsed) return;
    this.#unlink(index);
    this.#place(index, inFlight, uses, lastUsed);
  }

  pick(context: PickContext): Candidate | undefined {
    return candidateAt(context, this.pickIndex(context));
  }

  pickIndex(context: PickContext): number {
    // The spare, if it is the least bucket, is empty: it has no proxy to offer.
    if (this.#spare !== undefined && this.#heap[0] === this.#spare) this.#dropSpare();
    if (this.#heap.length === 0) return minimum(context);
    // The usual case: the least bucket's longest idle proxy is usable.
    const first = this.#heap[0]!.head;
    if (context.isEligibleAt(first)) return first;
    // Walk on in order: the least bucket first (the usual find, with limits: its head was held
    // for this target, the next one is not), then the others by key, each from its longest idle
    // proxy. Sorting the buckets only when the least one runs out keeps the usual walk from
    // allocating (a copy and sort per pick cost a quarter of the rate with `minIntervalMs`).
    const links = this.#links;
    let seen = 1;
    for (let i = links[first * LINKS + NEXT]!; i !== NONE && seen < WALK; i = links[i * LINKS + NEXT]!, seen++) {
      if (context.isEligibleAt(i)) return i;
    }
    if (seen < WALK && this.#heap.length > 1) {
      const ordered = this.#heap.slice(1).sort((a, b) => a.key - b.key);
      for (const bucket of ordered) {
        for (let i = bucket.head; i !== NONE && seen < WALK; i = links[i * LINKS + NEXT]!, seen++) {
          if (context.isEligibleAt(i)) return i;
        }
        if (seen >= WALK) break;
      }
    }
    const sampled = this.#leastOfSample(context);
    return sampled >= 0 ? sampled : minimum(context);
  }

  /** The least used of up to SAMPLE usable proxies drawn at random; -1 when none was found. */
  #leastOfSample(context: PickContext): number {
    const n = context.candidates.length;
    let best = -1;
    let found = 0;
    const tries = drawBudget(n, SAMPLE_TRIES);
    for (let i = 0; i < tries && found < SAMPLE; i++) {
      const index = Math.floor(context.random() * n);
      if (!this.#tracked(index) || !context.isEligibleAt(index)) continue;
      found++;
      if (best < 0 || this.#before(index, best)) best = index;
    }
    return best;
  }

  /** Whether tracked candidate a orders before b: in flight, then uses, then last use. */
  #before(a: number, b: number): boolean {
    const bucketA = this.#buckets[this.#links[a * LINKS + BUCKET]!]!;
    const bucketB = this.#buckets[this.#links[b * LINKS + BUCKET]!]!;
    if (bucketA.key !== bucketB.key) return bucketA.key < bucketB.key;
    return this.#lastUsed[a]! < this.#lastUsed[b]!;
  }

  #tracked(index: number): boolean {
    return index >= 0 && index * LINKS < this.#links.length && this.#links[index * LINKS + BUCKET] !== NONE;
  }

  /** Puts candidate `index` into the bucket for (in flight, uses), in order of last use. */
  #place(index: number, inFlight: number, uses: number, lastUsed: number): void {
    this.#reserve(index + 1);
    const links = this.#links;
    const last = this.#lastUsed;
    const bucket = this.#byInFlight[inFlight]?.get(uses) ?? this.#newBucket(inFlight, uses);
    if (bucket === this.#spare) this.#spare = undefined;
    last[index] = lastUsed;
    // From the tail back: a proxy just leased was used last of all, and leases end in about
    // the order they began.
    let after = bucket.tail;
    while (after !== NONE && last[after]! > lastUsed) after = links[after * LINKS + PREV]!;
    const before = after === NONE ? bucket.head : links[after * LINKS + NEXT]!;
    const x = index * LINKS;
    links[x + PREV] = after;
    links[x + NEXT] = before;
    links[x + BUCKET] = bucket.id;
    if (after === NONE) bucket.head = index;
    else links[after * LINKS + NEXT] = index;
    if (before === NONE) bucket.tail = index;
    else links[before * LINKS + PREV] = index;
  }

  #unlink(index: number): void {
    const links = this.#links;
    const x = index * LINKS;
    const bucket = this.#buckets[links[x + BUCKET]!]!;
    const prev = links[x + PREV]!;
    const next = links[x + NEXT]!;
    if (prev === NONE) bucket.head = next;
    else links[prev * LINKS + NEXT] = next;
    if (next === NONE) bucket.tail = prev;
    else links[next * LINKS + PREV] = prev;
    links[x + PREV] = NONE;
    links[x + NEXT] = NONE;
    links[x + BUCKET] = NONE;
    if (bucket.head === NONE) {
      if (this.#spare !== undefined) this.#dropSpare();
      this.#spare = bucket;
    }
  }

  #dropSpare(): void {
    this.#dropBucket(this.#spare!);
    this.#spare = undefined;
  }

  #reserve(indexes: number): void {
    if (indexes * LINKS <= this.#links.length) return;
    const size = Math.max(indexes, (this.#links.length / LINKS) * 2);
    const links = new Int32Array(size * LINKS).fill(NONE);
    links.set(this.#links);
    this.#links = links;
    const last = new Float64Array(size);
    last.set(this.#lastUsed);
    this.#lastUsed = last;
  }

  #newBucket(inFlight: number, uses: number): Bucket {
    const key = inFlight * USES_RANGE + uses;
    const id = this.#freeIds.pop();
    const bucket: Bucket =
      id === undefined ? { id: this.#buckets.length, inFlight, uses, key, head: NONE, tail: NONE, at: 0 } : this.#buckets[id]!;
    if (id === undefined) this.#buckets.push(bucket);
    bucket.inFlight = inFlight;
    bucket.uses = uses;
    bucket.key = key;
    bucket.head = NONE;
    bucket.tail = NONE;
    while (this.#byInFlight.length <= inFlight) this.#byInFlight.push(new Map());
    this.#byInFlight[inFlight]!.set(uses, bucket);
    bucket.at = this.#heap.length;
    this.#heap.push(bucket);
    this.#siftUp(bucket.at);
    return bucket;
  }

  #dropBucket(bucket: Bucket): void {
    this.#byInFlight[bucket.inFlight]!.delete(bucket.uses);
    this.#freeIds.push(bucket.id);
    const heap = this.#heap;
    const last = heap.pop()!;
    if (last !== bucket) {
      heap[bucket.at] = last;
      last.at = bucket.at;
      this.#siftDown(this.#siftUp(last.at));
    }
  }

  #siftUp(at: number): number {
    const heap = this.#heap;
    const bucket = heap[at]!;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (heap[parent]!.key <= bucket.key) break;
      heap[at] = heap[parent]!;
      heap[at]!.at = at;
      at = parent;
    }
    heap[at] = bucket;
    bucket.at = at;
    return at;
  }

  #siftDown(at: number): void {
    const heap = this.#heap;
    const bucket = heap[at]!;
    for (;;) {
      let child = 2 * at + 1;
      if (child >= heap.length) break;
      if (child + 1 < heap.length && heap[child + 1]!.key < heap[child]!.key) child++;
      if (heap[child]!.key >= bucket.key) break;
      heap[at] = heap[child]!;
      heap[at]!.at = at;
      at = child;
    }
    heap[at] = bucket;
    bucket.at = at;
  }
}

function less(a: Candidate, b: Candidate): boolean {
  if (a.inFlight !== b.inFlight) return a.inFlight < b.inFlight;
  if (a.uses !== b.uses) return a.uses < b.uses;
  return (a.lastUsedAt ?? -1) < (b.lastUsedAt ?? -1);
}

/** The least-used eligible candidate by a full scan; -1 when none is eligible. */
function minimum(context: PickContext): number {
  const { candidates } = context;
  let best = -1;
  for (let i = 0; i < candidates.length; i++) {
    if (context.isEligibleAt(i) && (best < 0 || less(candidates[i]!, candidates[best]!))) best = i;
  }
  return best;
}
