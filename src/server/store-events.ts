/**
 * In-process change notification: the API and the SIP edge share one Store object in a single process, so
 * the edge hears about a connection write the moment it commits instead of on its next poll of the store's
 * connections version (which still catches writes by other processes).
 */
import type { Store } from '../store/store.js';

/** Store methods after which the set of connections (or what they mean) may have changed. */
const CONNECTION_WRITES: ReadonlySet<string> = new Set([
  'createConnection',
  'updateConnection',
  'deleteConnection',
  'updateTenant',
  'deleteTenant',
]);

export interface ObservedStore {
  readonly store: Store;
  /** Listen for committed connection writes; returns the unsubscribe function. */
  onConnectionsChanged(listener: () => void): () => void;
}

export function observeConnectionWrites(store: Store): ObservedStore {
  const listeners = new Set<() => void>();
  const notify = (): void => {
    for (const l of listeners) {
      try {
        l();
      } catch {
        // A listener's failure is its own business; the write has committed either way.
      }
    }
  };
  // Bound methods are made once per name: the API calls the store on every request.
  const methods = new Map<string, unknown>();
  const proxy = new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof prop !== 'string' || typeof value !== 'function') return value;
      let method = methods.get(prop);
      if (method === undefined) {
        const fn = value as (...args: unknown[]) => unknown;
        method = CONNECTION_WRITES.has(prop)
          ? async (...args: unknown[]) => {
              const result = await fn.apply(target, args);
              notify();
              return result;
            }
          : fn.bind(target);
        methods.set(prop, method);
      }
      return method;
    },
  });
  return {
    store: proxy,
    onConnectionsChanged(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
