import type { Proxy } from '../proxy.js';

/** What a rotation strategy sees of a proxy. */
export interface Candidate {
  readonly proxy: Proxy;
  /** Health score in [0, 1], refreshed on every outcome and when it grows stale. */
  readonly score: number;
  /** Leases of this proxy not yet ended. */
  readonly inFlight: number;
  /** Leases handed out so far. */
  readonly uses: number;
  readonly lastUsedAt: number | undefined;
  /** Exponentially weighted average latency of its successes, in ms; undefined before the first. */
  readonly latencyMs: number | undefined;
  /** Whether an outcome has been charged to it: one not yet judged scores the neutral 1/2, whatever the time. */
  readonly judged: boolean;
  /** Position in `PickContext.candidates`; it changes when a proxy before it is removed (onUpdated says so). */
  readonly index: number;
  /** The breaker's state: a half-open proxy is eligible for a trial (the pool says when it changes, through onUpdated). */
  readonly circuit: 'closed' | 'open' | 'half-open';
}

export interface PickContext {
  /**
   * Every proxy of the pool, usable or not, in a stable order (removal moves the last one
   * into the gap). Do not copy it on every pick: use `isEligible` on the ones you look at.
   */
  readonly candidates: readonly Candidate[];
  /** The target's key (registrable domain), when the caller named one. */
  readonly target: string | undefined;
  /** False for a proxy whose breaker is open (or half-open and full), that is banned for the target, excluded, or removed. */
  isEligible(candidate: Candidate): boolean;
  /**
   * `isEligible(candidates[index])`, for a strategy that picks by index: the pool answers it
   * from its own compact numbers without reading the candidate object, which at 100,000
   * proxies saves a cache miss a pick. False for an index out of range.
   */
  isEligibleAt(index: number): boolean;
  /**
   * `candidates[index]`'s numbers (every field of a Candidate but `proxy`, cheaply), read
   * from the pool's compact per-proxy table rather than from the candidate object: after
   * `isEligibleAt(index)` they are already in cache. The pool returns one reused view, pointed
   * at `index`: read what you need from it before the next call, and do not keep it. The pool
   * always provides it; a context made by hand (a test, a wrapper) may leave it out.
   */
  viewAt?(index: number): Candidate;
  /** The pool's random source (seeded in tests). */
  random(): number;
}

/**
 * A rotation strategy: one method, `pick`, which returns an eligible candidate or undefined
 * when there is none. The optional hooks let a strategy keep an index of its own.
 */
export interface RotationStrategy {
  readonly name?: string;
  pick(context: PickContext): Candidate | undefined;
  /**
   * The same pick as a position in `context.candidates`, -1 when there is none. Optional: when
   * a strategy has it, the pool calls it instead of `pick` and never has to read the chosen
   * candidate object (at 100,000 proxies, a cache miss per pick). Every built-in has it.
   */
  pickIndex?(context: PickContext): number;
  /** A proxy joined the pool. */
  onAdded?(candidate: Candidate): void;
  /** A proxy left the pool. */
  onRemoved?(candidate: Candidate): void;
  /** A proxy's inFlight, uses, score or index changed. */
  onUpdated?(candidate: Candidate): void;
}

/** The first eligible candidate at or after `start`, wrapping around; undefined if none. */
export function scanFrom(context: PickContext, start: number): Candidate | undefined {
  const index = scanIndexFrom(context, start);
  return index < 0 ? undefined : context.candidates[index];
}

/** Up to `tries` uniform draws; the first eligible one. O(1) while most of the pool is usable. */
export function sampleEligible(context: PickContext, tries: number): Candidate | undefined {
  const index = sampleEligibleIndex(context, tries);
  return index < 0 ? undefined : context.candidates[index];
}

/** `scanFrom` as a position (-1: none). */
export function scanIndexFrom(context: PickContext, start: number): number {
  const n = context.candidates.length;
  for (let i = 0; i < n; i++) {
    const index = (start + i) % n;
    if (context.isEligibleAt(index)) return index;
  }
  return -1;
}

/** `sampleEligible` as a position (-1: none). */
export function sampleEligibleIndex(context: PickContext, tries: number): number {
  const n = context.candidates.length;
  if (n === 0) return -1;
  for (let i = 0; i < tries; i++) {
    const index = Math.floor(context.random() * n);
    if (context.isEligibleAt(index)) return index;
  }
  return -1;
}

/** `pick` for a strategy that has `pickIndex`. */
export function candidateAt(context: PickContext, index: number): Candidate | undefined {
  return index < 0 ? undefined : context.candidates[index];
}

/** `context.viewAt(index)`, or the candidate itself where a hand-made context has no views. */
export function viewAt(context: PickContext, index: number): Candidate {
  return context.viewAt ? context.viewAt(index) : context.candidates[index]!;
}

/**
 * How many random draws a pick may spend before it falls back to scanning the whole pool: at
 * least `least`, and up to an eighth of the pool, about what the scan would cost (a draw reads
 * one proxy at random, a scan reads them all in order, several times faster each). In a pool
 * that is mostly dead, a fixed budget of 64 draws failed half the time and every such pick
 * scanned 100,000 proxies: the weighted rotation did 1,500 picks a second with 90% dead.
 */
export function drawBudget(candidates: number, least: number): number {
  return Math.max(least, candidates >> 3);
}
