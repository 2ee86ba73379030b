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
  /** Feeds a probe's outcome into the same path as real work. */
  reportProbe(proxy: Proxy, outcome: Outcome, url: string): void;
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

  /** One round over every proxy; resolves with what each probe found (skipping proxies already being probed). */
  async checkAll(): Promise<ProbeResult[]> {
    const queue = this.#host.proxies.filter((p) => !this.#probing.has(p.id));
    const results: ProbeResult[] = [];
    const worker = async () => {
      for (let proxy = queue.shift(); proxy; proxy = queue.shift()) {
        if (this.#stopped.signal.aborted || this.#host.closed) return;
        if (this.#probing.has(proxy.id)) continue;
        this.#probing.add(proxy.id);
        try {
          const outcome = await this.#probe(proxy, { ...this.#options, signal: this.#stopped.signal });
          if (this.#stopped.signal.aborted) return;
          this.#host.reportProbe(proxy, outcome, this.#options.url);
          results.push({ proxy, outcome });
        } finally {
          this.#probing.delete(proxy.id);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#options.concurrency, queue.length) }, worker));
    return results;
  }

  async stop(): Promise<void> {
    this.#stopped.abort();
    await this.#loop;
  }
}
