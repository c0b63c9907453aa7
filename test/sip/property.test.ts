/**
 * Property tests (fast-check):
 *  - generated valid messages survive parse → serialise → parse unchanged;
 *  - random byte and line mutations of valid messages never make the parser, the validator,
 *    the rejection logic or the stream framer throw anything but SipParseError.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SipParseError } from '../../src/sip/errors.js';
import { createRequest } from '../../src/sip/message/builders.js';
import { SipRequest, type SipMessage } from '../../src/sip/message/message.js';
import { parseMessage, tryParseMessage } from '../../src/sip/message/parser.js';
import { checkMessage } from '../../src/sip/message/rejection.js';
import { serializeMessage } from '../../src/sip/message/serializer.js';
import { SipUri } from '../../src/sip/message/uri.js';
import { StreamFramer } from '../../src/sip/transport/stream-framer.js';
import * as T from './torture-messages.js';

const TOKEN_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`\'~';
const USER_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789-_.!~*\'()&=+$,;?/';
const tokenArb = fc.string({ unit: fc.constantFrom(...TOKEN_CHARS), minLength: 1, maxLength: 12 });
const alnum = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'), minLength: 1, maxLength: 10 });
const hostArb = fc.oneof(
  fc.array(alnum, { minLength: 1, maxLength: 3 }).map((p) => `${p.join('.')}.example`),
  fc.ipV4(),
  fc.ipV6().map((a) => `[${a}]`),
);
const userArb = fc.string({ unit: fc.constantFrom(...USER_CHARS), minLength: 1, maxLength: 12 });
const paramCharArb = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-_.!~*\'()[]/:&+$'), minLength: 1, maxLength: 10 });
const paramsArb = fc.uniqueArray(fc.tuple(paramCharArb, fc.option(paramCharArb, { nil: null })), { maxLength: 3, selector: ([n]) => n.toLowerCase() });
const uriArb = fc
  .record({ secure: fc.boolean(), user: fc.option(userArb, { nil: undefined }), host: hostArb, port: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }), params: paramsArb })
  .map((r) => {
    const u = new SipUri({ scheme: r.secure ? 'sips' : 'sip', host: r.host, params: r.params, ...(r.user !== undefined ? { user: r.user } : {}), ...(r.port !== undefined ? { port: r.port } : {}) });
    return u.toString();
  });
/** Header text: printable ASCII and some non-ASCII, no CR/LF. */
const textArb = fc.string({ unit: fc.oneof(fc.constantFrom(...'abcXYZ 0123456789,;:"<>=@/\\\t'), fc.constantFrom('é', '大', 'ж', '€')), maxLength: 30 });
const extraHeaderArb = fc.tuple(tokenArb.map((t) => `X-${t}`), textArb, fc.boolean());
const methodArb = fc.oneof(fc.constantFrom('INVITE', 'OPTIONS', 'REGISTER', 'BYE', 'MESSAGE', 'INFO'), tokenArb);

const validMessageArb = fc
  .record({
    method: methodArb,
    uri: uriArb,
    fromUri: uriArb,
    toUri: uriArb,
    fromName: fc.option(textArb.map((t) => t.replace(/["\\]/g, '')), { nil: undefined }),
    tag: tokenArb,
    callId: tokenArb,
    seq: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    viaHost: hostArb,
    branch: tokenArb,
    extras: fc.array(extraHeaderArb, { maxLength: 5 }),
    body: fc.uint8Array({ maxLength: 200 }),
    compact: fc.boolean(),
  })
  .map((r) => {
    const lines = [
      `${r.method} ${r.uri} SIP/2.0`,
      `${r.compact ? 'v' : 'Via'}: SIP/2.0/UDP ${r.viaHost};branch=z9hG4bK${r.branch}`,
      `${r.compact ? 'f' : 'From'}: ${r.fromName !== undefined ? `"${r.fromName}" ` : ''}<${r.fromUri}>;tag=${r.tag}`,
      `${r.compact ? 't' : 'To'}: <${r.toUri}>`,
      `${r.compact ? 'i' : 'Call-ID'}: ${r.callId}`,
      `CSeq: ${r.seq} ${r.method}`,
      'Max-Forwards: 70',
    ];
    for (const [name, value, fold] of r.extras) {
      // Fold long values onto a continuation line (§7.3.1).
      lines.push(fold && value.length > 4 ? `${name}: ${value.slice(0, 4)}\r\n ${value.slice(4)}` : `${name}: ${value}`);
    }
    if (r.body.length > 0) lines.push('Content-Type: application/octet-stream');
    lines.push(`${r.compact ? 'l' : 'Content-Length'}: ${r.body.length}`);
    return T.msg(lines, Buffer.from(r.body));
  });

function touchEverything(m: SipMessage): void {
  // Structured getters may only throw SipParseError.
  const getters: Array<() => unknown> = [
    () => m.callId,
    () => m.cseq,
    () => m.topVia,
    () => m.vias,
    () => m.from,
    () => m.to,
    () => m.contacts,
    () => m.routes,
    () => m.recordRoutes,
    () => m.maxForwards,
    () => m.contentType,
    () => (m instanceof SipRequest ? m.uri : undefined),
  ];
  for (const g of getters) {
    try {
      g();
    } catch (e) {
      if (!(e instanceof SipParseError)) throw e;
    }
  }
  serializeMessage(m);
}

describe('property: parse → serialise → parse is stable', () => {
  it('generated valid messages are accepted and re-emitted byte for byte', () => {
    fc.assert(
      fc.property(validMessageArb, (data) => {
        const r = checkMessage(data);
        if (!r.ok) throw new Error(`rejected: ${JSON.stringify(r.problem)}\n${data.toString('latin1')}`);
        const out = serializeMessage(r.message);
        assert.ok(out.equals(data), 'byte-exact re-emission');
        const again = parseMessage(out);
        assert.ok(serializeMessage(again).equals(out));
        assert.deepEqual(
          again.headers.list().map((f) => [f.key, f.value]),
          r.message.headers.list().map((f) => [f.key, f.value]),
        );
        assert.ok(again.body.equals(r.message.body));
      }),
      { numRuns: 400 },
    );
  });

  it('messages built in code round-trip with equal structure', () => {
    fc.assert(
      fc.property(methodArb, uriArb, uriArb, tokenArb, fc.integer({ min: 1, max: 2 ** 31 - 1 }), textArb, (method, ruri, to, callId, seq, subject) => {
        const req = createRequest({ method, uri: ruri, from: `<sip:alice@example.com>`, to: `<${to}>`, callId, cseq: seq, headers: [['Subject', subject.trim()]] });
        req.headers.prepend('Via', 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKprop');
        const wire = serializeMessage(req);
        const back = parseMessage(wire) as SipRequest;
        assert.equal(back.method, method);
        assert.equal(back.uri.toString(), ruri);
        assert.equal(back.to.uri.toString(), to);
        assert.equal(back.from.tag, req.from.tag);
        assert.deepEqual(back.cseq, { seq, method });
        assert.equal(back.headers.get('subject'), subject.trim());
        assert.ok(serializeMessage(back).equals(wire));
      }),
      { numRuns: 300 },
    );
  });
});

const corpus = [T.wsinv, T.intmeth, T.esc01, T.escnull, T.esc02, T.lwsdisp, T.semiuri, T.transports, T.mpart01, T.unreason, T.noreason, T.badinv01, T.quotbal, T.scalar02];

type Mutation =
  | { k: 'flip'; at: number; byte: number }
  | { k: 'insert'; at: number; bytes: Uint8Array }
  | { k: 'delete'; at: number; len: number }
  | { k: 'truncate'; at: number }
  | { k: 'dupLine'; line: number }
  | { k: 'dropLine'; line: number }
  | { k: 'swapLines'; a: number; b: number }
  | { k: 'injectLine'; line: number; text: string };

const interesting = fc.constantFrom(0x00, 0x0a, 0x0d, 0x20, 0x09, 0x22, 0x3c, 0x3e, 0x3a, 0x3b, 0x2c, 0x25, 0x5c, 0x40, 0x3f, 0xff, 0x80);
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ k: fc.constant('flip' as const), at: fc.nat(), byte: fc.oneof(interesting, fc.integer({ min: 0, max: 255 })) }),
  fc.record({ k: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ k: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ k: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ k: fc.constant('dupLine' as const), line: fc.nat() }),
  fc.record({ k: fc.constant('dropLine' as const), line: fc.nat() }),
  fc.record({ k: fc.constant('swapLines' as const), a: fc.nat(), b: fc.nat() }),
  fc.record({
    k: fc.constant('injectLine' as const),
    line: fc.nat(),
    text: fc.constantFrom('Content-Length: 99999', 'Content-Length: -1', 'l: 0', 'Via: SIP/2.0/UDP', 'CSeq: x', ' folded', ':', 'To: "', 'From: <', 'Via: ,,,', 'Max-Forwards: 999999999999', 'Call-ID:', 'v: SIP/2.0/UDP [::1'),
  }),
);

function mutate(input: Buffer, ms: Mutation[]): Buffer {
  let b = Buffer.from(input);
  for (const m of ms) {
    const lines = () => b.toString('latin1').split('\r\n');
    const join = (ls: string[]) => Buffer.from(ls.join('\r\n'), 'latin1');
    switch (m.k) {
      case 'flip':
        if (b.length) b[m.at % b.length] = m.byte;
        break;
      case 'insert': {
        const at = b.length ? m.at % b.length : 0;
        b = Buffer.concat([b.subarray(0, at), Buffer.from(m.bytes), b.subarray(at)]);
        break;
      }
      case 'delete': {
        const at = b.length ? m.at % b.length : 0;
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.len)]);
        break;
      }
      case 'truncate':
        b = b.subarray(0, b.length ? m.at % b.length : 0);
        break;
      case 'dupLine': {
        const ls = lines();
        const i = m.line % ls.length;
        ls.splice(i, 0, ls[i]!);
        b = join(ls);
        break;
      }
      case 'dropLine': {
        const ls = lines();
        ls.splice(m.line % ls.length, 1);
        b = join(ls);
        break;
      }
      case 'swapLines': {
        const ls = lines();
        const i = m.a % ls.length;
        const j = m.b % ls.length;
        [ls[i], ls[j]] = [ls[j]!, ls[i]!];
        b = join(ls);
        break;
      }
      case 'injectLine': {
        const ls = lines();
        ls.splice(1 + (m.line % Math.max(1, ls.length - 1)), 0, m.text);
        b = join(ls);
        break;
      }
    }
  }
  return b;
}

describe('property: mutated messages never throw out of the parser', () => {
  it('byte and line mutations give a message or a typed SipParseError', () => {
    fc.assert(
      fc.property(fc.constantFrom(...corpus), fc.array(mutationArb, { minLength: 1, maxLength: 6 }), (base, ms) => {
        const data = mutate(base, ms);
        for (const framing of ['datagram', 'stream'] as const) {
          const r = tryParseMessage(data, { framing });
          if (r.ok) touchEverything(r.message);
          else assert.ok(r.error instanceof SipParseError);
        }
        let thrown: unknown;
        try {
          parseMessage(data);
        } catch (e) {
          thrown = e;
        }
        assert.ok(thrown === undefined || thrown instanceof SipParseError);
        const c = checkMessage(data);
        if (!c.ok && c.rejection.action === 'respond') {
          // Whatever we answer must itself be a well-formed message.
          const res = parseMessage(serializeMessage(c.rejection.response));
          assert.equal(res.kind, 'response');
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('random bytes and random chunking never break the stream framer', () => {
    fc.assert(
      fc.property(fc.constantFrom(...corpus), fc.array(mutationArb, { maxLength: 3 }), fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 20 }), (base, ms, cuts) => {
        const data = Buffer.concat([Buffer.from('\r\n\r\n'), mutate(base, ms), Buffer.from('\r\n')]);
        const framer = new StreamFramer({ maxMessageSize: 4096 });
        let pos = 0;
        let i = 0;
        while (pos < data.length) {
          const n = cuts[i++ % cuts.length]!;
          for (const ev of framer.push(data.subarray(pos, pos + n))) {
            if (ev.type === 'message') {
              const r = tryParseMessage(ev.data, { framing: 'stream' });
              if (r.ok) touchEverything(r.message);
            } else if (ev.type === 'error') assert.ok(ev.error instanceof SipParseError);
          }
          pos += n;
        }
      }),
      { numRuns: 500 },
    );
  });

  it('completely random input is handled', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const r = tryParseMessage(bytes);
        assert.ok(r.ok || r.error instanceof SipParseError);
        checkMessage(bytes);
      }),
      { numRuns: 1000 },
    );
  });
});
