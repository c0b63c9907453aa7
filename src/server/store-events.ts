/**
 * In-process change notification: the API and the SIP edge share one Store object in a single process, so
 * the edge hears about a connection write the moment it commits instead of on its next poll of the store's
 * connections version (which still catches writes by other processes).
 */
import type { ConnectionChange } from '../edge/connection-loader.js';
import type { Connection } from '../model/index.js';
import type { Store } from '../store/store.js';

export type { ConnectionChange };

function changeOf(method: string, args: readonly unknown[], result: unknown): ConnectionChange | undefined {
  switch (method) {
    case 'createConnection':
    case 'updateConnection':
      return result === undefined ? undefined : { kind: 'upsert', connection: result as Connection };
    case 'deleteConnection':
      return result === true ? { kind: 'delete', id: args[0] as number } : undefined;
    default:
      return { kind: 'other' };
  }
}

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
  onConnectionsChanged(listener: (change: ConnectionChange) => void): () => void;
}

export function observeConnectionWrites(store: Store): ObservedStore {
  const listeners = new Set<(change: ConnectionChange) => void>();
  const notify = (change: ConnectionChange): void => {
    for (const l of listeners) {
      try {
        l(change);
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
              const change = changeOf(prop, args, result);
              if (change !== undefined) notify(change);
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
