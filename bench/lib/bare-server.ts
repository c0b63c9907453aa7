/**
 * The HTTP baseline for `npm run bench:api`: a bare fastify server, run as its own process, whose one route
 * has the same URL shape as trunkline's connection read and answers a fixed JSON body (a real connection
 * as trunkline serialises it, ~2 KB) serialised on every request. No authentication, no store, no
 * validation: what is left is fastify + JSON, the floor under any handler.
 *
 *   node --import tsx bench/lib/bare-server.ts --port P [--host H] [--body-file F]
 *
 * Prints "listening <url>" on stdout when ready.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import Fastify from 'fastify';

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string' },
    'body-file': { type: 'string' },
  },
});

/** Used when no body file is given: a NetSapiens-shaped connection of the same size class. */
function syntheticBody(): unknown {
  const conn: Record<string, unknown> = {
    domain: 'bench.example',
    'connection-orig-match-pattern': 'sip*@trunk-1.bench.example',
    description: 'bench 1',
    'connection-term-match-pattern': 'sip*@trunk-1.bench.example',
    'connection-address': '198.51.100.2',
  };
  for (let i = 0; conn && JSON.stringify(conn).length < 2100; i++) conn[`connection-setting-${i}-enabled`] = i % 2 === 0 ? 'yes' : 'no';
  return [conn];
}

const body: unknown =
  values['body-file'] === undefined ? syntheticBody() : (JSON.parse(readFileSync(values['body-file'], 'utf8')) as unknown);

const app = Fastify({
  logger: false,
  routerOptions: { maxParamLength: 2048, ignoreTrailingSlash: true },
});
app.get('/ns-api/v2/domains/:domain/connections/:pattern', async (_request, reply) => reply.send(body));

const address = await app.listen({ host: values.host, port: Number.parseInt(values.port ?? '0', 10) });
process.stdout.write(`listening ${address}\n`);
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.once(sig, () => {
    void app.close().then(() => process.exit(0));
  });
}
