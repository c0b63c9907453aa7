/**
 * Between SIP messages and the rules' `CallIdentity` (src/edge/rules): read the Request-URI, To, From,
 * display name and Privacy of the caller's INVITE; write the translated identity back as the new leg's
 * Request-URI, From and To. Users are handled %-decoded here and %-escaped again when written (§19.1.2).
 */
import { parsePrivacyHeader, type CallIdentity } from '../rules/index.js';
import { isSipUri, NameAddr, SipUri, type SipRequest, type Uri } from '../../sip/index.js';

function userHost(uri: Uri): { user: string; host: string } {
  if (isSipUri(uri)) return { user: uri.userDecoded ?? '', host: uri.hostname };
  if (uri.scheme === 'tel') return { user: (uri as { number: string }).number, host: '' };
  return { user: '', host: '' };
}

/**
 * The identity of the caller's INVITE, with the Request-URI and To hosts set to `targetHost` (the
 * destination's address host): the new leg is addressed to the destination, and the connection's
 * request/destination host translations then apply to that.
 */
export function identityOf(req: SipRequest, targetHost?: string): CallIdentity {
  const r = userHost(req.uri);
  const to = userHost(req.to.uri);
  const from = userHost(req.from.uri);
  return {
    requestUser: r.user,
    requestHost: targetHost ?? r.host,
    toUser: to.user,
    toHost: targetHost ?? to.host,
    fromUser: from.user,
    fromHost: from.host,
    displayName: req.from.displayName ?? '',
    privacy: parsePrivacyHeader(req.headers.getAll('privacy').join(';') || undefined),
  };
}

function hostText(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** A SIP URI from an identity part; an empty user gives a URI without user part. */
export function sipUri(user: string, host: string, port?: number, scheme: 'sip' | 'sips' = 'sip'): SipUri {
  return SipUri.fromParts(user === '' ? undefined : user, hostText(host === '' ? 'invalid' : host), port, scheme);
}

export function fromNameAddr(identity: CallIdentity, tag: string): NameAddr {
  const na = new NameAddr({
    uri: sipUri(identity.fromUser, identity.fromHost),
    ...(identity.displayName === '' ? {} : { displayName: identity.displayName }),
  });
  na.tag = tag;
  return na;
}

export function toNameAddr(identity: CallIdentity, port?: number): NameAddr {
  return new NameAddr({ uri: sipUri(identity.toUser, identity.toHost, port) });
}
