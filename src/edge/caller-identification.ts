/**
 * Which connection sent a dialog-creating request, and may it? (issue: "Identification of the incoming
 * connection"). Order:
 * 1. the most specific orig match pattern that matches the header the connection names
 *    (`connection-check-orig-matching-sip-header`, `from` by default);
 * 2. otherwise, a connection with source-IP checking on whose address (or Wavix allowed IP) is the source;
 * 3. otherwise, digest credentials (Proxy-Authorization) of a connection that requires SIP authentication
 *    (Wavix digest trunks): challenged with 407 when the From user is such a connection's username.
 * A connection found by pattern still has to pass its own checks: source address when checking is on,
 * digest when it requires authentication. No match is 403, never a silent drop.
 */
import { createResponse, type RequestContext, type SipRequest, type SipResponse } from '../sip/index.js';
import { sourceAllowed, type ConnectionIndex, type IndexedConnection } from './connection-index.js';
import { authenticates, type ConnectionAuthenticator } from './connection-auth.js';
import { requestSubjects } from './request-subjects.js';

export type Identification =
  | { readonly kind: 'identified'; readonly connection: IndexedConnection; readonly by: 'pattern' | 'source' | 'digest' }
  | { readonly kind: 'respond'; readonly response: SipResponse; readonly why: string };

function fromUser(req: SipRequest): string | undefined {
  try {
    return (req.from.uri as { user?: string }).user;
  } catch {
    return undefined;
  }
}

export function identifyCaller(
  req: SipRequest,
  ctx: RequestContext,
  index: ConnectionIndex,
  auth: ConnectionAuthenticator,
): Identification {
  const ip = ctx.remote.address;
  const digest = (hintUser: string | undefined, expected?: IndexedConnection): Identification => {
    const r = auth.authenticate(req, index, ip, { proxy: true, hintUser });
    if (r.kind === 'respond') return r;
    if (expected !== undefined && r.connection.connection.id !== expected.connection.id) {
      return { kind: 'respond', response: createResponse(req, 403, 'Credentials Belong To Another Connection'), why: 'credentials of another connection' };
    }
    return { kind: 'identified', connection: r.connection, by: 'digest' };
  };

  const byPattern = index.identify(requestSubjects(req));
  if (byPattern !== undefined) {
    if (authenticates(byPattern.connection)) return digest(byPattern.connection.authUsername, byPattern);
    if (!sourceAllowed(byPattern, ip)) {
      return { kind: 'respond', response: createResponse(req, 403, 'Source Address Not Allowed'), why: `source ${ip} not allowed` };
    }
    return { kind: 'identified', connection: byPattern, by: 'pattern' };
  }

  const bySource = index.fromSource(ip).find((ic) => ic.connection.sourceIpCheck && !authenticates(ic.connection));
  if (bySource !== undefined) return { kind: 'identified', connection: bySource, by: 'source' };

  const user = fromUser(req);
  const claimsDigestUser = user !== undefined && index.byAuthUsername(user).some((ic) => authenticates(ic.connection));
  if (claimsDigestUser || req.headers.has('proxy-authorization')) return digest(user);

  return { kind: 'respond', response: createResponse(req, 403, 'No Matching Connection'), why: 'no connection matches' };
}
