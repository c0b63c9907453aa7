/** Unit tests of the message layer: parser, serialiser, URIs, name-addr, Via, CSeq, builders. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SipParseError } from '../../src/sip/errors.js';
import { createAckForNon2xx, createCancel, createRequest, createResponse } from '../../src/sip/message/builders.js';
import { parseCSeq } from '../../src/sip/message/cseq.js';
import { Headers, headerKey, splitHeaderValues } from '../../src/sip/message/headers.js';
import { SipRequest, SipResponse } from '../../src/sip/message/message.js';
import { parseNameAddr, parseNameAddrList } from '../../src/sip/message/name-addr.js';
import { parseMessage, parseRequest, parseResponse, tryParseMessage } from '../../src/sip/message/parser.js';
import { checkMessage } from '../../src/sip/message/rejection.js';
import { serializeMessage } from '../../src/sip/message/serializer.js';
import { AbsoluteUri, SipUri, TelUri, parseUri, uriEquals } from '../../src/sip/message/uri.js';
import { parseVia, parseViaList } from '../../src/sip/message/via.js';
import { msg } from './torture-messages.js';

const INVITE = msg(
  [
    'INVITE sip:bob@biloxi.example.com SIP/2.0',
    'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds',
    'Max-Forwards: 70',
    'To: Bob <sip:bob@biloxi.example.com>',
    'From: Alice <sip:alice@atlanta.example.com>;tag=1928301774',
    'Call-ID: a84b4c76e66710@pc33.atlanta.example.com',
    'CSeq: 314159 INVITE',
    'Contact: <sip:alice@pc33.atlanta.example.com>',
    'Content-Type: application/sdp',
    'Content-Length: 4',
  ],
  'v=0\n',
);

describe('start lines', () => {
  it('parses a request line', () => {
    const m = parseRequest(INVITE);
    assert.equal(m.method, 'INVITE');
    assert.equal(m.uriText, 'sip:bob@biloxi.example.com');
    assert.equal(m.version, '2.0');
    assert.equal(m.bodyText, 'v=0\n');
  });

  it('parses a status line with a multi-word reason', () => {
    const m = parseResponse(msg(['SIP/2.0 486 Busy Here Really', 'Via: SIP/2.0/UDP h;branch=z9hG4bK1', 'Content-Length: 0']));
    assert.equal(m.status, 486);
    assert.equal(m.reason, 'Busy Here Really');
  });

  it('rejects bad status codes and lines', () => {
    for (const line of ['SIP/2.0 99 Low', 'SIP/2.0 700 High', 'SIP/2.0 20x OK', 'SIP/2.0', 'SIP/x.y 200 OK']) {
      const r = tryParseMessage(msg([line, 'Content-Length: 0']));
      assert.equal(r.ok, false, line);
    }
  });

  it('rejects request lines with bad methods or versions', () => {
    assert.equal(tryParseMessage(msg(['INV(ITE sip:a@b SIP/2.0'])).ok, false);
    assert.equal(tryParseMessage(msg(['INVITE sip:a@b HTTP/1.1'])).ok, false);
    assert.equal(tryParseMessage(msg(['INVITE sip:a@b'])).ok, false);
    const r = tryParseMessage(msg(['INVITE sip:a@b SIP/3.0', 'Content-Length: 0']));
    assert.ok(r.ok && r.message.version === '3.0', 'an unknown version parses (505 is a validation result)');
  });

  it('ignores CRLFs before the start line (§7.5)', () => {
    const m = parseMessage(Buffer.concat([Buffer.from('\r\n\r\n'), INVITE]));
    assert.equal(m.kind, 'request');
  });

  it('tolerates bare LF line endings', () => {
    const m = parseMessage('OPTIONS sip:a@b.example SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\nCall-ID: x\nContent-Length: 0\n\n');
    assert.equal(m.headers.get('call-id'), 'x');
  });
});

describe('headers', () => {
  it('looks names up case-insensitively and through compact forms', () => {
    const m = parseMessage(
      msg(['OPTIONS sip:a@b SIP/2.0', 'v: SIP/2.0/UDP h;branch=z9hG4bK1', 'i: abc', 'f: <sip:x@y>;tag=1', 't: <sip:z@y>', 'CSEQ: 1 OPTIONS', 'l: 0']),
    );
    assert.equal(m.headers.get('Call-ID'), 'abc');
    assert.equal(m.headers.get('CALL-ID'), 'abc');
    assert.equal(m.headers.get('i'), 'abc');
    assert.equal(m.callId, 'abc');
    assert.equal(m.from.tag, '1');
    assert.equal(m.cseq.seq, 1);
    assert.equal(headerKey('V'), 'via');
    assert.equal(headerKey('k'), 'supported');
    assert.equal(headerKey('o'), 'event');
    assert.equal(headerKey('x'), 'session-expires');
  });

  it('unfolds continuation lines but keeps the raw text', () => {
    const m = parseMessage(msg(['OPTIONS sip:a@b SIP/2.0', 'Subject: first', '\t second', '  third', 'Content-Length: 0']));
    assert.equal(m.headers.get('subject'), 'first second third');
    assert.equal(m.headers.fieldsOf('subject')[0]!.raw, 'Subject: first\r\n\t second\r\n  third');
  });

  it('splits lists on commas outside quotes and <>', () => {
    assert.deepEqual(splitHeaderValues('"a, b" <sip:x@y;p=1,2>;q=1, <sip:z@w>, , c'), ['"a, b" <sip:x@y;p=1,2>;q=1', '<sip:z@w>', 'c']);
    assert.deepEqual(splitHeaderValues('"esc \\" , still" <sip:a@b>, <sip:c@d>'), ['"esc \\" , still" <sip:a@b>', '<sip:c@d>']);
  });

  it('rejects header lines without colon or with a bad name', () => {
    const r = tryParseMessage(msg(['OPTIONS sip:a@b SIP/2.0', 'Via: SIP/2.0/UDP h;branch=z9hG4bK1', 'NoColonHere', 'Content-Length: 0']));
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.error.code, 'MALFORMED_HEADER');
      assert.ok(r.error.partial?.headers.has('via'), 'the usable headers are kept for a 400');
    }
    assert.equal(tryParseMessage(msg(['OPTIONS sip:a@b SIP/2.0', 'Bad Name: x'])).ok, false);
    assert.equal(tryParseMessage(msg(['OPTIONS sip:a@b SIP/2.0', ' leading: continuation'])).ok, false);
  });

  it('supports editing: set, prepend, replace/remove first value of a combined line', () => {
    const h = new Headers();
    h.append('Via', 'SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/UDP b;branch=z9hG4bK2');
    h.append('Via', 'SIP/2.0/UDP c;branch=z9hG4bK3');
    h.prepend('v', 'SIP/2.0/TCP top;branch=z9hG4bK0');
    assert.equal(h.getList('via').length, 4);
    assert.equal(h.fieldsOf('via')[0]!.name, 'Via');
    assert.equal(h.removeFirstValue('via'), 'SIP/2.0/TCP top;branch=z9hG4bK0');
    h.replaceFirstValue('via', 'SIP/2.0/UDP a;branch=z9hG4bK1;received=1.2.3.4');
    assert.deepEqual(h.getList('via'), ['SIP/2.0/UDP a;branch=z9hG4bK1;received=1.2.3.4', 'SIP/2.0/UDP b;branch=z9hG4bK2', 'SIP/2.0/UDP c;branch=z9hG4bK3']);
    h.removeFirstValue('via');
    assert.deepEqual(h.getAll('via'), ['SIP/2.0/UDP b;branch=z9hG4bK2', 'SIP/2.0/UDP c;branch=z9hG4bK3']);
    h.set('Via', 'only');
    assert.deepEqual(h.getAll('via'), ['only']);
    assert.equal(h.remove('via'), 1);
  });
});

describe('URIs (RFC 3261 §19.1)', () => {
  it('parses user, password, host, port, parameters and headers', () => {
    const u = parseUri('sips:alice:secret@atlanta.example.com:5061;transport=tcp;lr;maddr=239.255.255.1?subject=project%20x&priority=urgent');
    assert.ok(u instanceof SipUri);
    assert.equal(u.scheme, 'sips');
    assert.equal(u.user, 'alice');
    assert.equal(u.password, 'secret');
    assert.equal(u.host, 'atlanta.example.com');
    assert.equal(u.port, 5061);
    assert.equal(u.transportParam, 'tcp');
    assert.equal(u.lr, true);
    assert.equal(u.params.get('maddr'), '239.255.255.1');
    assert.deepEqual(u.headers, [
      ['subject', 'project%20x'],
      ['priority', 'urgent'],
    ]);
    assert.equal(u.toString(), 'sips:alice:secret@atlanta.example.com:5061;transport=tcp;lr;maddr=239.255.255.1?subject=project%20x&priority=urgent');
  });

  it('parses IPv6 references', () => {
    const u = parseUri('sip:[2001:db8::10]:5070;transport=udp') as SipUri;
    assert.equal(u.host, '[2001:db8::10]');
    assert.equal(u.hostname, '2001:db8::10');
    assert.equal(u.port, 5070);
    assert.throws(() => parseUri('sip:[2001:db8::zz]'), SipParseError);
    assert.throws(() => parseUri('sip:[2001:db8::1'), SipParseError);
  });

  it('decodes %-escapes on demand', () => {
    const u = parseUri('sip:%61lice%20smith@example.com') as SipUri;
    assert.equal(u.user, '%61lice%20smith');
    assert.equal(u.userDecoded, 'alice smith');
    assert.equal(SipUri.fromParts('a b@c', 'example.com').toString(), 'sip:a%20b%40c@example.com');
  });

  it('parses tel and other absolute URIs', () => {
    const t = parseUri('tel:+1-201-555-0123;phone-context=example.com');
    assert.ok(t instanceof TelUri);
    assert.equal(t.number, '+1-201-555-0123');
    assert.equal(t.isGlobal, true);
    const a = parseUri('mailto:someone@example.com');
    assert.ok(a instanceof AbsoluteUri);
    assert.equal(a.scheme, 'mailto');
  });

  it('rejects malformed URIs', () => {
    for (const bad of ['', 'sip:', 'sip:@host', 'sip:user@', 'sip:host:99999', 'sip:host:12a', 'sip:ho st', 'sip:a@b;', 'sip:a@b;=x', 'sip:a%zz@b', 'sip:a@b?x', '1sip:a@b', '<sip:a@b>', 'sip:a@300.1.1.1', 'tel:', 'tel:12+3', 'foo:a b']) {
      assert.throws(() => parseUri(bad), SipParseError, bad);
    }
  });

  it('compares SIP URIs per §19.1.4', () => {
    assert.ok(uriEquals(parseUri('sip:%61lice@atlanta.com;transport=TCP'), parseUri('sip:alice@AtLanTa.CoM;Transport=tcp')));
    assert.ok(!uriEquals(parseUri('sip:alice@atlanta.com'), parseUri('sip:alice@atlanta.com:5060')));
    assert.ok(!uriEquals(parseUri('sip:bob@biloxi.com;transport=udp'), parseUri('sip:bob@biloxi.com')));
    assert.ok(uriEquals(parseUri('sip:carol@chicago.com;security=on'), parseUri('sip:carol@chicago.com')));
  });
});

describe('name-addr / addr-spec (§20.10)', () => {
  it('parses quoted and token display names and header parameters', () => {
    const a = parseNameAddr('"Alice \\"A\\" Liddell" <sip:alice@example.com;transport=tcp>;tag=88sja8x;q=0.7');
    assert.equal(a.displayName, 'Alice "A" Liddell');
    assert.equal((a.uri as SipUri).transportParam, 'tcp');
    assert.equal(a.tag, '88sja8x');
    assert.equal(a.params.get('q'), '0.7');
    const b = parseNameAddr('Bob Smith <sip:bob@example.com>');
    assert.equal(b.displayName, 'Bob Smith');
  });

  it('gives addr-spec parameters to the header, not the URI', () => {
    const a = parseNameAddr('sip:alice@example.com;tag=abc');
    assert.equal((a.uri as SipUri).params.size, 0);
    assert.equal(a.tag, 'abc');
    assert.equal(a.angleBrackets, false);
    assert.equal(a.toString(), 'sip:alice@example.com;tag=abc');
  });

  it('parses lists and rejects broken values', () => {
    assert.equal(parseNameAddrList('<sip:a@b>;expires=60, "x, y" <sip:c@d>', 'contact').length, 2);
    for (const bad of ['"unterminated <sip:a@b>', 'Bad, Name <sip:a@b>', '< sip:a@b>', '<sip:a@b', 'sip:a@b?h=1', '<sip:a@b>;', '<sip:a@b> junk']) {
      assert.throws(() => parseNameAddr(bad), SipParseError, bad);
    }
  });

  it('prints a round-trippable form', () => {
    const a = parseNameAddr('Alice <sip:alice@example.com>;tag=1');
    a.tag = '2';
    assert.equal(a.toString(), 'Alice <sip:alice@example.com>;tag=2');
    assert.equal(parseNameAddr(a.toString()).tag, '2');
  });
});

describe('Via (§20.42, RFC 3581)', () => {
  it('parses protocol, transport, sent-by and the standard parameters', () => {
    const v = parseVia('SIP/2.0/TCP [2001:db8::9]:5070;branch=z9hG4bKabc;received=2001:db8::10;rport=4000;maddr=239.1.1.1;ttl=16');
    assert.equal(v.protocolName, 'SIP');
    assert.equal(v.protocolVersion, '2.0');
    assert.equal(v.transport, 'TCP');
    assert.equal(v.host, '[2001:db8::9]');
    assert.equal(v.hostname, '2001:db8::9');
    assert.equal(v.port, 5070);
    assert.equal(v.branch, 'z9hG4bKabc');
    assert.equal(v.isRfc3261Branch, true);
    assert.equal(v.received, '2001:db8::10');
    assert.equal(v.rport, 4000);
    assert.equal(v.maddr, '239.1.1.1');
    assert.equal(v.ttl, 16);
    assert.equal(parseVia('SIP/2.0/UDP h;rport').rport, null);
    assert.equal(parseVia('SIP/2.0/UDP h').rport, undefined);
  });

  it('handles LWS around separators and lists', () => {
    const vs = parseViaList('SIP / 2.0 / UDP a.example.com : 5060 ; branch = z9hG4bK1 , SIP/2.0/TLS b.example.com');
    assert.equal(vs.length, 2);
    assert.equal(vs[0]!.port, 5060);
    assert.equal(vs[0]!.branch, 'z9hG4bK1');
    assert.equal(vs[1]!.transport, 'TLS');
  });

  it('rejects malformed Vias', () => {
    for (const bad of ['', 'SIP/2.0 host', 'SIP/2.0/UDP', 'SIP/2.0/UDPhost', 'SIP/2.0/UDP host:abc', 'SIP/2.0/UDP host;ttl=999', 'SIP/2.0/UDP host;rport=x', 'SIP/2.0/UDP host;;', 'SIP/2.0/UDP host;branch']) {
      assert.throws(() => parseVia(bad), SipParseError, bad);
    }
  });
});

describe('CSeq (§20.16)', () => {
  it('parses and range-checks', () => {
    assert.deepEqual(parseCSeq('  0042 \r\n INVITE '), { seq: 42, method: 'INVITE' });
    assert.deepEqual(parseCSeq('4294967295 BYE'), { seq: 4294967295, method: 'BYE' });
    for (const bad of ['', 'INVITE', '1', '1INVITE', '-1 INVITE', '4294967296 INVITE', '1 INVITE x', '1 INV/ITE']) {
      assert.throws(() => parseCSeq(bad), SipParseError, bad);
    }
  });
});

describe('framing and limits', () => {
  it('datagram: body is cut at Content-Length; missing Content-Length takes the rest', () => {
    const extra = Buffer.concat([INVITE, Buffer.from('garbage')]);
    const r = tryParseMessage(extra);
    assert.ok(r.ok);
    if (r.ok) {
      assert.equal(r.message.bodyText, 'v=0\n');
      assert.equal(r.consumed, INVITE.length);
    }
    const noCl = parseMessage('MESSAGE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\r\nhello');
    assert.equal(noCl.bodyText, 'hello');
  });

  it('stream: Content-Length is mandatory and exact', () => {
    const r = tryParseMessage('OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\n\r\n', { framing: 'stream' });
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.error.code, 'MISSING_CONTENT_LENGTH');
    assert.ok(tryParseMessage(INVITE, { framing: 'stream' }).ok);
  });

  it('enforces the message size and header count limits', () => {
    const big = msg(['MESSAGE sip:a@b SIP/2.0', 'Via: SIP/2.0/UDP h;branch=z9hG4bK1', 'Content-Length: 2000'], 'x'.repeat(2000));
    const r = tryParseMessage(big, { maxMessageSize: 1024 });
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.error.code, 'MESSAGE_TOO_LARGE');
    const c = checkMessage(big, { parse: { maxMessageSize: 1024 } });
    assert.ok(!c.ok && c.rejection.action === 'respond' && c.rejection.status === 513);
    const many = msg(['OPTIONS sip:a@b SIP/2.0', ...Array.from({ length: 50 }, (_, i) => `X-H${i}: v`)]);
    const r2 = tryParseMessage(many, { maxHeaders: 20 });
    assert.ok(!r2.ok && r2.error.code === 'TOO_MANY_HEADERS');
  });

  it('never throws anything but SipParseError', () => {
    for (const input of ['', '\r\n', 'garbage', '\x00\x01\x02', 'SIP/2.0 2000 OK', 'INVITE sip:a@b SIP/2.0\r\nContent-Length: abc\r\n\r\n']) {
      const r = tryParseMessage(input);
      assert.equal(r.ok, false);
      assert.throws(() => parseMessage(input), SipParseError);
    }
  });

  it('keeps non-UTF-8 header octets intact (latin1 fallback)', () => {
    const data = Buffer.concat([Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nX-Bin: '), Buffer.from([0xff, 0xfe, 0x80]), Buffer.from('\r\nContent-Length: 0\r\n\r\n')]);
    const m = parseMessage(data);
    assert.equal(m.headerEncoding, 'latin1');
    assert.ok(serializeMessage(m).equals(data));
    m.headers.append('X-New', 'é');
    const out = serializeMessage(m);
    assert.ok(out.includes(Buffer.from([0xff, 0xfe, 0x80])));
    assert.ok(out.includes(Buffer.from('X-New: é', 'utf8')));
  });
});

describe('serialiser', () => {
  it('re-emits untouched headers byte for byte and fixes Content-Length', () => {
    const raw = msg(['OPTIONS sip:a@b SIP/2.0', 'Via:   SIP/2.0/UDP h;branch=z9hG4bK1', 'X-Odd :  spaced\r\n  folded', 'l: 0']);
    const m = parseMessage(raw);
    assert.ok(serializeMessage(m).equals(raw));
    m.bodyText = 'hello';
    const text = serializeMessage(m).toString();
    assert.match(text, /X-Odd :  spaced\r\n  folded\r\n/);
    assert.match(text, /l: 5\r\n\r\nhello$/);
  });

  it('re-emits a changed Request-URI and keeps an unchanged one verbatim', () => {
    const m = parseRequest(msg(['OPTIONS SIP:Alice@Example.COM SIP/2.0', 'Content-Length: 0']));
    assert.match(serializeMessage(m).toString(), /^OPTIONS SIP:Alice@Example.COM SIP\/2.0\r\n/);
    (m.uri as SipUri).port = 5080;
    assert.match(serializeMessage(m).toString(), /^OPTIONS sip:Alice@Example.COM:5080 SIP\/2.0\r\n/);
  });
});

describe('builders', () => {
  it('createResponse copies Via/From/To/Call-ID/CSeq and adds a To tag (§8.2.6)', () => {
    const req = parseRequest(
      msg([
        'INVITE sip:bob@b.example SIP/2.0',
        'Via: SIP/2.0/UDP a.example;branch=z9hG4bK1',
        'Via: SIP/2.0/UDP b.example;branch=z9hG4bK2',
        'From: <sip:alice@a.example>;tag=f1',
        'To: <sip:bob@b.example>',
        'Call-ID: c1',
        'CSeq: 7 INVITE',
        'Timestamp: 54',
        'Contact: <sip:alice@a.example>',
        'Content-Length: 0',
      ]),
    );
    const r = createResponse(req, 180, { toTag: 't9' });
    assert.deepEqual(r.headers.getAll('via'), req.headers.getAll('via'));
    assert.equal(r.to.tag, 't9');
    assert.equal(r.from.tag, 'f1');
    assert.equal(r.callId, 'c1');
    assert.deepEqual(r.cseq, { seq: 7, method: 'INVITE' });
    assert.equal(r.headers.has('contact'), false);
    assert.equal(r.headers.has('timestamp'), false);
    const trying = createResponse(req, 100);
    assert.equal(trying.to.tag, undefined);
    assert.equal(trying.headers.get('timestamp'), '54');
    assert.equal(createResponse(req, 200).reason, 'OK');
  });

  it('createRequest, createCancel and createAckForNon2xx follow §8.1.1, §9.1 and §17.1.1.3', () => {
    const invite = createRequest({
      method: 'INVITE',
      uri: 'sip:bob@b.example',
      from: 'Alice <sip:alice@a.example>',
      to: 'sip:bob@b.example',
      callId: 'call-1',
      cseq: 5,
      routes: ['<sip:proxy.example;lr>'],
      contact: '<sip:alice@10.0.0.1>',
      body: 'v=0',
      contentType: 'application/sdp',
    });
    invite.headers.prepend('Via', 'SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKinv');
    assert.ok(invite.from.tag, 'From gets a tag');
    assert.equal(invite.maxForwards, 70);
    const parsed = parseRequest(serializeMessage(invite));
    assert.equal(parsed.bodyText, 'v=0');
    assert.equal(checkMessage(serializeMessage(invite)).ok, true);

    const cancel = createCancel(invite);
    assert.equal(cancel.method, 'CANCEL');
    assert.equal(cancel.uriText, invite.uriText);
    assert.equal(cancel.topVia.branch, 'z9hG4bKinv');
    assert.deepEqual(cancel.cseq, { seq: 5, method: 'CANCEL' });
    assert.equal(cancel.headers.get('route'), '<sip:proxy.example;lr>');
    assert.equal(cancel.body.length, 0);

    const res = createResponse(invite, 486, { toTag: 'x1' });
    const ack = createAckForNon2xx(invite, res);
    assert.equal(ack.method, 'ACK');
    assert.equal(ack.topVia.branch, 'z9hG4bKinv');
    assert.equal(ack.to.tag, 'x1');
    assert.deepEqual(ack.cseq, { seq: 5, method: 'ACK' });
    assert.ok(ack instanceof SipRequest);
    assert.ok(res instanceof SipResponse);
  });
});
