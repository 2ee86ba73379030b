import type { Writable } from 'node:stream';
import cliProgress from 'cli-progress';
import type { CheckResult } from './check.js';
import { countVerdicts } from './order.js';

/** Shows how far a check is: a live bar on a terminal, a plain line now and then elsewhere (CI logs). */
export interface Progress {
  update(result: CheckResult): void;
  stop(): void;
}

export function createProgress(stream: Writable & { isTTY?: boolean }, total: number, options: { plainEveryMs?: number } = {}): Progress {
  return stream.isTTY ? new BarProgress(stream, total) : new PlainProgress(stream, total, options.plainEveryMs ?? 2_000);
}

function summary(results: readonly CheckResult[]): string {
  return countVerdicts(results)
    .map(([verdict, n]) => `${verdict} ${n}`)
    .join(', ');
}

/** cli-progress's bar, with the counts by verdict as its payload and its ETA. */
class BarProgress implements Progress {
  readonly #bar: cliProgress.SingleBar;
  readonly #results: CheckResult[] = [];

  constructor(stream: Writable, total: number) {
    this.#bar = new cliProgress.SingleBar(
      {
        stream,
        format: 'checking {bar} {value}/{total} | ETA {eta_formatted} | {counts}',
        hideCursor: true,
        clearOnComplete: false,
        etaBuffer: 50,
        fps: 10,
      },
      cliProgress.Presets.shades_classic,
    );
    this.#bar.start(total, 0, { counts: '' });
  }

  update(result: CheckResult): void {
    this.#results.push(result);
    this.#bar.update(this.#results.length, { counts: summary(this.#results) });
  }

  stop(): void {
    this.#bar.stop();
  }
}

/** A line at most every `everyMs`, and one at the end: `checked 40/100 (ok 30, timeout 10), about 12 s left`. */
class PlainProgress implements Progress {
  readonly #stream: Writable;
  readonly #total: number;
  readonly #results: CheckResult[] = [];
  readonly #started = performance.now();
  readonly #timer: NodeJS.Timeout;
  #lastShown = -1;

  constructor(stream: Writable, total: number, everyMs: number) {
    this.#stream = stream;
    this.#total = total;
    this.#timer = setInterval(() => this.#show(), everyMs);
    this.#timer.unref();
  }

  update(result: CheckResult): void {
    this.#results.push(result);
  }

  #show(): void {
    const done = this.#results.length;
    if (done === this.#lastShown) return;
    this.#lastShown = done;
    const elapsed = performance.now() - this.#started;
    const left = done === 0 || done === this.#total ? '' : `, about ${Math.ceil(((elapsed / done) * (this.#total - done)) / 1000)} s left`;
    this.#stream.write(`checked ${done}/${this.#total}${done > 0 ? ` (${summary(this.#results)})` : ''}${left}\n`);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#show();
  }
}
