import { type SavedHealth, applyHealth, saveHealth } from '../state.js';
import type { HealthRecord, HealthStore } from './record.js';

/**
 * Keeps what the pools that use it learned about proxies that left them, and hands it back
 * when a proxy comes back: remove a proxy and add it again later, or start a second pool in
 * the same process, and its health carries over instead of starting from the neutral prior.
 */
export class MemoryHealthStore implements HealthStore {
  readonly #saved = new Map<string, SavedHealth>();

  attach(proxyId: string, record: HealthRecord): void {
    const saved = this.#saved.get(proxyId);
    if (saved) applyHealth(record, saved);
  }

  detach(proxyId: string, record: HealthRecord): void {
    this.#saved.set(proxyId, saveHealth(record));
  }

  /** What the store holds, by proxy id. */
  get size(): number {
    return this.#saved.size;
  }
}
