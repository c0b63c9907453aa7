/**
 * Building requests and responses.
 *
 * - {@link createResponse}: RFC 3261 §8.2.6 — a response copies Via (all, in order), From,
 *   Call-ID, CSeq and To from the request, adding a To tag to anything but 100 (§8.2.6.2),
 *   and Timestamp on 100 Trying (§8.2.6.1).
 * - {@link createRequest}: §8.1.1 mandatory headers.
 * - {@link createCancel}: §9.1.
 * - {@link createAckForNon2xx}: §17.1.1.3 (hop-by-hop ACK, built by the INVITE client
 *   transaction).
 * - {@link createAckFor2xx}: §13.2.2.4 (end-to-end ACK, built by the UAC core / dialog).
 */
import { Headers, type HeaderField } from './headers.js';
import { generateCallId, generateTag } from './ids.js';
import { SipRequest, SipResponse, reasonPhrase } from './message.js';
import { NameAddr, parseNameAddr } from './name-addr.js';
import type { Uri } from './uri.js';

export interface ResponseOptions {
  reason?: string;
  /** To tag to add (generated when omitted and the status is > 100). */
  toTag?: string;
  headers?: Iterable<[string, string]>;
  body?: Buffer | string;
  contentType?: string;
}

/** True when a To/From header value carries a tag parameter (robust to unparseable values). */
function hasTag(value: string): boolean {
  try {
    return parseNameAddr(value, 'to').tag !== undefined;
  } catch {
    return /;\s*tag\s*=/i.test(value);
  }
}

/**
 * Copy the §8.2.6.2 fields from `src` (request headers, or what could be recovered of a
 * broken request) into a new header list.
 */
export function responseHeadersFrom(src: Headers, status: number, toTag?: string): Headers {
  const out = new Headers();
  for (const f of src) {
    switch (f.key) {
      case 'via':
      case 'from':
      case 'call-id':
      case 'cseq':
        out.appendField(f);
        break;
      case 'to':
        if (status > 100 && !hasTag(f.value)) {
          out.appendField({ name: f.name, key: f.key, value: `${f.value};tag=${toTag ?? generateTag()}` });
        } else out.appendField(f);
        break;
      case 'timestamp':
        if (status === 100) out.appendField(f);
        break;
      default:
        break;
    }
  }
  return out;
}

/** Build a response to `request` (§8.2.6). `options` may be just a reason phrase. */
export function createResponse(request: SipRequest, status: number, options: ResponseOptions | string = {}): SipResponse {
  const o: ResponseOptions = typeof options === 'string' ? { reason: options } : options;
  const headers = responseHeadersFrom(request.headers, status, o.toTag);
  for (const [n, v] of o.headers ?? []) headers.append(n, v);
  if (o.body !== undefined && o.contentType !== undefined) headers.set('Content-Type', o.contentType);
  const res = new SipResponse({
    status,
    reason: o.reason ?? reasonPhrase(status),
    headers,
    ...(o.body !== undefined ? { body: o.body } : {}),
    version: '2.0',
  });
  // Copied raw fields are in the request's encoding.
  res.headerEncoding = request.headerEncoding;
  return res;
}

export interface RequestOptions {
  method: string;
  uri: Uri | string;
  from: NameAddr | string;
  to: NameAddr | string;
  callId?: string;
  cseq?: number;
  /** Added to From when it has none (§8.1.1.3: From MUST carry a tag). */
  fromTag?: string;
  maxForwards?: number;
  contact?: NameAddr | string;
  /** Route set, in order (§8.1.2). */
  routes?: Array<NameAddr | string>;
  headers?: Iterable<[string, string]>;
  body?: Buffer | string;
  contentType?: string;
}

function asNameAddr(v: NameAddr | string, header: string): NameAddr {
  return typeof v === 'string' ? parseNameAddr(v, header) : v.clone();
}

/**
 * Build a new out-of-dialog (or, with explicit tags, in-dialog) request with the headers
 * §8.1.1 requires. The Via is added by the transaction layer when the request is sent.
 * @throws SipParseError when `from`/`to`/`contact` strings do not parse.
 */
export function createRequest(o: RequestOptions): SipRequest {
  const from = asNameAddr(o.from, 'from');
  if (from.tag === undefined) from.tag = o.fromTag ?? generateTag();
  const to = asNameAddr(o.to, 'to');
  const headers = new Headers();
  for (const r of o.routes ?? []) headers.append('Route', typeof r === 'string' ? r : r.toString());
  headers.append('Max-Forwards', String(o.maxForwards ?? 70));
  headers.append('From', from.toString());
  headers.append('To', to.toString());
  headers.append('Call-ID', o.callId ?? generateCallId());
  headers.append('CSeq', `${o.cseq ?? 1} ${o.method}`);
  if (o.contact !== undefined) headers.append('Contact', typeof o.contact === 'string' ? o.contact : o.contact.toString());
  for (const [n, v] of o.headers ?? []) headers.append(n, v);
  if (o.body !== undefined && o.contentType !== undefined) headers.set('Content-Type', o.contentType);
  return new SipRequest({ method: o.method, uri: o.uri, headers, ...(o.body !== undefined ? { body: o.body } : {}) });
}

function copyFields(src: Headers, dst: Headers, key: string): void {
  for (const f of src.fieldsOf(key)) dst.appendField(f);
}

function topViaField(src: Headers): HeaderField | undefined {
  const vias = src.fieldsOf('via');
  const first = vias[0];
  if (!first) return undefined;
  const value = src.getList('via')[0];
  // Keep the raw field when it holds a single via-parm; otherwise rebuild it.
  if (value === undefined || value === first.value) return first;
  return { name: first.name, key: 'via', value };
}

/**
 * CANCEL for a pending request (§9.1): same Request-URI, Call-ID, To, From and CSeq number
 * (method CANCEL), a single Via equal to the request's top Via (so the branch matches the
 * INVITE's server transaction, §9.2), and the same Route header fields.
 */
export function createCancel(request: SipRequest, reason?: string): SipRequest {
  const headers = new Headers();
  const via = topViaField(request.headers);
  if (via) headers.appendField(via);
  copyFields(request.headers, headers, 'route');
  headers.append('Max-Forwards', '70');
  copyFields(request.headers, headers, 'from');
  copyFields(request.headers, headers, 'to');
  copyFields(request.headers, headers, 'call-id');
  headers.append('CSeq', `${request.cseq.seq} CANCEL`);
  if (reason) headers.append('Reason', reason); // RFC 3326
  const cancel = new SipRequest({ method: 'CANCEL', uri: request.uriText, headers });
  cancel.headerEncoding = request.headerEncoding;
  return cancel;
}

/**
 * ACK for a non-2xx final response (§17.1.1.3): Request-URI, Call-ID, From and top Via of
 * the INVITE, To of the response (it carries the tag), CSeq number of the INVITE with method
 * ACK, and the INVITE's Route header fields.
 */
export function createAckForNon2xx(invite: SipRequest, response: SipResponse): SipRequest {
  const headers = new Headers();
  const via = topViaField(invite.headers);
  if (via) headers.appendField(via);
  copyFields(invite.headers, headers, 'route');
  headers.append('Max-Forwards', '70');
  copyFields(invite.headers, headers, 'from');
  const to = response.headers.fieldsOf('to')[0];
  if (to) headers.appendField(to);
  else copyFields(invite.headers, headers, 'to');
  copyFields(invite.headers, headers, 'call-id');
  headers.append('CSeq', `${invite.cseq.seq} ACK`);
  const ack = new SipRequest({ method: 'ACK', uri: invite.uriText, headers });
  ack.headerEncoding = invite.headerEncoding;
  return ack;
}

/**
 * ACK for a 2xx (§13.2.2.4): a new request of the dialog, sent to the remote target (the
 * 2xx's Contact) through the route set (the 2xx's Record-Route in reverse order), with the
 * INVITE's CSeq number and the INVITE's credentials. Needs a fresh Via/branch, which the
 * transaction layer adds when it is sent with `sendAck` / `sendStateless`.
 * Strict routing (a route set whose first entry lacks `lr`, §12.2.1.1) is not handled.
 */
export function createAckFor2xx(invite: SipRequest, response: SipResponse): SipRequest {
  const contact = response.contacts[0];
  const headers = new Headers();
  const rr = response.recordRoutes;
  for (let i = rr.length - 1; i >= 0; i--) headers.append('Route', rr[i]!.toString());
  headers.append('Max-Forwards', '70');
  copyFields(invite.headers, headers, 'from');
  const to = response.headers.fieldsOf('to')[0];
  if (to) headers.appendField(to);
  copyFields(invite.headers, headers, 'call-id');
  headers.append('CSeq', `${invite.cseq.seq} ACK`);
  copyFields(invite.headers, headers, 'authorization');
  copyFields(invite.headers, headers, 'proxy-authorization');
  return new SipRequest({ method: 'ACK', uri: contact ? contact.uri.clone() : invite.uriText, headers });
}
