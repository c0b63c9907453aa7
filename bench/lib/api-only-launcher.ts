/**
 * `trunkline serve` without the SIP edge, for `BENCH_API_EDGE=off npm run bench:api`: the same process wiring
 * (`startServer` from src/server/start.ts: store, HTTP API, first-start key, signals) with `sip: false`, so the
 * API can be measured apart from the edge sharing its process. Takes the `serve` arguments the bench passes:
 *
 *   node --import tsx bench/lib/api-only-launcher.ts serve --data DIR --http-host H --http-port P [--sip-...]
 */
import { parseArgs } from 'node:util';
import { handleSignals, startServer } from '../../src/server/start.js';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== 'serve'),
  options: {
    data: { type: 'string' },
    db: { type: 'string' },
    'http-host': { type: 'string' },
    'http-port': { type: 'string' },
    'sip-host': { type: 'string' },
    'sip-port': { type: 'string' },
  },
  strict: false,
});

const server = await startServer({
  ...(typeof values.data === 'string' ? { data: values.data } : {}),
  ...(typeof values.db === 'string' ? { db: values.db } : {}),
  httpHost: typeof values['http-host'] === 'string' ? values['http-host'] : '127.0.0.1',
  httpPort: Number.parseInt(typeof values['http-port'] === 'string' ? values['http-port'] : '0', 10),
  sip: false,
});
handleSignals(server);
