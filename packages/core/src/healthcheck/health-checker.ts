import { isTargetSensitive } from '../failure-kinds.js';
import type { Outcome } from '../outcome.js';
import type { Proxy } from '../proxy.js';
import type { ProbeOptions } from './probe.js';

export interface ProbeResult {
  proxy: Proxy;
  outcome: Outcome;
}

export interface HealthCheckHost {
  readonly proxies: Proxy[];
  readonly closed: boolean;
  /**
   * Feeds a probe's outcome into the same path as real work. `proven`: the failure is the
   * proxy's (others answered the same URL in the same round), not one to hold for proof.
   */
  reportProbe(proxy: Proxy, outcome: Outcome, url: string, proven: boolean): void;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export type Prober = (proxy: Proxy, options: ProbeOptions) => Promise<Outcome>;

/**
 * Probes every proxy, open breakers included, every `intervalMs`, at most `concurrency` at
 * once and never twice at once for one proxy. Its timers never keep the process alive, and
 * `stop()` ends the loop and aborts the probes in flight.
 */
export class HealthChecker {
  readonly #host: HealthCheckHost;
  readonly #options: Omit<ProbeOptions, 'signal'> & { intervalMs: number; concurrency: number };
  readonly #probe: Prober;
  readonly #stopped = new AbortController();
  readonly #probing = new Set<string>();
  #loop: Promise<void> | undefined;

  constructor(host: HealthCheckHost, options: Omit<ProbeOptions, 'signal'> & { intervalMs: number; concurrency: number }, prober: Prober) {
    this.#host = host;
    this.#options = options;
    this.#probe = prober;
  }

  start(runNow: boolean): void {
    this.#loop ??= this.#run(runNow);
  }

  async #run(runNow: boolean): Promise<void> {
    const signal = this.#stopped.signal;
    try {
      if (!runNow) await this.#host.sleep(this.#options.intervalMs, signal);
      while (!signal.aborted) {
        await this.checkAll();
        await this.#host.sleep(this.#options.intervalMs, signal);
      }
    } catch {
      // stopped
    }
  }

  /**
   * One round over every proxy; resolves with what each probe found (skipping proxies already
   * being probed). A failure a down target could explain (a timeout, a refused tunnel) is the
   * proxy's when another proxy answered the same URL in the same round: it is reported as
   * proven, so that a proxy that never answers opens its breaker (held in target health it
   * would wait for a success of real work that health checks never bring). Failures that
   * come before the round's first answer wait for the round's end to be judged.
   */
  async checkAll(): Promise<ProbeResult[]> {
    const queue = this.#host.proxies.filter((p) => !this.#probing.has(p.id));
    const results: ProbeResult[] = [];
    const url = this.#options.url;
    let answered = false;
    let held: ProbeResult[] = [];
    const judge = (result: ProbeResult) => {
      const { proxy, outcome } = result;
      if (outcome.ok) {
        answered = true;
        this.#host.reportProbe(proxy, outcome, url, false);
        for (const waiting of held) this.#host.reportProbe(waiting.proxy, waiting.outcome, url, true);
        held = [];
      } else if (!isTargetSensitive(outcome.kind)) this.#host.reportProbe(proxy, outcome, url, false);
      else if (answered) this.#host.reportProbe(proxy, outcome, url, true);
      else held.push(result);
    };
    const worker = async () => {
      for (let proxy = queue.shift(); proxy; proxy = queue.shift()) {
        if (this.#stopped.signal.aborted || this.#host.closed) return;
        if (this.#probing.has(proxy.id)) continue;
        this.#probing.add(proxy.id);
        try {
          const outcome = await this.#probe(proxy, { ...this.#options, signal: this.#stopped.signal });
          if (this.#stopped.signal.aborted) return;
          results.push({ proxy, outcome });
          judge({ proxy, outcome });
        } finally {
          this.#probing.delete(proxy.id);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#options.concurrency, queue.length) }, worker));
    // Nothing answered this round: the URL may be down; the failures go the usual way.
    if (!this.#stopped.signal.aborted && !this.#host.closed)
      for (const waiting of held) this.#host.reportProbe(waiting.proxy, waiting.outcome, url, false);
    return results;
  }

  async stop(): Promise<void> {
    this.#stopped.abort();
    await this.#loop;
  }
}
