/**
 * What crosses from one leg to the other. A B2BUA is two user agents (RFC 3261 §6 "back-to-back user
 * agent"): each leg has its own dialog identifiers, CSeq space, Via, Contact and route set, so those never
 * cross. Nor do session timers (RFC 4028): trunkline negotiates them on each leg for itself (session-timer.ts),
 * so Session-Expires, Min-SE and the `timer` option tag stay on their leg. Everything else about a request or
 * response does (Supported, Require, Allow, RSeq, Reason, Warning, P-Asserted-Identity...), plus the body, whose
 * SDP goes through both connections' SDP policies (src/edge/sdp).
 */
import { networkInterfaces } from 'node:os';
import type { HeaderOp } from '../rules/index.js';
import { applySdpPolicy, type SdpPolicy } from '../sdp/index.js';
import { canonicalHeaderName, formatHost, headerKey, type Headers, type SipRequest, type SipResponse, type Transport } from '../../sip/index.js';

/** Per-leg (dialog, transaction, hop) or credential headers: rebuilt on each leg, never copied. */
const LEG_HEADERS: ReadonlySet<string> = new Set([
  'via',
  'route',
  'record-route',
  'from',
  'to',
  'call-id',
  'cseq',
  'contact',
  'max-forwards',
  'content-length',
  'authorization',
  'proxy-authorization',
  'www-authenticate',
  'proxy-authenticate',
  'authentication-info',
  'proxy-authentication-info',
  'rack',
  'path',
  'service-route',
  'session-expires',
  'min-se',
]);

/** Option tags that belong to one leg: `timer` (RFC 4028) is negotiated per leg by session-timer.ts. */
const LEG_OPTION_TAGS: ReadonlySet<string> = new Set(['timer']);

/** Whether a Supported/Require-style header lists an option tag. */
export function hasOptionTag(headers: Headers, name: string, tag: string): boolean {
  const t = tag.toLowerCase();
  return headers.getList(name).some((v) => v.trim().toLowerCase() === t);
}

/** Remove option tags from a Supported/Require-style header (the header goes when nothing is left). */
export function removeOptionTags(headers: Headers, name: string, tags: ReadonlySet<string>): void {
  if (!headers.getList(name).some((v) => tags.has(v.trim().toLowerCase()))) return;
  const keep = headers.getList(name).filter((v) => !tags.has(v.trim().toLowerCase()));
  if (keep.length === 0) headers.remove(name);
  else headers.set(canonicalHeaderName(headerKey(name)), keep.join(', '));
}

/** Add an option tag to a Supported/Require-style header unless it is there. */
export function addOptionTag(headers: Headers, name: string, tag: string): void {
  if (hasOptionTag(headers, name, tag)) return;
  const list = headers.getList(name);
  headers.set(canonicalHeaderName(headerKey(name)), [...list, tag].join(', '));
}

/** Copy the end-to-end headers of `from` onto `to` (in order). */
export function copyEndToEnd(from: Headers, to: Headers, except: readonly string[] = []): void {
  const skip = new Set(except.map((h) => h.toLowerCase()));
  for (const f of from) {
    if (LEG_HEADERS.has(f.key) || skip.has(f.key)) continue;
    to.appendField(f);
  }
  removeOptionTags(to, 'supported', LEG_OPTION_TAGS);
  removeOptionTags(to, 'require', LEG_OPTION_TAGS);
}

export function applyHeaderOps(headers: Headers, ops: readonly HeaderOp[]): void {
  for (const op of ops) {
    if (op.action === 'set') headers.set(op.name, op.value);
    else headers.remove(op.name);
  }
}

/** Max-Forwards for the next leg (§16.6 step 3 semantics for a B2BUA): undefined when it reached 0. */
export function nextMaxForwards(req: SipRequest): number | undefined {
  let mf: number | undefined;
  try {
    mf = req.maxForwards;
  } catch {
    mf = undefined;
  }
  if (mf === undefined) return 70;
  if (mf <= 0) return undefined;
  return Math.min(70, mf - 1);
}

export type BodyOutcome =
  | { readonly ok: true; readonly body: Buffer; readonly changed: boolean }
  | { readonly ok: false; readonly status: number; readonly reason: string; readonly warning: string | undefined };

function isSdp(contentType: string | undefined, body: Buffer): boolean {
  if (body.length === 0) return false;
  if (contentType === undefined) return body.subarray(0, 4).toString('latin1') === 'v=0\r' || body.subarray(0, 4).toString('latin1') === 'v=0\n';
  return contentType === 'application/sdp';
}

/**
 * Run an SDP body through the policies of the connections it leaves and reaches, in that order. Other
 * bodies (and multipart ones) pass unchanged: the rules are written for plain SDP.
 */
export function policeBody(message: SipRequest | SipResponse, policies: readonly SdpPolicy[], agent: string): BodyOutcome {
  const body = message.body;
  if (!isSdp(message.contentType, body)) return { ok: true, body, changed: false };
  let text = body.toString('utf8');
  let changed = false;
  for (const policy of policies) {
    const r = applySdpPolicy(text, policy);
    if (!r.ok) {
      const e = r.error;
      if (e.kind === 'malformed') return { ok: false, status: 400, reason: 'Malformed SDP', warning: `399 ${agent} "SDP line ${e.line}: ${e.reason.replace(/["\\\r\n]/g, '')}"` };
      return { ok: false, status: e.sipStatus, reason: 'Not Acceptable Here', warning: `${e.warning.code} ${agent} "${e.warning.text.replace(/["\\\r\n]/g, '')}"` };
    }
    if (r.changed) {
      text = r.body;
      changed = true;
    }
  }
  return changed ? { ok: true, body: Buffer.from(text, 'utf8'), changed } : { ok: true, body, changed };
}

/** A wildcard bind address is no use in a Contact: an interface address of that family. */
function concreteHost(host: string, family: 'IPv4' | 'IPv6'): string {
  if (host !== '0.0.0.0' && host !== '::') return host;
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      if (!a.internal && a.family === family && !(family === 'IPv6' && a.address.startsWith('fe80'))) return a.address;
    }
  }
  return family === 'IPv6' ? '::1' : '127.0.0.1';
}

/** Our Contact on a leg: the transport's advertised address (§8.1.1.8: reachable for the dialog's requests). */
export function localContact(transport: Transport): string {
  const { host, port } = transport.sentBy;
  const param = transport.protocol === 'udp' ? '' : `;transport=${transport.protocol}`;
  const scheme = transport.protocol === 'tls' ? 'sips' : 'sip';
  return `<${scheme}:${formatHost(concreteHost(host, transport.family))}:${port}${param}>`;
}
