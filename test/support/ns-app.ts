/**
 * An in-process NetSapiens API over a real SQLite store in a temp dir, driven with fastify `inject`.
 *
 *   const t = await createNsApp();
 *   await t.su.post('/domains', { domain: 'a.example', reseller: 'r1' });
 *   const om = t.client(await t.makeKey({ scope: 'Office Manager', domain: 'a.example' }));
 *   await t.close();
 */
import { rmSync } from 'node:fs';
import { pino } from 'pino';
import { buildApiServer, type ApiServer } from '../../src/api/server.js';
import { NS_KEY_FORMAT } from '../../src/api/netsapiens/keys.js';
import { createStoredApiKey, type NewKeyOptions } from '../../src/api/shared/keys.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { NsClient, injectSender } from './ns-client.js';
import { tempDir } from './trunkline.js';

export interface NsApp {
  readonly api: ApiServer;
  readonly store: Store;
  readonly dataDir: string;
  /** A Super User key and a client using it. */
  readonly suKey: string;
  readonly su: NsClient;
  client(key: string | undefined): NsClient;
  /** Create a key directly in the store (as the CLI does); returns the plain key. */
  makeKey(opts: Omit<NewKeyOptions, 'description'> & { description?: string }): Promise<string>;
  /** Create a domain through the API as Super User; asserts 202. */
  domain(name: string, reseller?: string): Promise<void>;
  close(): Promise<void>;
}

export async function createNsApp(options: { bodyLimit?: number; authCacheMs?: number; db?: string } = {}): Promise<NsApp> {
  const dataDir = tempDir('trunkline-api-');
  const store = await openStore(options.db === undefined ? { data: dataDir } : { db: options.db });
  const api = await buildApiServer({
    store,
    logger: pino({ level: 'silent' }),
    version: 'test',
    ...(options.bodyLimit === undefined ? {} : { bodyLimit: options.bodyLimit }),
    ...(options.authCacheMs === undefined ? {} : { authCacheMs: options.authCacheMs }),
  });
  const sender = injectSender(api.app);
  const makeKey: NsApp['makeKey'] = async (opts) =>
    (await createStoredApiKey(store, NS_KEY_FORMAT, { description: `test key (${opts.scope})`, ...opts })).key;
  const suKey = await makeKey({ scope: 'Super User', canCreateKeys: true });
  const su = new NsClient(sender, suKey);
  return {
    api,
    store,
    dataDir,
    suKey,
    su,
    client: (key) => new NsClient(sender, key),
    makeKey,
    async domain(name, reseller = 'reseller-a') {
      const r = await su.post('/domains', { domain: name, reseller, description: `domain ${name}` });
      if (r.status !== 202) throw new Error(`creating domain ${name}: ${r.status} ${r.raw}`);
    },
    async close() {
      await api.app.close();
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
