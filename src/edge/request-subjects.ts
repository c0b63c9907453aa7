/**
 * The URIs of a request that `connection-check-orig-matching-sip-header` can name (from, to, request,
 * contact), reduced to what a match pattern compares. A header that is missing or is not a SIP URI (tel:,
 * `*` contact) simply has no subject: it can never match, and never throws.
 */
import { isSipUri, type SipRequest, type Uri } from '../sip/index.js';
import type { MatchSubject } from '../model/index.js';
import type { RequestSubjects } from './connection-index.js';

function subjectOf(uri: Uri | undefined): MatchSubject | undefined {
  if (uri === undefined || !isSipUri(uri)) return undefined;
  return { scheme: uri.scheme, user: uri.user, host: uri.host.toLowerCase(), port: uri.port };
}

function safely<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

export function requestSubjects(req: SipRequest): RequestSubjects {
  const out: Partial<Record<keyof RequestSubjects, MatchSubject>> = {};
  const from = subjectOf(safely(() => req.from.uri));
  if (from !== undefined) out.from = from;
  const to = subjectOf(safely(() => req.to.uri));
  if (to !== undefined) out.to = to;
  const request = subjectOf(safely(() => req.uri));
  if (request !== undefined) out.request = request;
  const contact = subjectOf(safely(() => (req.isWildcardContact ? undefined : req.contacts[0]?.uri)));
  if (contact !== undefined) out.contact = contact;
  return out;
}
