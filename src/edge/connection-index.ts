/**
 * The edge's in-memory view of every connection, compiled for the questions a SIP request asks:
 * "which connection sent this?" (orig match pattern against the header the connection names, source
 * address, digest username) and "where does this connection live?" (address, transport).
 *
 * The store is the truth; this index is rebuilt from it whenever it reports a change (in-process writes
 * call `invalidate()`, other processes are caught by the periodic version check), so a request never
 * waits on the database.
 */
import { isIP } from 'node:net';
import {
  compileMatchPattern,
  matchesPattern,
  type CompiledMatchPattern,
  type Connection,
  type MatchSubject,
  type OrigMatchHeader,
} from '../model/index.js';

export interface IndexedConnection {
  readonly connection: Connection;
  readonly orig: CompiledMatchPattern;
  readonly term: CompiledMatchPattern;
  /** Addresses a request must come from when sourceIpCheck is on (connection-address host, Wavix allowed_ips). */
  readonly allowedSources: ReadonlySet<string>;
}

/** The URIs of a request, keyed by the header `connection-check-orig-matching-sip-header` can name. */
export type RequestSubjects = Readonly<Partial<Record<OrigMatchHeader, MatchSubject>>>;

/** Host part of `connection-address`, which may be `sip:user@host:port;params`, `host:port` or `[v6]:port`. */
export function addressHost(address: string): string | undefined {
  let rest = address.trim();
  if (rest === '' || rest === 'dynamic') return undefined;
  rest = rest.replace(/^sips?:/i, '');
  const at = rest.lastIndexOf('@');
  if (at !== -1) rest = rest.slice(at + 1);
  rest = rest.split(';')[0] ?? '';
  if (rest.startsWith('[')) return rest.slice(1, rest.indexOf(']') === -1 ? undefined : rest.indexOf(']')).toLowerCase();
  if (isIP(rest) === 6) return rest.toLowerCase();
  return (rest.split(':')[0] ?? '').toLowerCase() || undefined;
}

function allowedSourcesOf(c: Connection): Set<string> {
  const out = new Set<string>();
  const host = addressHost(c.address);
  if (host !== undefined) out.add(host);
  for (const ip of c.ext.wavix?.allowedIps ?? []) out.add(ip.ip.toLowerCase());
  return out;
}

export function indexConnection(c: Connection): IndexedConnection {
  return {
    connection: c,
    orig: compileMatchPattern(c.origMatchPattern, 'origMatchPattern'),
    term: compileMatchPattern(c.termMatchPattern || c.origMatchPattern, 'termMatchPattern'),
    allowedSources: allowedSourcesOf(c),
  };
}

export class ConnectionIndex {
  private all: IndexedConnection[] = [];
  private byId = new Map<number, IndexedConnection>();
  private byAuthUser = new Map<string, IndexedConnection[]>();

  /** Replace the whole view; patterns in the store were validated on write, a bad one is skipped, not fatal. */
  replace(connections: readonly Connection[], onSkip?: (c: Connection, err: unknown) => void): void {
    const all: IndexedConnection[] = [];
    for (const c of connections) {
      try {
        all.push(indexConnection(c));
      } catch (err) {
        onSkip?.(c, err);
      }
    }
    // Most specific first, so the first match is the best one; ties broken by id for a stable choice.
    all.sort((a, b) => b.orig.specificity - a.orig.specificity || a.connection.id - b.connection.id);
    this.all = all;
    this.byId = new Map(all.map((ic) => [ic.connection.id, ic]));
    const byUser = new Map<string, IndexedConnection[]>();
    for (const ic of all) {
      const user = ic.connection.authUsername;
      if (user === '') continue;
      const list = byUser.get(user);
      if (list === undefined) byUser.set(user, [ic]);
      else list.push(ic);
    }
    this.byAuthUser = byUser;
  }

  /**
   * Apply one committed write without a reload (in-process API writes): the index stays ordered, and the
   * cost is one pattern compile plus an O(n) array splice, not a rebuild of every connection.
   */
  upsert(c: Connection, onSkip?: (c: Connection, err: unknown) => void): void {
    this.remove(c.id);
    let ic: IndexedConnection;
    try {
      ic = indexConnection(c);
    } catch (err) {
      onSkip?.(c, err);
      return;
    }
    const all = this.all.slice();
    let lo = 0;
    let hi = all.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const m = all[mid]!;
      const before = m.orig.specificity > ic.orig.specificity || (m.orig.specificity === ic.orig.specificity && m.connection.id < c.id);
      if (before) lo = mid + 1;
      else hi = mid;
    }
    all.splice(lo, 0, ic);
    this.all = all;
    this.byId.set(c.id, ic);
    if (c.authUsername !== '') this.byAuthUser.set(c.authUsername, [...(this.byAuthUser.get(c.authUsername) ?? []), ic].sort((a, b) => all.indexOf(a) - all.indexOf(b)));
  }

  remove(id: number): void {
    const old = this.byId.get(id);
    if (old === undefined) return;
    // Copy-on-write: a lookup iterating the old arrays is never disturbed.
    this.all = this.all.filter((ic) => ic !== old);
    this.byId.delete(id);
    const user = old.connection.authUsername;
    if (user !== '') {
      const rest = (this.byAuthUser.get(user) ?? []).filter((ic) => ic !== old);
      if (rest.length === 0) this.byAuthUser.delete(user);
      else this.byAuthUser.set(user, rest);
    }
  }

  get size(): number {
    return this.all.length;
  }

  get(id: number): IndexedConnection | undefined {
    return this.byId.get(id);
  }

  /** Connections whose credentials are this digest username (REGISTER, authenticated INVITE). */
  byAuthUsername(username: string): readonly IndexedConnection[] {
    return this.byAuthUser.get(username) ?? [];
  }

  /**
   * The connection that originated a request: the most specific orig pattern that matches the header
   * the connection itself names (`from` by default).
   */
  identify(subjects: RequestSubjects): IndexedConnection | undefined {
    for (const ic of this.all) {
      const subject = subjects[ic.connection.origMatchHeader];
      if (subject !== undefined && matchesPattern(ic.orig, subject)) return ic;
    }
    return undefined;
  }

  /** Connections whose address (or allowed IPs) is this source address. */
  fromSource(ip: string): IndexedConnection[] {
    const needle = ip.toLowerCase().replace(/^::ffff:/, '');
    return this.all.filter((ic) => ic.allowedSources.has(needle));
  }

  values(): readonly IndexedConnection[] {
    return this.all;
  }
}

/** sourceIpCheck: may a request from `ip` act for this connection? */
export function sourceAllowed(ic: IndexedConnection, ip: string): boolean {
  if (!ic.connection.sourceIpCheck) return true;
  return ic.allowedSources.has(ip.toLowerCase().replace(/^::ffff:/, ''));
}
