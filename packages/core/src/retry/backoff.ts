import type { Random } from '../clock.js';
import type { RetryOptions } from '../options.js';

/**
 * The pause before retry number `retry` (0 for the first retry):
 * min(maxDelayMs, minDelayMs · factor^retry), and with jitter a uniform draw from
 * [delay/2, delay] ("equal jitter": spread out, never much shorter than asked).
 */
export function backoffDelay(retry: number, options: RetryOptions, random: Random): number {
  const delay = Math.min(options.maxDelayMs, options.minDelayMs * options.factor ** retry);
  if (!options.jitter) return delay;
  return Math.round(delay / 2 + random() * (delay / 2));
}
