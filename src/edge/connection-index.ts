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

const SUBJECT_HEADERS: readonly OrigMatchHeader[] = ['from', 'to', 'request', 'contact'];

/**
 * The host a pattern requires, lower-cased and without its port (`sip:1555*@Carrier.example:5070` ->
 * `carrier.example`), or undefined when the host has a wildcard (or the pattern no host part): such a
 * pattern can match any host and is always scanned. Request subjects carry lower-cased hosts too.
 */
export function literalHostOf(pattern: string): string | undefined {
  const at = pattern.lastIndexOf('@');
  if (at === -1) return undefined;
  const host = pattern.slice(at + 1);
  if (host.includes('*')) return undefined;
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end === -1 ? undefined : host.slice(0, end + 1).toLowerCase();
  }
  return (host.split(':')[0] ?? '').toLowerCase();
}

/** Index order: most specific orig pattern first, ties broken by id for a stable choice. */
function before(a: IndexedConnection, b: IndexedConnection): boolean {
  return a.orig.specificity > b.orig.specificity || (a.orig.specificity === b.orig.specificity && a.connection.id < b.connection.id);
}

/** Insert into a list kept in index order (binary search; appending, the common case, is O(1)). */
function insertOrdered(list: IndexedConnection[], ic: IndexedConnection): void {
  const last = list[list.length - 1];
  if (last === undefined || before(last, ic)) {
    list.push(ic);
    return;
  }
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (before(list[mid]!, ic)) lo = mid + 1;
    else hi = mid;
  }
  list.splice(lo, 0, ic);
}

function removeFrom(list: IndexedConnection[], ic: IndexedConnection): void {
  const i = list.indexOf(ic);
  if (i !== -1) list.splice(i, 1);
}

/**
 * Connections in buckets by orig-pattern specificity (a handful of distinct values), each bucket in id order.
 * A write touches one bucket: a create (new, highest id) is an append, not a copy of every connection, which
 * matters at 10,000+ connections under an API write load. Lookups run synchronously, so in-place changes can
 * never be seen half-done.
 */
export class ConnectionIndex {
  private buckets = new Map<number, IndexedConnection[]>();
  /** Specificities present, descending. */
  private order: number[] = [];
  private flat: IndexedConnection[] | undefined;
  private byId = new Map<number, IndexedConnection>();
  private byAuthUser = new Map<string, IndexedConnection[]>();
  /**
   * Identification by host: a connection whose orig pattern names a literal host can only match a request
   * whose named header has that host, so `identify` looks at that host's list and at the (usually short)
   * list of patterns with a wildcard host, not at every connection. Both lists are in index order.
   */
  private byOrigHost = new Map<string, IndexedConnection[]>();
  private wildOrigHost: IndexedConnection[] = [];

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
    all.sort((a, b) => b.orig.specificity - a.orig.specificity || a.connection.id - b.connection.id);
    const buckets = new Map<number, IndexedConnection[]>();
    const byUser = new Map<string, IndexedConnection[]>();
    const byHost = new Map<string, IndexedConnection[]>();
    const wild: IndexedConnection[] = [];
    for (const ic of all) {
      const bucket = buckets.get(ic.orig.specificity);
      if (bucket === undefined) buckets.set(ic.orig.specificity, [ic]);
      else bucket.push(ic);
      const host = literalHostOf(ic.orig.source);
      if (host === undefined) wild.push(ic);
      else {
        const list = byHost.get(host);
        if (list === undefined) byHost.set(host, [ic]);
        else list.push(ic);
      }
      const user = ic.connection.authUsername;
      if (user === '') continue;
      const list = byUser.get(user);
      if (list === undefined) byUser.set(user, [ic]);
      else list.push(ic);
    }
    this.buckets = buckets;
    this.order = [...buckets.keys()].sort((a, b) => b - a);
    this.flat = all;
    this.byId = new Map(all.map((ic) => [ic.connection.id, ic]));
    this.byAuthUser = byUser;
    this.byOrigHost = byHost;
    this.wildOrigHost = wild;
  }

  /**
   * Apply one committed write without a reload (in-process API writes): one pattern compile and an ordered
   * insert into one bucket, not a rebuild of every connection.
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
    const spec = ic.orig.specificity;
    let bucket = this.buckets.get(spec);
    if (bucket === undefined) {
      bucket = [];
      this.buckets.set(spec, bucket);
      this.order = [...this.order, spec].sort((a, b) => b - a);
    }
    insertOrdered(bucket, ic);
    this.byId.set(c.id, ic);
    this.flat = undefined;
    const host = literalHostOf(ic.orig.source);
    if (host === undefined) insertOrdered(this.wildOrigHost, ic);
    else {
      const list = this.byOrigHost.get(host);
      if (list === undefined) this.byOrigHost.set(host, [ic]);
      else insertOrdered(list, ic);
    }
    const user = c.authUsername;
    if (user !== '') {
      const list = this.byAuthUser.get(user);
      if (list === undefined) this.byAuthUser.set(user, [ic]);
      else insertOrdered(list, ic);
    }
  }

  remove(id: number): void {
    const old = this.byId.get(id);
    if (old === undefined) return;
    this.byId.delete(id);
    this.flat = undefined;
    const spec = old.orig.specificity;
    const bucket = this.buckets.get(spec);
    if (bucket !== undefined) {
      removeFrom(bucket, old);
      if (bucket.length === 0) {
        this.buckets.delete(spec);
        this.order = this.order.filter((x) => x !== spec);
      }
    }
    const host = literalHostOf(old.orig.source);
    if (host === undefined) removeFrom(this.wildOrigHost, old);
    else {
      const list = this.byOrigHost.get(host);
      if (list !== undefined) {
        removeFrom(list, old);
        if (list.length === 0) this.byOrigHost.delete(host);
      }
    }
    const user = old.connection.authUsername;
    if (user !== '') {
      const list = this.byAuthUser.get(user);
      if (list !== undefined) {
        removeFrom(list, old);
        if (list.length === 0) this.byAuthUser.delete(user);
      }
    }
  }

  get size(): number {
    return this.byId.size;
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
    let best: IndexedConnection | undefined;
    // Each list is in index order, so its first match is its best, and a list is left as soon as it can
    // no longer beat the best so far.
    const scan = (list: readonly IndexedConnection[]): void => {
      for (const ic of list) {
        if (best !== undefined && !before(ic, best)) return;
        const subject = subjects[ic.connection.origMatchHeader];
        if (subject !== undefined && matchesPattern(ic.orig, subject)) {
          best = ic;
          return;
        }
      }
    };
    scan(this.wildOrigHost);
    const seen: string[] = [];
    for (const header of SUBJECT_HEADERS) {
      const host = subjects[header]?.host;
      if (host === undefined || seen.includes(host)) continue;
      seen.push(host);
      const list = this.byOrigHost.get(host);
      if (list !== undefined) scan(list);
    }
    return best;
  }

  /** Connections whose address (or allowed IPs) is this source address. */
  fromSource(ip: string): IndexedConnection[] {
    const needle = ip.toLowerCase().replace(/^::ffff:/, '');
    return this.values().filter((ic) => ic.allowedSources.has(needle));
  }

  /** Every connection in index order (built on demand after writes). */
  values(): readonly IndexedConnection[] {
    this.flat ??= this.order.flatMap((spec) => this.buckets.get(spec)!);
    return this.flat;
  }
}

/** sourceIpCheck: may a request from `ip` act for this connection? */
export function sourceAllowed(ic: IndexedConnection, ip: string): boolean {
  if (!ic.connection.sourceIpCheck) return true;
  return ic.allowedSources.has(ip.toLowerCase().replace(/^::ffff:/, ''));
}
