/**
 * A tenant: a NetSapiens domain, a Wavix account and an Enswitch customer are the same concept.
 * `attributes` keeps the NetSapiens domain fields trunkline does not act on (music on hold, email, ...)
 * so a client reads back what it wrote.
 */
export interface Tenant {
  readonly name: string;
  reseller: string;
  description: string;
  attributes: Record<string, unknown>;
  readonly createdAt: string;
}
