/**
 * RFC 4475 torture tests: every §3.1.1 message is accepted (parsed and validated), every
 * §3.1.2 message is answered with a response naming the problem or dropped when it cannot
 * be answered, plus a selection of §3.2 transaction-layer semantics.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkMessage } from '../../src/sip/message/rejection.js';
import { parseMessage, tryParseMessage } from '../../src/sip/message/parser.js';
import { serializeMessage } from '../../src/sip/message/serializer.js';
import { SipRequest, SipResponse, type SipMessage } from '../../src/sip/message/message.js';
import { SipUri, TelUri } from '../../src/sip/message/uri.js';
import * as T from './torture-messages.js';

function accepted(data: Buffer): SipMessage {
  const r = checkMessage(data);
  assert.ok(r.ok, `expected acceptance, got ${r.ok ? '' : JSON.stringify(r.problem)}`);
  // A valid message also survives a serialise → parse round trip unchanged.
  const again = serializeMessage(r.message);
  assert.deepEqual(serializeMessage(parseMessage(again)), again);
  return r.message;
}

function req(m: SipMessage): SipRequest {
  assert.ok(m instanceof SipRequest);
  return m;
}

function rejectedWith(data: Buffer, status: number, reason: RegExp): SipResponse {
  const r = checkMessage(data);
  assert.equal(r.ok, false, 'expected rejection');
  if (r.ok) throw new Error('unreachable');
  assert.equal(r.rejection.action, 'respond', `expected a response, got drop: ${r.rejection.reason}`);
  if (r.rejection.action !== 'respond') throw new Error('unreachable');
  const res = r.rejection.response;
  assert.equal(res.status, status);
  assert.match(res.reason, reason);
  // The response is routable and matchable: it carries Via, Call-ID/CSeq when present.
  assert.ok(res.headers.has('via'));
  // And it serialises to a parseable message.
  const back = parseMessage(serializeMessage(res));
  assert.equal(back.kind, 'response');
  return res;
}

function dropped(data: Buffer): void {
  const r = checkMessage(data);
  assert.equal(r.ok, false);
  if (r.ok) throw new Error('unreachable');
  assert.equal(r.rejection.action, 'drop');
}

describe('RFC 4475 §3.1.1 valid messages are accepted', () => {
  it('3.1.1.1 wsinv: short tortuous INVITE', () => {
    const m = req(accepted(T.wsinv));
    assert.equal(m.method, 'INVITE');
    assert.equal((m.uri as SipUri).params.get('unknownparam'), null);
    assert.equal(m.to.tag, '1918181833n');
    assert.equal(m.from.tag, '98asjd8');
    assert.equal(m.from.displayName, 'J Rosenberg \\"');
    assert.equal(m.maxForwards, 68);
    assert.deepEqual(m.cseq, { seq: 9, method: 'INVITE' });
    assert.equal(m.callId, 'wsinv.ndaksdj@192.0.2.1');
    assert.deepEqual(
      m.vias.map((v) => [v.transport, v.host, v.branch]),
      [
        ['UDP', '192.0.2.2', '390skdjuw'],
        ['TCP', 'spindle.example.com', 'z9hG4bK9ikj8'],
        ['UDP', '192.168.255.111', 'z9hG4bK30239'],
      ],
    );
    assert.equal(m.headers.get('subject'), '');
    assert.equal(m.headers.get('newfangledheader'), 'newfangled value continued newfangled value');
    assert.equal(m.headers.get('UnknownHeaderWithUnusualValue'), ';;,,;;,;');
    const contact = m.contacts[0]!;
    assert.equal(contact.displayName, 'Quoted string ""');
    assert.equal(contact.params.get('newparam'), 'newvalue');
    assert.equal(contact.params.get('secondparam'), null);
    assert.equal(contact.params.get('q'), '0.33');
    assert.equal((m.routes[0]!.uri as SipUri).lr, true);
    assert.equal(m.body.length, 150);
    // Untouched, the message is re-emitted byte for byte.
    assert.ok(serializeMessage(m).equals(T.wsinv));
  });

  it('3.1.1.2 intmeth: wide range of valid characters', () => {
    const m = req(accepted(T.intmeth));
    assert.equal(m.method, "!interesting-Method0123456789_*+`.%indeed'~");
    const uri = m.uri as SipUri;
    assert.equal(uri.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
    assert.equal(uri.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
    assert.equal(uri.host, 'example.com');
    assert.equal(m.topVia.branch, "z9hG4bK-.!%66*_+`'~");
    assert.equal(m.to.displayName, 'BEL:\x07 NUL:\x00 DEL:\x7f');
    assert.equal(m.from.displayName, "token1~` token2'+_ token3*%!.-");
    assert.equal(m.from.params.getUnquoted("fromParam''~+*_!.-%"), 'работающий');
    assert.equal(m.from.tag, "_token~1'+`*%!-.");
    assert.equal(m.callId, 'intmeth.word%ZK-!.*_+\'@word`~)(><:\\/"][?}{');
    assert.equal(m.maxForwards, 255);
    assert.equal(m.headers.get("extensionHeader-!.%*+_`'~"), '\ufeff大停電');
    assert.ok(serializeMessage(m).equals(T.intmeth));
  });

  it('3.1.1.3 esc01: valid use of % escaping', () => {
    const m = req(accepted(T.esc01));
    const uri = m.uri as SipUri;
    assert.equal(uri.user, 'sips%3Auser%40example.com');
    assert.equal(uri.userDecoded, 'sips:user@example.com');
    assert.equal((m.to.uri as SipUri).userDecoded, 'user');
    assert.equal((m.from.uri as SipUri).userDecoded, 'I have spaces');
    assert.equal(m.callId, 'esc01.239409asdfakjkn23onasd0-3234');
    assert.equal(m.contentType, 'application/sdp');
    const c = m.contacts[0]!.uri as SipUri;
    assert.equal(c.userDecoded, 'caller');
    assert.equal(c.params.get('%6C%72'), null);
    assert.equal(c.params.get('n%61me'), 'v%61lue%25%34%31');
  });

  it('3.1.1.4 escnull: escaped nulls in URIs', () => {
    const m = req(accepted(T.escnull));
    assert.equal((m.to.uri as SipUri).userDecoded, 'null-\x00-null');
    assert.deepEqual(
      m.contacts.map((c) => (c.uri as SipUri).userDecoded),
      ['\x00', '\x00\x00'],
    );
    assert.equal(m.body.length, 0);
  });

  it('3.1.1.5 esc02: % that is not an escape', () => {
    const m = req(accepted(T.esc02));
    assert.equal(m.method, 'RE%47IST%45R');
    assert.equal(m.cseq.method, 'RE%47IST%45R');
    assert.equal(m.to.displayName, '%Z%45');
    assert.equal(m.topVia.branch, 'z9hG4bK209%fzsnel234');
    // "C%6Fntact" is an unknown header, not a Contact.
    assert.deepEqual(
      m.contacts.map((c) => (c.uri as SipUri).host),
      ['host1.example.com', 'host3.example.com'],
    );
    assert.equal(m.headers.get('C%6Fntact'), '<sip:alias2@host2.example.com>');
  });

  it('3.1.1.6 lwsdisp: no LWS between display name and <', () => {
    const m = req(accepted(T.lwsdisp));
    assert.equal(m.from.displayName, 'caller');
    assert.equal(m.from.tag, '323');
  });

  it('3.1.1.7 longreq: long values in header fields', () => {
    const m = req(accepted(T.longreq));
    assert.equal(m.vias.length, 34);
    assert.equal(m.vias[0]!.host, 'sip33.example.com');
    assert.equal(m.topVia.host, 'sip33.example.com');
    assert.equal(m.vias[33]!.received, '192.0.2.5');
    assert.equal((m.to.uri as SipUri).port, 6000);
    assert.ok(m.from.tag!.length > 150);
    assert.equal(m.headers.get('unknown-' + 'long'.repeat(20) + '-name')?.startsWith('unknown-long'), true);
  });

  it('3.1.1.8 dblreq: extra trailing octets in a UDP datagram are ignored', () => {
    const r = tryParseMessage(T.dblreq, { framing: 'datagram' });
    assert.ok(r.ok);
    if (!r.ok) return;
    assert.equal((r.message as SipRequest).method, 'REGISTER');
    assert.equal(r.message.body.length, 0);
    assert.ok(r.consumed < T.dblreq.length);
    assert.ok(checkMessage(T.dblreq).ok);
  });

  it('3.1.1.9 semiuri: semicolon-separated parameters in the user part', () => {
    const m = req(accepted(T.semiuri));
    const uri = m.uri as SipUri;
    assert.equal(uri.user, 'user;par=u%40example.net');
    assert.equal(uri.host, 'example.com');
    assert.equal(uri.params.size, 0);
    assert.deepEqual(m.headers.getList('accept'), [
      'application/sdp',
      'application/pkcs7-mime',
      'multipart/mixed',
      'multipart/signed',
      'message/sip',
      'message/sipfrag',
    ]);
  });

  it('3.1.1.10 transports: varied and unknown transport types', () => {
    const m = req(accepted(T.transports));
    assert.deepEqual(
      m.vias.map((v) => v.transport),
      ['UDP', 'SCTP', 'TLS', 'UNKNOWN', 'TCP'],
    );
  });

  it('3.1.1.11 mpart01: multipart MIME with a binary part', () => {
    const m = req(accepted(T.mpart01));
    assert.ok(m.body.equals(T.mpart01Body));
    assert.equal(m.contentType, 'multipart/mixed');
    assert.equal(m.topVia.rport, null);
    assert.ok(serializeMessage(m).equals(T.mpart01));
  });

  it('3.1.1.12 unreason: unusual reason phrase', () => {
    const m = accepted(T.unreason);
    assert.ok(m instanceof SipResponse);
    assert.equal(m.status, 200);
    assert.equal(m.reason, '= 2**3 * 5**2 но сто девяносто девять - простое');
    assert.equal(m.body.length, 154);
  });

  it('3.1.1.13 noreason: empty reason phrase', () => {
    const m = accepted(T.noreason);
    assert.ok(m instanceof SipResponse);
    assert.equal(m.status, 100);
    assert.equal(m.reason, '');
  });
});

describe('RFC 4475 §3.1.2 invalid messages get a 400 naming the problem, or are dropped', () => {
  it('3.1.2.1 badinv01: extraneous header field separators', () => {
    rejectedWith(T.badinv01, 400, /Invalid Via/);
  });
  it('3.1.2.2 clerr: Content-Length larger than the message', () => {
    rejectedWith(T.clerr, 400, /Content-Length Mismatch/);
  });
  it('3.1.2.3 ncl: negative Content-Length', () => {
    rejectedWith(T.ncl, 400, /Invalid Content-Length/);
  });
  it('3.1.2.4 scalar02: request scalar fields with overlarge values', () => {
    const res = rejectedWith(T.scalar02, 400, /Invalid CSeq/);
    assert.equal(res.headers.get('call-id'), 'scalar02.23o0pd9vanlq3wnrlnewofjas9ui32');
  });
  it('3.1.2.5 scalarlg: response with overlarge scalar values is dropped', () => {
    dropped(T.scalarlg);
  });
  it('3.1.2.6 quotbal: unterminated quoted string in display name', () => {
    rejectedWith(T.quotbal, 400, /Invalid To Header/);
  });
  it('3.1.2.7 ltgtruri: <> around the Request-URI', () => {
    rejectedWith(T.ltgtruri, 400, /Invalid Request-URI/);
  });
  it('3.1.2.8 lwsruri: LWS inside the Request-URI', () => {
    rejectedWith(T.lwsruri, 400, /Invalid Request-URI/);
  });
  it('3.1.2.9 lwsstart: multiple SP in the Request-Line', () => {
    rejectedWith(T.lwsstart, 400, /Malformed Request-Line/);
  });
  it('3.1.2.10 trws: SP at the end of the Request-Line', () => {
    rejectedWith(T.trws, 400, /Malformed Request-Line/);
  });
  it('3.1.2.11 escruri: escaped headers in the Request-URI', () => {
    rejectedWith(T.escruri, 400, /Invalid Request-URI/);
  });
  it('3.1.2.12 baddate: time zone other than GMT', () => {
    rejectedWith(T.baddate, 400, /Invalid Date/);
  });
  it('3.1.2.13 regbadct: URI with headers not enclosed in <>', () => {
    rejectedWith(T.regbadct, 400, /Invalid Contact Header/);
  });
  it('3.1.2.14 badaspec: spaces within addr-spec', () => {
    rejectedWith(T.badaspec, 400, /Invalid To Header/);
  });
  it('3.1.2.15 baddn: non-token characters in display name', () => {
    rejectedWith(T.baddn, 400, /Invalid From Header/);
  });
  it('3.1.2.16 badvers: unknown protocol version gets 505', () => {
    rejectedWith(T.badvers, 505, /Version Not Supported/);
  });
  it('3.1.2.17 mismatch01: CSeq method differs from the Request-Line', () => {
    rejectedWith(T.mismatch01, 400, /CSeq Method Mismatch/);
  });
  it('3.1.2.18 mismatch02: unknown method with CSeq mismatch', () => {
    rejectedWith(T.mismatch02, 400, /CSeq Method Mismatch/);
  });
  it('3.1.2.19 bigcode: overlarge response code is dropped', () => {
    dropped(T.bigcode);
  });
});

describe('RFC 4475 §3.2 transaction layer semantics (selection)', () => {
  it('3.2.1 insuf: missing required headers get 400', () => {
    rejectedWith(T.insuf, 400, /Missing Call-ID Header/);
  });
  it('3.2.2 unkscm: unknown Request-URI scheme gets 416', () => {
    rejectedWith(T.unkscm, 416, /Unsupported URI Scheme/);
  });
  it('3.2.3 novelsc: atypical Request-URI scheme gets 416', () => {
    rejectedWith(T.novelsc, 416, /Unsupported URI Scheme/);
  });
  it('3.2.8 multi01: several values in single-value headers get 400', () => {
    rejectedWith(T.multi01, 400, /Multiple .* Headers/);
  });
  it('3.2.9 mcl01: conflicting Content-Length values get 400', () => {
    rejectedWith(T.mcl01, 400, /Multiple Content-Length/);
  });
  it('3.2.11 zeromf: Max-Forwards 0 gets 483', () => {
    rejectedWith(T.zeromf, 483, /Too Many Hops/);
  });
  it('tel: Request-URIs are accepted as a known scheme', () => {
    const data = T.msg([
      'INVITE tel:+15551234567;phone-context=example.com SIP/2.0',
      'Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKtel1',
      'To: <tel:+15551234567>',
      'From: <sip:a@example.com>;tag=1',
      'Call-ID: tel1',
      'CSeq: 1 INVITE',
      'Max-Forwards: 70',
      'Content-Length: 0',
    ]);
    const m = req(accepted(data));
    assert.ok(m.uri instanceof TelUri);
    assert.equal((m.uri as TelUri).number, '+15551234567');
  });
});
