import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { attributes, formatMediaLine, parseMediaLine, parseSdp, serializeSdp } from '../../../src/edge/sdp/index.js';
import { AUDIO_VIDEO_OFFER, CARRIER_OFFER_LF, DTLS_OFFER, NO_PCMU_OFFER, SRTP_OFFER, T38_OFFER } from './fixtures.js';

const FIXTURES = { AUDIO_VIDEO_OFFER, SRTP_OFFER, DTLS_OFFER, CARRIER_OFFER_LF, T38_OFFER, NO_PCMU_OFFER };

describe('SDP parse and serialise', () => {
  for (const [name, body] of Object.entries(FIXTURES)) {
    it(`${name} round-trips byte for byte`, () => {
      const r = parseSdp(body);
      assert.ok(r.ok, r.ok ? '' : r.error.reason);
      assert.equal(serializeSdp(r.sdp), body);
    });
  }

  it('groups lines into session and media sections and parses m= lines', () => {
    const r = parseSdp(AUDIO_VIDEO_OFFER);
    assert.ok(r.ok);
    assert.equal(r.sdp.session.length, 7);
    assert.deepEqual(r.sdp.session.map((l) => l.type).join(''), 'voscbta');
    assert.equal(r.sdp.media.length, 2);
    assert.deepEqual(r.sdp.media[0]?.m, { media: 'audio', port: 20000, portCount: undefined, proto: 'RTP/AVP', formats: ['9', '0', '8', '18', '111', '101', '13'] });
    assert.equal(r.sdp.media[1]?.m.proto, 'RTP/AVPF');
    assert.equal(r.sdp.media[1]?.lines.length, 12);
    assert.deepEqual(attributes(r.sdp.media[1]?.lines ?? [], 'content'), [{ name: 'content', value: 'main' }]);
    assert.deepEqual(attributes(r.sdp.media[0]?.lines ?? [], 'sendrecv'), [{ name: 'sendrecv', value: undefined }]);
  });

  it('keeps the line ending of each line, mixed endings and trailing blank lines included', () => {
    const mixed = 'v=0\r\no=- 1 1 IN IP4 192.0.2.1\ns=-\r\nt=0 0\nm=audio 5004 RTP/AVP 0\r\n\r\n\n';
    const r = parseSdp(mixed);
    assert.ok(r.ok);
    assert.equal(r.sdp.trailer, '\r\n\n');
    assert.equal(serializeSdp(r.sdp), mixed);
  });

  it('m= lines: port counts, several spaces between formats, non-RTP protos', () => {
    assert.deepEqual(parseMediaLine('video 49170/2 RTP/AVP 31'), { media: 'video', port: 49170, portCount: 2, proto: 'RTP/AVP', formats: ['31'] });
    assert.deepEqual(parseMediaLine('audio 5004 RTP/AVP 0  8')?.formats, ['0', '8']);
    assert.deepEqual(parseMediaLine('application 9 UDP/DTLS/SCTP webrtc-datachannel')?.formats, ['webrtc-datachannel']);
    assert.equal(formatMediaLine({ media: 'video', port: 0, portCount: undefined, proto: 'RTP/AVP', formats: ['31', '34'] }), 'video 0 RTP/AVP 31 34');
    for (const bad of ['audio 5004 RTP/AVP', 'audio x RTP/AVP 0', 'audio 70000 RTP/AVP 0', 'audio 5004/0 RTP/AVP 0', '']) {
      assert.equal(parseMediaLine(bad), undefined, bad);
    }
  });
});

describe('malformed SDP is a typed error, never an exception', () => {
  const cases: [string, string, number][] = [
    ['empty', '', 0],
    ['only blank lines', '\r\n\r\n', 0],
    ['no v=0 first', 'o=- 1 1 IN IP4 1.2.3.4\r\nv=0\r\n', 1],
    ['v=1', 'v=1\r\no=- 1 1 IN IP4 1.2.3.4\r\n', 1],
    ['not type=value', 'v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nhello\r\n', 3],
    ['blank line inside', 'v=0\r\n\r\no=- 1 1 IN IP4 1.2.3.4\r\n', 2],
    ['bare CR', 'v=0\ro=- 1 1 IN IP4 1.2.3.4\r\n', 1],
    ['NUL byte', 'v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=\u0000\r\n', 3],
    ['no o= line', 'v=0\r\ns=-\r\nt=0 0\r\n', 0],
    ['short o= line', 'v=0\r\no=- 1 IN IP4 1.2.3.4\r\n', 2],
    ['m= without formats', 'v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nm=audio 5004 RTP/AVP\r\n', 3],
    ['m= with a bad port', 'v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nm=audio 99999 RTP/AVP 0\r\n', 3],
    ['HTML instead of SDP', '<html><body>v=0</body></html>', 1],
  ];
  for (const [name, body, line] of cases) {
    it(name, () => {
      const r = parseSdp(body);
      assert.equal(r.ok, false);
      if (!r.ok) {
        assert.equal(r.error.kind, 'malformed');
        assert.equal(r.error.sipStatus, 400);
        assert.equal(r.error.line, line);
        assert.ok(r.error.reason.length > 0);
      }
    });
  }
  it('a body that is not a string', () => {
    const r = parseSdp(42 as unknown as string);
    assert.equal(r.ok, false);
  });
  it('an oversized body', () => {
    const r = parseSdp(`v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\n${'a=x\r\n'.repeat(20_000)}`);
    assert.equal(r.ok, false);
  });
});

// Generators of valid SDP: session lines, then media sections, with arbitrary attribute lines and endings.
const value = fc.stringMatching(/^[\x20-\x7e]{0,30}$/);
const eol = fc.constantFrom('\r\n', '\n');
const otherLine = fc.tuple(fc.constantFrom('s', 'i', 'u', 'e', 'p', 'c', 'b', 't', 'r', 'z', 'k', 'a', 'x', 'Q'), value).map(([t, v]) => `${t}=${v}`);
const mediaLine = fc
  .tuple(
    fc.constantFrom('audio', 'video', 'text', 'application', 'image'),
    fc.integer({ min: 0, max: 65535 }),
    fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
    fc.constantFrom('RTP/AVP', 'RTP/SAVP', 'RTP/SAVPF', 'UDP/TLS/RTP/SAVPF', 'udptl', 'UDP/DTLS/SCTP'),
    fc.array(fc.oneof(fc.integer({ min: 0, max: 127 }).map(String), fc.constantFrom('t38', 'webrtc-datachannel')), { minLength: 1, maxLength: 6 }),
  )
  .map(([media, port, count, proto, fmts]) => `m=${media} ${port}${count === undefined ? '' : `/${count}`} ${proto} ${fmts.join(' ')}`);
const sdpText = fc
  .tuple(
    fc.array(otherLine, { maxLength: 6 }),
    fc.array(fc.tuple(mediaLine, fc.array(otherLine, { maxLength: 6 })), { maxLength: 4 }),
    fc.array(eol, { minLength: 64, maxLength: 64 }),
    fc.constantFrom('', '\r\n', '\n\n'),
    fc.boolean(),
  )
  .map(([session, media, eols, trailer, finalEol]) => {
    const all = ['v=0', 'o=- 1 2 IN IP4 192.0.2.1', ...session, ...media.flatMap(([m, attrs]) => [m, ...attrs])];
    const text = all.map((l, i) => l + (i === all.length - 1 && !finalEol ? '' : (eols[i % 64] as string))).join('');
    return finalEol ? text + trailer : text;
  });

describe('SDP properties', () => {
  it('parse -> serialise is the identity for valid SDP', () => {
    fc.assert(
      fc.property(sdpText, (text) => {
        const r = parseSdp(text);
        assert.ok(r.ok, r.ok ? '' : `${r.error.reason} in ${JSON.stringify(text)}`);
        assert.equal(serializeSdp(r.sdp), text);
      }),
      { numRuns: 500 },
    );
  });

  it('parseSdp never throws, on any string', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 }), sdpText.map((t) => t.slice(0, t.length - 3))), (text) => {
        const r = parseSdp(text);
        if (r.ok) assert.equal(serializeSdp(r.sdp), text);
        else assert.equal(r.error.kind, 'malformed');
      }),
      { numRuns: 500 },
    );
  });
});
