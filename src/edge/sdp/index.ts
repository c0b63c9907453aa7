/**
 * SDP for the edge: a lossless RFC 4566 parser/serialiser and the connection rules that act on SDP
 * (`pcmuOnly`, `blockVideoInSdp`, Enswitch `codecs`, `requireEncryptedAudio`, `blockMediaIn180Ringing`).
 * Pure: no I/O and no dependency on the SIP library; the edge hands bodies in and applies what comes out.
 */
export * from './sdp.js';
export * from '../../model/codecs.js';
export * from './rules.js';
