/**
 * A small typed event emitter. Emitting is free when nobody listens: callers guard
 * the building of a payload with `has(event)`, the way pino guards disabled levels.
 */
export class TypedEvents<Events extends { [K in keyof Events]: (payload: never) => void }> {
  readonly #listeners = new Map<keyof Events, Set<Events[keyof Events]>>();

  /** Subscribes; returns the function that unsubscribes. */
  on<K extends keyof Events>(event: K, listener: Events[K]): () => void {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#listeners.delete(event);
    };
  }

  /** Subscribes for one event only. */
  once<K extends keyof Events>(event: K, listener: Events[K]): () => void {
    const off = this.on(event, ((payload: never) => {
      off();
      (listener as (p: never) => void)(payload);
    }) as Events[K]);
    return off;
  }

  has(event: keyof Events): boolean {
    return this.#listeners.has(event);
  }

  /**
   * Calls every listener. A listener that throws does not stop the others nor the pool:
   * its error goes to `onListenerError`.
   */
  emit<K extends keyof Events>(event: K, payload: Parameters<Events[K]>[0], onListenerError?: (error: unknown) => void): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as (p: typeof payload) => void)(payload);
      } catch (error) {
        onListenerError?.(error);
      }
    }
  }

  clear(): void {
    this.#listeners.clear();
  }
}
