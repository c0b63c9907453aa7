/**
 * CSeq (RFC 3261 §20.16, §8.1.1.5): `CSeq: 4711 INVITE`.
 *
 * The sequence number "MUST be expressible as a 32-bit unsigned integer" and, for a new
 * request, "MUST be less than 2**31" (§8.1.1.5). We reject anything ≥ 2**32 as malformed and
 * keep the value as a JS number (exact up to 2**53).
 */
import { SipParseError } from '../errors.js';
import { TOKEN, isLws } from './charset.js';

export interface CSeq {
  readonly seq: number;
  readonly method: string;
}

export const MAX_CSEQ = 2 ** 32 - 1;

function invalid(detail: string): SipParseError {
  return new SipParseError('INVALID_CSEQ', 'Invalid CSeq', { header: 'cseq', detail });
}

/** @throws SipParseError (INVALID_CSEQ) */
export function parseCSeq(value: string): CSeq {
  const s = value;
  let i = 0;
  while (i < s.length && isLws(s.charCodeAt(i))) i++;
  const start = i;
  let seq = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) break;
    seq = seq * 10 + (c - 0x30);
    if (seq > MAX_CSEQ) throw invalid('sequence number out of range');
    i++;
  }
  if (i === start) throw invalid('missing sequence number');
  const ws = i;
  while (i < s.length && isLws(s.charCodeAt(i))) i++;
  if (i === ws) throw invalid('missing method');
  const mStart = i;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c >= 128 || TOKEN[c] === 0) break;
    i++;
  }
  if (i === mStart) throw invalid('missing method');
  const method = s.slice(mStart, i);
  while (i < s.length && isLws(s.charCodeAt(i))) i++;
  if (i !== s.length) throw invalid('trailing characters');
  return { seq, method };
}

export function formatCSeq(cseq: CSeq): string {
  return `${cseq.seq} ${cseq.method}`;
}
