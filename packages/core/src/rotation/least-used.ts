import { type Candidate, type PickContext, type RotationStrategy, candidateAt, withRoom } from './strategy.js';

const WALK = 64;
/** Children per heap node: a 4-ary heap is half as deep as a binary one, and a node's children share two cache lines. */
const ARITY = 4;
/** Per heap node: in flight, uses, last used (-1 when never), and the candidate's index in the pool. */
const KEYS = 4;
const CANDIDATE = 3;

/**
 * The proxy with the fewest leases in flight, then the fewest uses, then the longest idle.
 *
 * An indexed 4-ary min-heap keeps that order as leases come and go, in O(log n) per change;
 * a pick walks the heap best-first past ineligible proxies (up to 64 of them) before it falls
 * back to a full scan, so that it stays O(1)-ish while most proxies are usable.
 *
 * The heap holds numbers only: each node's keys and its candidate's index in one Float64Array
 * in heap order, and each candidate's heap position in an Int32Array by index. A sift compares
 * and moves packed numbers and touches no proxy object, and a node is told from another by its
 * index, so the hooks work as well with the pool's by-index views as with candidate objects.
 * (With keys read from the proxies and positions in a Map, a sift at 100,000 proxies cost a
 * cache miss and a hash update per level: the pick-and-report benchmark ran at a third of the
 * speed.)
 */
export class LeastUsed implements RotationStrategy {
  readonly name = 'least-used';
  /** Nodes in the heap. */
  #size = 0;
  #keys = new Float64Array(64 * KEYS);
  /** Heap position by candidate index. */
  #position = new Int32Array(64);
  /** The node a sift is moving, kept aside (see #hold). */
  readonly #held = new Float64Array(KEYS);

  onAdded(candidate: Candidate): void {
    const at = this.#size++;
    this.#reserve(at + 1, candidate.index + 1);
    this.#position[candidate.index] = at;
    this.#readKeys(candidate, at);
    this.#up(at);
  }

  onRemoved(candidate: Candidate): void {
    const at = this.#find(candidate.index);
    if (at === -1) return;
    const lastAt = --this.#size;
    if (at < lastAt) {
      this.#keys.copyWithin(at * KEYS, lastAt * KEYS, lastAt * KEYS + KEYS);
      this.#position[this.#keys[at * KEYS + CANDIDATE]!] = at;
      this.#down(this.#up(at));
    }
  }

  onUpdated(candidate: Candidate): void {
    let at = this.#find(candidate.index);
    if (at === -1) {
      // Its index changed: the pool moved its last proxy into a removed one's place, and the
      // heap, one smaller now, is as long as that last index was.
      at = this.#find(this.#size);
      if (at === -1) return;
      this.#reserve(0, candidate.index + 1);
      this.#position[candidate.index] = at;
    }
    this.#readKeys(candidate, at);
    this.#down(this.#up(at));
  }

  pick(context: PickContext): Candidate | undefined {
    return candidateAt(context, this.pickIndex(context));
  }

  pickIndex(context: PickContext): number {
    // Used without the pool's hooks (e.g. wrapped by a custom strategy): plain scan.
    if (this.#size === 0) return minimum(context);
    const keys = this.#keys;
    // The usual case: the root is usable.
    if (context.isEligibleAt(keys[CANDIDATE]!)) return keys[CANDIDATE]!;
    // Best-first walk: a tiny frontier of heap positions, smallest key first.
    const frontier = [0];
    for (let seen = 0; frontier.length > 0 && seen < WALK; seen++) {
      let best = 0;
      for (let i = 1; i < frontier.length; i++) if (this.#less(frontier[i]!, frontier[best]!)) best = i;
      const at = frontier[best]!;
      frontier[best] = frontier[frontier.length - 1]!;
      frontier.pop();
      if (at > 0 && context.isEligibleAt(keys[at * KEYS + CANDIDATE]!)) return keys[at * KEYS + CANDIDATE]!;
      for (let child = ARITY * at + 1; child <= ARITY * at + ARITY && child < this.#size; child++) frontier.push(child);
    }
    return minimum(context);
  }

  /** The heap position of the candidate at `index`, or -1 when no node holds it. */
  #find(index: number): number {
    if (index < 0 || index >= this.#position.length) return -1;
    const at = this.#position[index]!;
    return at < this.#size && this.#keys[at * KEYS + CANDIDATE] === index ? at : -1;
  }

  #reserve(nodes: number, indexes: number): void {
    this.#keys = withRoom(this.#keys, nodes * KEYS);
    if (indexes > this.#position.length) {
      const grown = new Int32Array(Math.max(indexes, this.#position.length * 2));
      grown.set(this.#position);
      this.#position = grown;
    }
  }

  #readKeys(candidate: Candidate, at: number): void {
    const k = this.#keys;
    k[at * KEYS] = candidate.inFlight;
    k[at * KEYS + 1] = candidate.uses;
    k[at * KEYS + 2] = candidate.lastUsedAt ?? -1;
    k[at * KEYS + CANDIDATE] = candidate.index;
  }

  /** Whether the node at heap position a orders before the one at b. */
  #less(a: number, b: number): boolean {
    return keysBefore(this.#keys, a * KEYS, this.#keys, b * KEYS);
  }

  #up(at: number): number {
    if (at === 0 || !this.#less(at, Math.floor((at - 1) / ARITY))) return at;
    // Sift through a hole: parents move down into it, the rising node is written once, where it stops.
    this.#hold(at);
    while (at > 0) {
      const parent = Math.floor((at - 1) / ARITY);
      if (!this.#heldBefore(parent)) break;
      this.#moveNode(parent, at);
      at = parent;
    }
    this.#placeHeld(at);
    return at;
  }

  #down(at: number): void {
    const n = this.#size;
    const start = at;
    this.#hold(at);
    for (;;) {
      const first = ARITY * at + 1;
      if (first >= n) break;
      let best = first;
      const end = Math.min(first + ARITY, n);
      for (let child = first + 1; child < end; child++) if (this.#less(child, best)) best = child;
      // Stop when the best child does not order before the sinking node.
      if (!this.#before(best)) break;
      this.#moveNode(best, at);
      at = best;
    }
    if (at !== start) this.#placeHeld(at);
  }

  /** Keeps the node at heap position `at` aside (its keys in #held) while a sift moves others. */
  #hold(at: number): void {
    const k = this.#keys;
    const h = this.#held;
    const x = at * KEYS;
    for (let i = 0; i < KEYS; i++) h[i] = k[x + i]!;
  }

  /** Whether the held node orders before the node at heap position `at`. */
  #heldBefore(at: number): boolean {
    return keysBefore(this.#held, 0, this.#keys, at * KEYS);
  }

  /** Whether the node at heap position `at` orders before the held node (ties: neither). */
  #before(at: number): boolean {
    return keysBefore(this.#keys, at * KEYS, this.#held, 0);
  }

  /** Copies the node at heap position `from` to `to` (the hole of a sift). */
  #moveNode(from: number, to: number): void {
    const k = this.#keys;
    const f = from * KEYS;
    const t = to * KEYS;
    k[t] = k[f]!;
    k[t + 1] = k[f + 1]!;
    k[t + 2] = k[f + 2]!;
    k[t + CANDIDATE] = k[f + CANDIDATE]!;
    this.#position[k[f + CANDIDATE]!] = to;
  }

  #placeHeld(at: number): void {
    const h = this.#held;
    const k = this.#keys;
    const x = at * KEYS;
    for (let i = 0; i < KEYS; i++) k[x + i] = h[i]!;
    this.#position[h[CANDIDATE]!] = at;
  }
}

/** Whether the keys at x in k order before those at y in m: in flight, then uses, then last used. */
function keysBefore(k: Float64Array, x: number, m: Float64Array, y: number): boolean {
  if (k[x] !== m[y]) return k[x]! < m[y]!;
  if (k[x + 1] !== m[y + 1]) return k[x + 1]! < m[y + 1]!;
  return k[x + 2]! < m[y + 2]!;
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
