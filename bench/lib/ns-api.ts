/**
 * The few NetSapiens v2 calls the benches need to set a server up, over plain fetch.
 */

export async function nsRequest(
  baseUrl: string,
  apiKey: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${baseUrl}/ns-api${path}`, {
    method,
    headers: {
      authorization: `Bearer ${apiKey}`,
      accept: 'application/json',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // keep the text
  }
  return { status: res.status, body: parsed };
}

function check(what: string, r: { status: number; body: unknown }, ok: (s: number) => boolean): void {
  if (!ok(r.status)) throw new Error(`${what}: HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 500)}`);
}

/** POST /v2/domains; an existing domain (409) is fine. */
export async function createDomain(baseUrl: string, apiKey: string, domain: string, reseller = 'bench'): Promise<void> {
  const r = await nsRequest(baseUrl, apiKey, 'POST', '/v2/domains', { domain, reseller, description: 'benchmark domain' });
  check(`create domain ${domain}`, r, (s) => (s >= 200 && s < 300) || s === 409);
}

/** POST /v2/connections with NetSapiens wire names (domain and connection-orig-match-pattern required). */
export async function createConnection(baseUrl: string, apiKey: string, body: Record<string, unknown>): Promise<void> {
  const r = await nsRequest(baseUrl, apiKey, 'POST', '/v2/connections', body);
  check(`create connection ${String(body['connection-orig-match-pattern'])}`, r, (s) => s >= 200 && s < 300);
}
