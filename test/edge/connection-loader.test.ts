/**
 * The edge's connection loader against a real SQLite store: in-process writes (through the observed store, as
 * `trunkline serve` wires it) reach the index at once without full reloads, even in a burst; a write the loader
 * did not see (another process) is caught by the version poll.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import { ConnectionLoader } from '../../src/edge/connection-loader.js';
import { buildNewConnection } from '../../src/model/index.js';
import { observeConnectionWrites } from '../../src/server/store-events.js';
import { openStore } from '../../src/store/open-store.js';

const root = mkdtempSync(join(tmpdir(), 'trunkline-loader-'));
after(() => rmSync(root, { recursive: true, force: true }));
const newConn = (n: number) => buildNewConnection({ domain: 'l.example', origMatchPattern: `sip:${n}*@l.example`, createdBy: 'netsapiens' }, {});

async function waitFor(check: () => boolean, ms = 3000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('connection loader', () => {
  it('applies a burst of in-process writes incrementally (no full reload); other writers are caught by the poll', async () => {
    const raw = await openStore({ data: join(root, 'a') });
    const observed = observeConnectionWrites(raw);
    const store = observed.store;
    await store.createTenant({ name: 'l.example', reseller: 'r', description: '', attributes: {} });
    const loader = new ConnectionLoader(raw, pino({ level: 'silent' }), { pollMs: 50, minReloadMs: 0 });
    try {
      await loader.start();
      observed.onConnectionsChanged((c) => loader.apply(c));
      const before = loader.reloads;
      const created = await Promise.all(Array.from({ length: 50 }, (_, i) => store.createConnection(newConn(i + 100))));
      // Visible at once, before any poll could have run.
      assert.equal(loader.index.size, 50);
      const updated = await store.updateConnection(created[0]!.id, (c) => ({ ...c, description: 'changed' }));
      assert.equal(loader.index.get(created[0]!.id)?.connection.description, 'changed');
      await store.deleteConnection(created[1]!.id);
      assert.equal(loader.index.get(created[1]!.id), undefined);
      await new Promise((r) => setTimeout(r, 300)); // several polls
      assert.equal(loader.reloads, before, 'in-process writes alone caused no full reload');
      void updated;

      // A write by "another process": straight to the raw store, so the loader never hears of it.
      const foreign = await raw.createConnection(newConn(999));
      await waitFor(() => loader.index.get(foreign.id) !== undefined);
      assert.ok(loader.reloads > before, 'the poll reloaded');
    } finally {
      await loader.close();
      await raw.close();
    }
  });
});
