import { targetKey } from '@proxy-pool/core';
import { type PreflightOrigin, preflightOrigin } from './preflight-origin.js';

/** Targets remembered at most; the memory starts over when full (it is a hint, not state). */
const MAX_TARGETS = 1_024;

/**
 * Where jobs for a target actually went: the origin (scheme, host, port) of the last
 * main-frame navigation of a job, by the target the job named. A target says which site
 * (`shop.example`, `https://shop.example/`), not always on which port or scheme its pages are;
 * once a job has navigated, pre-flight checks for that target look where its pages are.
 * Only a navigation to the target's own site is remembered (a job that wanders off to
 * another site says nothing of where this one lives).
 */
export class LearnedOrigins {
  readonly #origins = new Map<string, PreflightOrigin>();

  /** The origin jobs for `target` navigated to, if one did. */
  get(target: string | URL | undefined): PreflightOrigin | undefined {
    return target === undefined ? undefined : this.#origins.get(String(target));
  }

  /** A job for `target` navigated its main frame to `url`. */
  navigated(target: string | URL | undefined, url: string): void {
    if (target === undefined) return;
    const origin = preflightOrigin(url);
    const named = preflightOrigin(target);
    if (!origin || !named || targetKey(origin.host) !== targetKey(named.host)) return;
    const key = String(target);
    const known = this.#origins.get(key);
    if (known && known.host === origin.host && known.port === origin.port && known.tunnel === origin.tunnel) return;
    if (this.#origins.size >= MAX_TARGETS) this.#origins.clear();
    this.#origins.set(key, origin);
  }
}
