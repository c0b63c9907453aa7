/**
 * Prometheus `/metrics` (prom-client): the process (event-loop lag, memory, CPU), the SIP edge's traffic
 * (requests and responses by method and code, transactions, invalid messages), registrations (inbound, and
 * outbound ones by state), connections and calls. Figures are read from the edge's own counters when Prometheus
 * scrapes, so the hot path only increments integers in a Map.
 *
 * `/metrics` needs no API key, like most exporters: it is served on the HTTP API's address (127.0.0.1 by
 * default); put it behind the same network policy as the API when binding elsewhere.
 */
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { SipEdge } from '../edge/sip-edge.js';

/** A Counter fed from a running total kept elsewhere: each scrape adds what grew since the last one. */
function totalsCounter<K extends string | number>(
  registry: Registry,
  name: string,
  help: string,
  label: string,
  read: () => ReadonlyMap<K, number> | undefined,
): void {
  const seen = new Map<K, number>();
  new Counter({
    name,
    help,
    labelNames: [label],
    registers: [registry],
    collect() {
      const totals = read();
      if (totals === undefined) return;
      for (const [key, total] of totals) {
        const delta = total - (seen.get(key) ?? 0);
        if (delta > 0) this.inc({ [label]: String(key) }, delta);
        seen.set(key, total);
      }
    },
  });
}

export function registerMetrics(app: FastifyInstance, sip: SipEdge | undefined): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const stats = () => sip?.layer.stats;

  totalsCounter(registry, 'trunkline_sip_requests_received_total', 'SIP requests received, by method (retransmissions included).', 'method', () => stats()?.requestsReceived);
  totalsCounter(registry, 'trunkline_sip_requests_sent_total', 'SIP requests sent in client transactions, by method.', 'method', () => stats()?.requestsSent);
  totalsCounter(registry, 'trunkline_sip_responses_sent_total', 'SIP responses sent, by status code.', 'code', () => stats()?.responsesSent);
  totalsCounter(registry, 'trunkline_sip_responses_received_total', 'SIP responses received, by status code.', 'code', () => stats()?.responsesReceived);

  let invalidSeen = 0;
  new Counter({
    name: 'trunkline_sip_invalid_messages_total',
    help: 'SIP messages refused as invalid (answered 4xx/5xx or dropped).',
    registers: [registry],
    collect() {
      const n = stats()?.invalidReceived ?? 0;
      if (n > invalidSeen) this.inc(n - invalidSeen);
      invalidSeen = n;
    },
  });
  new Gauge({
    name: 'trunkline_sip_transactions',
    help: 'SIP transactions in progress, by side.',
    labelNames: ['side'],
    registers: [registry],
    collect() {
      this.set({ side: 'server' }, sip?.layer.serverTransactionCount ?? 0);
      this.set({ side: 'client' }, sip?.layer.clientTransactionCount ?? 0);
    },
  });
  new Gauge({
    name: 'trunkline_registered_connections',
    help: 'Connections with at least one current REGISTER binding.',
    registers: [registry],
    collect() {
      this.set(sip?.registrar.registeredConnections ?? 0);
    },
  });
  new Gauge({
    name: 'trunkline_outbound_registrations',
    help: 'Registrations of carrier trunks with their carriers (outbound REGISTER), by state: registering, registered, failed.',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const counts = sip?.outbound.counts() ?? { registering: 0, registered: 0, failed: 0 };
      for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
    },
  });
  new Gauge({
    name: 'trunkline_connections',
    help: 'Connections the SIP edge knows (its in-memory index).',
    registers: [registry],
    collect() {
      this.set(sip?.loader.index.size ?? 0);
    },
  });
  new Gauge({
    name: 'trunkline_calls_active',
    help: 'Calls in progress on this edge.',
    registers: [registry],
    collect() {
      this.set(sip?.engine?.activeCalls ?? 0);
    },
  });

  app.get('/metrics', async (_request, reply) => {
    const body = await registry.metrics();
    return reply.header('content-type', registry.contentType).send(body);
  });
  return registry;
}
