/** Realistic SDP bodies for the SDP tests (CRLF unless said otherwise). */

const crlf = (lines: string[]) => `${lines.join('\r\n')}\r\n`;

/** A desk phone / softphone offer: audio with several codecs and DTMF, plus H.264/VP8 video with RTX. */
export const AUDIO_VIDEO_OFFER = crlf([
  'v=0',
  'o=- 3912345678 3912345678 IN IP4 198.51.100.10',
  's=Polycom IP Phone',
  'c=IN IP4 198.51.100.10',
  'b=AS:2048',
  't=0 0',
  'a=x-vendor-session:keep me exactly',
  'm=audio 20000 RTP/AVP 9 0 8 18 111 101 13',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:18 G729/8000',
  'a=fmtp:18 annexb=no',
  'a=rtpmap:111 opus/48000/2',
  'a=fmtp:111 minptime=10;useinbandfec=1',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-15',
  'a=rtpmap:13 CN/8000',
  'a=ptime:20',
  'a=sendrecv',
  'm=video 20002 RTP/AVPF 96 97 98',
  'b=TIAS:1920000',
  'a=rtpmap:96 H264/90000',
  'a=fmtp:96 profile-level-id=42e01f;packetization-mode=1',
  'a=rtcp-fb:96 nack pli',
  'a=rtpmap:97 rtx/90000',
  'a=fmtp:97 apt=96',
  'a=rtpmap:98 VP8/90000',
  'a=rtcp-fb:98 nack',
  'a=rtcp-fb:* ccm fir',
  'a=content:main',
  'a=sendrecv',
]);

/** An SDES-SRTP offer (RTP/SAVP with a=crypto), audio only. */
export const SRTP_OFFER = crlf([
  'v=0',
  'o=alice 2890844526 2890844526 IN IP4 203.0.113.5',
  's=-',
  'c=IN IP4 203.0.113.5',
  't=0 0',
  'm=audio 49170 RTP/SAVP 0 8 101',
  'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16',
]);

/** A WebRTC gateway offer: DTLS-SRTP, fingerprint at session level, BUNDLE, Opus first. */
export const DTLS_OFFER = crlf([
  'v=0',
  'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0 1',
  'a=fingerprint:sha-256 19:E2:1C:3B:4B:9F:81:E6:B8:5C:F4:A5:A8:D8:73:04:BB:05:2F:70:9F:04:A9:0E:05:E9:26:33:E8:70:88:A2',
  'a=msid-semantic: WMS stream',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111 0 8 126',
  'c=IN IP4 0.0.0.0',
  'a=rtcp:9 IN IP4 0.0.0.0',
  'a=ice-ufrag:EsAw',
  'a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1',
  'a=mid:0',
  'a=setup:actpass',
  'a=rtpmap:111 opus/48000/2',
  'a=rtcp-fb:111 transport-cc',
  'a=fmtp:111 minptime=10;useinbandfec=1',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:126 telephone-event/8000',
  'a=rtcp-mux',
  'm=video 9 UDP/TLS/RTP/SAVPF 100 101',
  'c=IN IP4 0.0.0.0',
  'a=mid:1',
  'a=rtpmap:100 VP8/90000',
  'a=rtpmap:101 rtx/90000',
  'a=fmtp:101 apt=100',
  'a=rtcp-mux',
]);

/** A carrier offer with bare LF line endings and no trailing newline: G.729 preferred, no rtpmaps for statics. */
export const CARRIER_OFFER_LF = [
  'v=0',
  'o=Sonus_UAC 27345 11232 IN IP4 192.0.2.20',
  's=SIP Media Capabilities',
  'c=IN IP4 192.0.2.21',
  't=0 0',
  'm=audio 31090 RTP/AVP 18 0 8 100',
  'a=rtpmap:100 telephone-event/8000',
  'a=fmtp:100 0-15',
  'a=fmtp:18 annexb=no',
  'a=sendrecv',
  'a=maxptime:20',
].join('\n');

/** Audio plus a T.38 fax stream (re-INVITE to fax). */
export const T38_OFFER = crlf([
  'v=0',
  'o=- 1 2 IN IP4 192.0.2.30',
  's=-',
  'c=IN IP4 192.0.2.30',
  't=0 0',
  'm=audio 0 RTP/AVP 0',
  'm=image 40000 udptl t38',
  'a=T38FaxVersion:0',
  'a=T38FaxRateManagement:transferredTCF',
]);

/** Only G.729 and GSM: nothing a PCMU-only trunk can use. */
export const NO_PCMU_OFFER = crlf([
  'v=0',
  'o=- 1 1 IN IP4 192.0.2.40',
  's=-',
  'c=IN IP4 192.0.2.40',
  't=0 0',
  'm=audio 5004 RTP/AVP 18 3 101',
  'a=rtpmap:101 telephone-event/8000',
]);

export function lines(body: string): string[] {
  return body.split(/\r?\n/).filter((l) => l !== '');
}
