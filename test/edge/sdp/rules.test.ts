import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ValidationError } from '../../../src/model/errors.js';
import { defaultSettings } from '../../../src/model/validate-connection.js';
import {
  ENSWITCH_CODECS,
  ENSWITCH_DEFAULT_CODECS,
  applySdpPolicy,
  blockVideo,
  checkEncryption,
  filterCodecs,
  parseEnswitchCodecs,
  parseSdp,
  pcmuOnly,
  sdpPolicyOf,
  serializeSdp,
  stripMedia,
  type SdpRuleResult,
  type SessionDescription,
} from '../../../src/edge/sdp/index.js';
import { AUDIO_VIDEO_OFFER, CARRIER_OFFER_LF, DTLS_OFFER, NO_PCMU_OFFER, SRTP_OFFER, T38_OFFER, lines } from './fixtures.js';

function sdp(body: string): SessionDescription {
  const r = parseSdp(body);
  assert.ok(r.ok, r.ok ? '' : r.error.reason);
  return r.sdp;
}
function text(r: SdpRuleResult): string {
  assert.ok(r.ok, r.ok ? '' : r.error.reason);
  return serializeSdp(r.sdp);
}
const mLines = (body: string) => lines(body).filter((l) => l.startsWith('m='));

describe('pcmuOnly', () => {
  it('keeps PCMU and telephone-event in audio and drops the rest with their rtpmap/fmtp lines', () => {
    const out = text(pcmuOnly(sdp(AUDIO_VIDEO_OFFER)));
    assert.deepEqual(mLines(out), ['m=audio 20000 RTP/AVP 0 101', 'm=video 20002 RTP/AVPF 96 97 98']);
    const audio = out.slice(out.indexOf('m=audio'), out.indexOf('m=video'));
    assert.deepEqual(lines(audio), [
      'm=audio 20000 RTP/AVP 0 101',
      'a=rtpmap:0 PCMU/8000',
      'a=rtpmap:101 telephone-event/8000',
      'a=fmtp:101 0-15',
      'a=ptime:20',
      'a=sendrecv',
    ]);
    assert.ok(out.includes('a=x-vendor-session:keep me exactly\r\n'), 'unknown lines untouched');
    assert.ok(out.includes('a=rtcp-fb:96 nack pli'), 'video untouched');
  });

  it('works on static payload types without rtpmap lines (bare-LF carrier offer keeps its endings)', () => {
    const out = text(pcmuOnly(sdp(CARRIER_OFFER_LF)));
    assert.ok(out.includes('m=audio 31090 RTP/AVP 0 100\n'));
    assert.ok(!out.includes('annexb'), 'the G.729 fmtp went with G.729');
    assert.ok(!out.includes('\r'));
    assert.ok(out.endsWith('a=maxptime:20'), 'no line ending invented at the end');
  });

  it('an offer without PCMU is not acceptable: 488 with warning 305', () => {
    const r = pcmuOnly(sdp(NO_PCMU_OFFER));
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.error.kind, 'not-acceptable');
      assert.equal(r.error.sipStatus, 488);
      assert.equal(r.error.warning.code, 305);
    }
  });

  it('an offer that already is PCMU-only is returned unchanged (same object)', () => {
    const d = sdp(T38_OFFER.replace('m=audio 0', 'm=audio 4000'));
    const r = pcmuOnly(d);
    assert.ok(r.ok);
    assert.equal(r.changed, false);
    assert.equal(r.sdp, d);
  });

  it('leaves rejected audio (port 0), T.38 and SRTP profiles alone except for codecs', () => {
    const t38 = pcmuOnly(sdp(T38_OFFER));
    assert.ok(t38.ok);
    assert.equal(t38.changed, false, 'port-0 audio and an image stream: nothing to do');
    const srtp = text(pcmuOnly(sdp(SRTP_OFFER)));
    assert.deepEqual(mLines(srtp), ['m=audio 49170 RTP/SAVP 0 101']);
    assert.ok(srtp.includes('a=crypto:1 AES_CM_128_HMAC_SHA1_80'), 'keys kept');
  });

  it('disables one of two audio streams when only it lacks PCMU', () => {
    const two = `${SRTP_OFFER}m=audio 49172 RTP/AVP 18\r\na=label:second\r\n`;
    const out = text(pcmuOnly(sdp(two)));
    assert.deepEqual(mLines(out), ['m=audio 49170 RTP/SAVP 0 101', 'm=audio 0 RTP/AVP 18']);
  });

  it('a dynamic PT with rtpmap PCMU/8000 counts as PCMU; telephone-event at 48000 does not stay', () => {
    const body = `${lines(NO_PCMU_OFFER).slice(0, 5).join('\r\n')}\r\nm=audio 5004 RTP/AVP 96 97\r\na=rtpmap:96 pcmu/8000\r\na=rtpmap:97 telephone-event/48000\r\n`;
    assert.deepEqual(mLines(text(pcmuOnly(sdp(body)))), ['m=audio 5004 RTP/AVP 96']);
  });
});

describe('blockVideo', () => {
  it('sets the video port to 0 and keeps the line and its attributes (RFC 3264 §6)', () => {
    const r = blockVideo(sdp(AUDIO_VIDEO_OFFER));
    const out = text(r);
    assert.deepEqual(mLines(out), ['m=audio 20000 RTP/AVP 9 0 8 18 111 101 13', 'm=video 0 RTP/AVPF 96 97 98']);
    assert.equal(lines(out).length, lines(AUDIO_VIDEO_OFFER).length, 'same line count: offer and answer stay aligned');
    assert.equal(out.replace('m=video 0 ', 'm=video 20002 '), AUDIO_VIDEO_OFFER, 'nothing else changed');
  });

  it('drops a port count and handles several video streams', () => {
    const body = `${SRTP_OFFER}m=video 49180/2 RTP/AVP 31\r\nm=video 49190 RTP/AVP 34\r\n`;
    assert.deepEqual(mLines(text(blockVideo(sdp(body)))).slice(1), ['m=video 0 RTP/AVP 31', 'm=video 0 RTP/AVP 34']);
  });

  it('off (not called) or without video: unchanged', () => {
    const r = blockVideo(sdp(SRTP_OFFER));
    assert.ok(r.ok);
    assert.equal(r.changed, false);
    assert.equal(serializeSdp(r.sdp), SRTP_OFFER);
  });
});

describe('filterCodecs (Enswitch codecs)', () => {
  it('alaw,ulaw keeps PCMA and PCMU, DTMF and comfort noise; video without a video codec is disabled', () => {
    const out = text(filterCodecs(sdp(AUDIO_VIDEO_OFFER), ['alaw', 'ulaw']));
    assert.deepEqual(mLines(out), ['m=audio 20000 RTP/AVP 0 8 101 13', 'm=video 0 RTP/AVPF 96 97 98']);
    assert.ok(!out.includes('G722') && !out.includes('opus') && !out.includes('G729'));
  });

  it('maps names to static payload types and rtpmap names: g722=9, g729=18, gsm=3', () => {
    assert.deepEqual(mLines(text(filterCodecs(sdp(AUDIO_VIDEO_OFFER), ['g729', 'g722', 'h264'])))[0], 'm=audio 20000 RTP/AVP 9 18 101 13');
    assert.deepEqual(mLines(text(filterCodecs(sdp(NO_PCMU_OFFER), ['gsm'])))[0], 'm=audio 5004 RTP/AVP 3 101');
    assert.deepEqual(mLines(text(filterCodecs(sdp(CARRIER_OFFER_LF), ['G729']))), ['m=audio 31090 RTP/AVP 18 100'], 'names are case-insensitive');
  });

  it('video codecs keep their RTX only while the apt target stays', () => {
    const h264 = text(filterCodecs(sdp(AUDIO_VIDEO_OFFER), ['ulaw', 'h264']));
    assert.equal(mLines(h264)[1], 'm=video 20002 RTP/AVPF 96 97');
    assert.ok(h264.includes('a=fmtp:97 apt=96'));
    assert.ok(h264.includes('a=rtcp-fb:* ccm fir'), 'wildcard rtcp-fb stays');
    assert.ok(!h264.includes('a=rtcp-fb:98'));
    const vp8 = text(filterCodecs(sdp(AUDIO_VIDEO_OFFER), ['ulaw', 'vp8']));
    assert.equal(mLines(vp8)[1], 'm=video 20002 RTP/AVPF 98', 'rtx for H264 goes with H264');
  });

  it('the vendor default list keeps the classic codecs and drops opus and video', () => {
    assert.deepEqual(mLines(text(filterCodecs(sdp(AUDIO_VIDEO_OFFER), ENSWITCH_DEFAULT_CODECS))), [
      'm=audio 20000 RTP/AVP 9 0 8 18 101 13',
      'm=video 0 RTP/AVPF 96 97 98',
    ]);
  });

  it('nothing in common is not acceptable; unknown names match nothing', () => {
    const r = filterCodecs(sdp(NO_PCMU_OFFER), ['opus', 'nonsense']);
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.error.sipStatus, 488);
    assert.equal(filterCodecs(sdp(NO_PCMU_OFFER), []).ok, false);
  });

  it('speex and slin compare their clock rates', () => {
    const body = `${lines(NO_PCMU_OFFER).slice(0, 5).join('\r\n')}\r\nm=audio 5004 RTP/AVP 97 98 99\r\na=rtpmap:97 speex/8000\r\na=rtpmap:98 speex/16000\r\na=rtpmap:99 L16/8000\r\n`;
    assert.equal(mLines(text(filterCodecs(sdp(body), ['speex16'])))[0], 'm=audio 5004 RTP/AVP 98');
    assert.equal(mLines(text(filterCodecs(sdp(body), ['speex', 'slin'])))[0], 'm=audio 5004 RTP/AVP 97 99');
  });

  it('parseEnswitchCodecs accepts the vendor format and names unknown codecs', () => {
    assert.deepEqual(parseEnswitchCodecs('alaw,g722,g726,g729,gsm,ilbc,lpc10,slin,speex,ulaw'), [...ENSWITCH_DEFAULT_CODECS]);
    assert.deepEqual(parseEnswitchCodecs(' ULAW, alaw ,ulaw,'), ['ulaw', 'alaw']);
    assert.throws(() => parseEnswitchCodecs('ulaw,amr'), (e: unknown) => e instanceof ValidationError && e.field === 'codecs' && /amr/.test(e.message));
    for (const name of ENSWITCH_DEFAULT_CODECS) assert.ok(name in ENSWITCH_CODECS);
  });
});

describe('checkEncryption (requireEncryptedAudio)', () => {
  it('yes: RTP/SAVP, a=crypto on RTP/AVP and a DTLS fingerprint are acceptable', () => {
    assert.deepEqual(checkEncryption(sdp(SRTP_OFFER), 'yes'), { ok: true, secure: true });
    assert.deepEqual(checkEncryption(sdp(DTLS_OFFER), 'yes'), { ok: true, secure: true });
    const avpCrypto = SRTP_OFFER.replace('RTP/SAVP', 'RTP/AVP');
    assert.deepEqual(checkEncryption(sdp(avpCrypto), 'yes'), { ok: true, secure: true });
    const mediaFingerprint = `${CARRIER_OFFER_LF}\na=fingerprint:sha-256 AB:CD`;
    assert.deepEqual(checkEncryption(sdp(mediaFingerprint), 'yes'), { ok: true, secure: true });
  });

  it('yes: plain RTP is not acceptable (488)', () => {
    const r = checkEncryption(sdp(CARRIER_OFFER_LF), 'yes');
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.error.sipStatus, 488);
      assert.equal(r.error.warning.code, 399);
    }
    const oneOfTwo = `${SRTP_OFFER}m=audio 5006 RTP/AVP 0\r\n`;
    assert.equal(checkEncryption(sdp(oneOfTwo), 'yes').ok, false, 'every active audio stream must be secure');
  });

  it('optional and no accept both, reporting whether the audio is secure', () => {
    assert.deepEqual(checkEncryption(sdp(CARRIER_OFFER_LF), 'optional'), { ok: true, secure: false });
    assert.deepEqual(checkEncryption(sdp(SRTP_OFFER), 'optional'), { ok: true, secure: true });
    assert.deepEqual(checkEncryption(sdp(CARRIER_OFFER_LF), 'no'), { ok: true, secure: false });
    assert.deepEqual(checkEncryption(sdp(SRTP_OFFER), 'no'), { ok: true, secure: true });
  });

  it('rejected audio and non-audio streams are not judged', () => {
    assert.deepEqual(checkEncryption(sdp(T38_OFFER), 'yes'), { ok: true, secure: true });
  });
});

describe('stripMedia (blockMediaIn180Ringing)', () => {
  const ringing = { statusCode: 180, contentType: 'application/sdp', body: SRTP_OFFER };
  it('on: a 180 with SDP goes without body and content headers', () => {
    const r = stripMedia(ringing, true);
    assert.deepEqual(r, { stripped: true, body: '', contentType: undefined, removeHeaders: ['Content-Type', 'Content-Disposition'], sendUnreliably: false });
  });
  it('on: a reliable 180 must then be sent unreliably (RFC 3262 §5)', () => {
    assert.equal(stripMedia({ ...ringing, reliable: true }, true).sendUnreliably, true);
  });
  it('on: content-type parameters, case, multipart and a missing type with an SDP body', () => {
    assert.equal(stripMedia({ ...ringing, contentType: 'Application/SDP; charset=utf-8' }, true).stripped, true);
    assert.equal(stripMedia({ ...ringing, contentType: 'multipart/mixed;boundary=x' }, true).stripped, true);
    assert.equal(stripMedia({ ...ringing, contentType: undefined }, true).stripped, true);
  });
  it('on: 183, 200, empty bodies and other content types pass unchanged', () => {
    for (const m of [
      { ...ringing, statusCode: 183 },
      { ...ringing, statusCode: 200 },
      { ...ringing, body: '' },
      { ...ringing, contentType: 'application/isup' },
      { ...ringing, contentType: undefined, body: 'hello' },
    ]) {
      const r = stripMedia(m, true);
      assert.equal(r.stripped, false);
      assert.equal(r.body, m.body);
      assert.equal(r.contentType, m.contentType);
    }
  });
  it('off: nothing is stripped', () => {
    const r = stripMedia(ringing, false);
    assert.equal(r.stripped, false);
    assert.equal(r.body, SRTP_OFFER);
    assert.deepEqual(r.removeHeaders, []);
  });
});

describe('applySdpPolicy', () => {
  it('all rules off: the same string comes back', () => {
    const r = applySdpPolicy(AUDIO_VIDEO_OFFER, {});
    assert.deepEqual(r, { ok: true, body: AUDIO_VIDEO_OFFER, changed: false, applied: [] });
  });

  it('blockVideo + pcmuOnly + codecs run in order and intersect', () => {
    const r = applySdpPolicy(AUDIO_VIDEO_OFFER, { blockVideo: true, pcmuOnly: true, codecs: ['ulaw', 'alaw', 'h264'] });
    assert.ok(r.ok);
    assert.deepEqual(r.applied, ['blockVideo', 'pcmuOnly']);
    assert.deepEqual(mLines(r.body), ['m=audio 20000 RTP/AVP 0 101', 'm=video 0 RTP/AVPF 96 97 98']);
  });

  it('pcmuOnly with codecs that exclude ulaw leaves nothing: 488', () => {
    const r = applySdpPolicy(AUDIO_VIDEO_OFFER, { pcmuOnly: true, codecs: ['alaw'] });
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.error.kind, 'not-acceptable');
  });

  it('encryption is checked before rewriting; malformed bodies are a 400-kind error', () => {
    const enc = applySdpPolicy(CARRIER_OFFER_LF, { requireEncryptedAudio: 'yes', pcmuOnly: true });
    assert.equal(enc.ok, false);
    if (!enc.ok) assert.equal(enc.error.sipStatus, 488);
    const bad = applySdpPolicy('not sdp', { pcmuOnly: true });
    assert.equal(bad.ok, false);
    if (!bad.ok) {
      assert.equal(bad.error.kind, 'malformed');
      assert.equal(bad.error.sipStatus, 400);
    }
  });

  it('sdpPolicyOf reads a connection and its Enswitch codecs (an empty list is unset)', () => {
    const conn = { pcmuOnly: true, blockVideoInSdp: false, requireEncryptedAudio: 'optional' as const, ext: { enswitch: { codecs: ['ulaw'] } } };
    assert.deepEqual(sdpPolicyOf(conn), { pcmuOnly: true, blockVideo: false, codecs: ['ulaw'], requireEncryptedAudio: 'optional' });
    assert.equal(sdpPolicyOf({ ...conn, ext: { enswitch: { codecs: [] } } }).codecs, undefined);
    assert.equal(sdpPolicyOf({ ...conn, ext: {} }).codecs, undefined);
    // A stored connection with defaults fits as it is, and its policy changes nothing.
    const defaults = sdpPolicyOf({ ...defaultSettings(), ext: {} });
    assert.deepEqual(defaults, { pcmuOnly: false, blockVideo: false, codecs: undefined, requireEncryptedAudio: 'no' });
    assert.deepEqual(applySdpPolicy(AUDIO_VIDEO_OFFER, defaults), { ok: true, body: AUDIO_VIDEO_OFFER, changed: false, applied: [] });
  });
});

describe('SDP rule properties', () => {
  const bodies = [AUDIO_VIDEO_OFFER, SRTP_OFFER, DTLS_OFFER, CARRIER_OFFER_LF, T38_OFFER, NO_PCMU_OFFER];
  const policy = fc.record({
    pcmuOnly: fc.boolean(),
    blockVideo: fc.boolean(),
    codecs: fc.option(fc.subarray(Object.keys(ENSWITCH_CODECS)), { nil: undefined }),
    requireEncryptedAudio: fc.constantFrom('yes' as const, 'optional' as const, 'no' as const),
  });
  // Mutations of real offers: cut, duplicated and shuffled lines, random garbage.
  const mangled = fc.oneof(
    fc.string({ maxLength: 300 }),
    fc.tuple(fc.constantFrom(...bodies), fc.nat(), fc.nat()).map(([b, i, j]) => b.slice(0, i % b.length) + b.slice(j % b.length)),
    fc.tuple(fc.constantFrom(...bodies), fc.array(fc.nat(40), { maxLength: 40 })).map(([b, idx]) => {
      const ls = b.split('\r\n');
      return idx.map((i) => ls[i % ls.length]).join('\r\n');
    }),
  );

  it('applySdpPolicy never throws, and every outcome is well-formed', () => {
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom(...bodies), mangled), policy, (body, p) => {
        const r = applySdpPolicy(body, p);
        if (r.ok) {
          const again = parseSdp(r.body);
          assert.ok(again.ok || !r.changed, 'a rewritten body parses again');
        } else {
          assert.ok(r.error.sipStatus === 400 || r.error.sipStatus === 488);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('rules keep the number of m= lines and never add formats', () => {
    fc.assert(
      fc.property(fc.constantFrom(...bodies), policy, (body, p) => {
        const r = applySdpPolicy(body, { ...p, requireEncryptedAudio: 'no' });
        if (!r.ok) return;
        const before = mLines(body);
        const after = mLines(r.body);
        assert.equal(after.length, before.length);
        after.forEach((m, i) => {
          const fmts = (l: string) => l.split(' ').slice(3);
          for (const f of fmts(m)) assert.ok(fmts(before[i] as string).includes(f));
        });
      }),
      { numRuns: 300 },
    );
  });

  it('each rule is idempotent', () => {
    fc.assert(
      fc.property(fc.constantFrom(...bodies), policy, (body, p) => {
        const once = applySdpPolicy(body, p);
        if (!once.ok) return;
        const twice = applySdpPolicy(once.body, p);
        assert.ok(twice.ok);
        assert.equal(twice.body, once.body);
      }),
      { numRuns: 300 },
    );
  });
});
