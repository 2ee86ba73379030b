/**
 * What sits behind one session of a farm gateway:
 * - `good`: forwards to the target
 * - `banned`: forwards, and the target site bans it (the site decides, through the farm registry)
 * - `dead`: the exit node is gone; the gateway answers 502 itself, labelled as its own
 * - `slow`: forwards after the gateway's `slowMs`
 */
export type ExitKind = 'good' | 'banned' | 'dead' | 'slow';

export const EXIT_KINDS: readonly ExitKind[] = ['good', 'banned', 'dead', 'slow'];

export interface Exit {
  /** Unique in the farm: what the target site sees as the proxy (`gateway-1/exit-7`). */
  id: string;
  kind: ExitKind;
}

interface SessionRow {
  exit: Exit;
  assignedAt: number;
  lastUsedAt: number;
  requests: number;
}

export interface ExitTableOptions {
  /** Prefix of exit ids. */
  name: string;
  /** Relative weights of exit kinds. */
  mix: Partial<Record<ExitKind, number>>;
  random: () => number;
  stickyMs: number;
  idleMs: number;
}

/** Why an exit was (re)assigned to a token. */
export type Assignment = 'kept' | 'new' | 'swapped' | 'idle';

/**
 * Sessions → exits, as a provider keeps them: a new token draws a fresh exit from the mix; the
 * same token keeps it for `stickyMs` from assignment, then gets a new one silently; a token
 * unused for `idleMs` gets a new one on its next request. Every exit drawn is new (a provider
 * has millions). Pure: time comes in as `now`.
 */
export class ExitTable {
  readonly #options: ExitTableOptions;
  readonly #weights: Array<[ExitKind, number]>;
  readonly #total: number;
  readonly #sessions = new Map<string, SessionRow>();
  #nextExit = 1;

  constructor(options: ExitTableOptions) {
    this.#options = options;
    this.#weights = EXIT_KINDS.map((kind): [ExitKind, number] => [kind, options.mix[kind] ?? 0]).filter(([, w]) => w > 0);
    for (const [kind, weight] of Object.entries(options.mix)) {
      if (!EXIT_KINDS.includes(kind as ExitKind)) throw new TypeError(`FarmGateway: mix has an unknown exit kind "${kind}"`);
      if (!(Number.isFinite(weight) && weight >= 0))
        throw new RangeError(`FarmGateway: mix.${kind} must be a finite number ≥ 0, got ${weight}`);
    }
    this.#total = this.#weights.reduce((sum, [, w]) => sum + w, 0);
    if (this.#total <= 0) throw new RangeError('FarmGateway: mix must give at least one exit kind a weight > 0');
  }

  /** Draws a fresh exit from the mix. */
  draw(): Exit {
    let roll = this.#options.random() * this.#total;
    let kind = this.#weights[this.#weights.length - 1]![0];
    for (const [k, w] of this.#weights) {
      if (roll < w) {
        kind = k;
        break;
      }
      roll -= w;
    }
    return { id: `${this.#options.name}/exit-${this.#nextExit++}`, kind };
  }

  /** The exit `token` goes through at `now` (undefined token: a fresh exit each time), and why. */
  use(token: string | undefined, now: number): { exit: Exit; assignment: Assignment } {
    if (token === undefined) return { exit: this.draw(), assignment: 'new' };
    const row = this.#sessions.get(token);
    let assignment: Assignment = 'kept';
    if (!row) assignment = 'new';
    else if (now - row.lastUsedAt >= this.#options.idleMs) assignment = 'idle';
    else if (now - row.assignedAt >= this.#options.stickyMs) assignment = 'swapped';
    if (!row) {
      const fresh = { exit: this.draw(), assignedAt: now, lastUsedAt: now, requests: 1 };
      this.#sessions.set(token, fresh);
      return { exit: fresh.exit, assignment };
    }
    if (assignment !== 'kept') {
      row.exit = this.draw();
      row.assignedAt = now;
    }
    row.lastUsedAt = now;
    row.requests++;
    return { exit: row.exit, assignment };
  }

  /** Marks `token` used at `now` without a new request (a CONNECT tunnel that carried traffic until now). */
  touch(token: string | undefined, now: number): void {
    const row = token === undefined ? undefined : this.#sessions.get(token);
    if (row) row.lastUsedAt = Math.max(row.lastUsedAt, now);
  }

  /** The exit `token` has now (without using it), if it has one. */
  exitOf(token: string): Exit | undefined {
    return this.#sessions.get(token)?.exit;
  }

  /** Requests made with `token` so far. */
  requestsOf(token: string): number {
    return this.#sessions.get(token)?.requests ?? 0;
  }

  get sessions(): number {
    return this.#sessions.size;
  }
}
