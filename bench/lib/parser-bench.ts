/**
 * SIP parser throughput: trunkline's parser against a baseline parser measured in the same run.
 *
 * The baseline (`baselineParse`) is the least work any SIP parser has to do on a datagram (see
 * docs/benchmarks.md): find the end of the header section, decode it, split it into lines, split the start
 * line into its three parts and each header line into a lower-cased name and a trimmed value, and take the
 * body as a view of the remaining bytes. No validation, no structured values, no compact forms, no folding.
 * Whatever trunkline does beyond that (validation, limits, structured access) shows up as the ratio.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from './trunkline.js';

const CRLF = '\r\n';

const SDP_OFFER = [
  'v=0',
  'o=- 1665081325 1665081325 IN IP4 198.51.100.7',
  's=SBC call',
  'c=IN IP4 198.51.100.8',
  't=0 0',
  'm=audio 30126 RTP/AVP 0 8 18 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:18 G729/8000',
  'a=fmtp:18 annexb=no',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16',
  'a=ptime:20',
  'a=sendrecv',
  '',
].join(CRLF);

/** A typical carrier INVITE with an SDP offer (~1.1 KB). */
export const SAMPLE_INVITE = Buffer.from(
  [
    'INVITE sip:+15551230001@trunk.example.net:5060;user=phone SIP/2.0',
    'Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK776asdhds;rport',
    'Via: SIP/2.0/UDP 10.0.0.12:5070;branch=z9hG4bKnashds8;received=10.0.0.12',
    'Max-Forwards: 69',
    'Record-Route: <sip:198.51.100.7;lr;ftag=9fxced76sl>',
    'From: "Alice Example" <sip:+15559870002@carrier.example.com;user=phone>;tag=9fxced76sl',
    'To: <sip:+15551230001@trunk.example.net;user=phone>',
    'Call-ID: 3848276298220188511@carrier.example.com',
    'CSeq: 31862 INVITE',
    'Contact: <sip:+15559870002@198.51.100.7:5060;transport=udp>',
    'P-Asserted-Identity: "Alice Example" <sip:+15559870002@carrier.example.com;user=phone>',
    'Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, PRACK, REFER, NOTIFY',
    'Supported: 100rel, timer, replaces',
    'Session-Expires: 1800;refresher=uac',
    'Min-SE: 90',
    'User-Agent: CarrierSBC/4.2',
    'Content-Type: application/sdp',
    `Content-Length: ${Buffer.byteLength(SDP_OFFER)}`,
    '',
    SDP_OFFER,
  ].join(CRLF),
  'utf8',
);

/** A REGISTER answering a digest challenge (~700 bytes). */
export const SAMPLE_REGISTER = Buffer.from(
  [
    'REGISTER sip:trunk.example.net SIP/2.0',
    'Via: SIP/2.0/UDP 203.0.113.20:5060;branch=z9hG4bK-524287-1---d8754z;rport',
    'Max-Forwards: 70',
    'Contact: <sip:pbx1001@203.0.113.20:5060;transport=udp>;expires=3600',
    'To: <sip:pbx1001@trunk.example.net>',
    'From: <sip:pbx1001@trunk.example.net>;tag=a73kszlfl',
    'Call-ID: 1j9FpLxk3uxtm8tn@203.0.113.20',
    'CSeq: 2 REGISTER',
    'Expires: 3600',
    'Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, MESSAGE, OPTIONS, INFO, SUBSCRIBE',
    'User-Agent: ExamplePBX 16.0',
    'Authorization: Digest username="pbx1001",realm="trunk.example.net",nonce="Y2xN8QAAAABr2lW0Yx3B0w",uri="sip:trunk.example.net",response="6629fae49393a05397450978507c4ef1",algorithm=MD5,cnonce="0a4f113b",qop=auth,nc=00000001',
    'Content-Length: 0',
    '',
    '',
  ].join(CRLF),
  'utf8',
);

export interface BaselineMessage {
  startLine: [string, string, string];
  headers: Array<[string, string]>;
  body: Buffer;
}

const HEADER_END = Buffer.from('\r\n\r\n');

/** The minimum any SIP parser does; see the module comment. */
export function baselineParse(buf: Buffer): BaselineMessage {
  let end = buf.indexOf(HEADER_END);
  if (end === -1) end = buf.length;
  const head = buf.toString('utf8', 0, end);
  const lines = head.split(CRLF);
  const first = lines[0] ?? '';
  const s1 = first.indexOf(' ');
  const s2 = first.indexOf(' ', s1 + 1);
  const startLine: [string, string, string] = [first.slice(0, s1), first.slice(s1 + 1, s2), first.slice(s2 + 1)];
  const headers: Array<[string, string]> = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    headers.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]);
  }
  return { startLine, headers, body: buf.subarray(Math.min(buf.length, end + 4)) };
}

/** Baseline + looking up the headers a proxy routes on (a linear scan, like a small parser would). */
export function baselineParseAndRead(buf: Buffer): number {
  const m = baselineParse(buf);
  let n = 0;
  for (const want of ['via', 'from', 'to', 'call-id', 'cseq', 'contact']) {
    for (const [name, value] of m.headers) {
      if (name === want) {
        n += value.length;
        break;
      }
    }
  }
  return n + m.startLine[1].length;
}

export type ParseFn = (input: Uint8Array) => unknown;

export interface LoadedParser {
  parse: ParseFn;
  /** Where it came from, e.g. "src/sip/index.ts#parseMessage". */
  source: string;
}

/**
 * trunkline's parse function: `parseMessage` (or `parse`) exported by src/sip/index.ts; until that index
 * exists, src/sip/message/parser.ts. Undefined when neither is there.
 */
export async function loadTrunklineParser(): Promise<LoadedParser | undefined> {
  const candidates: Array<[string, string[]]> = [
    ['src/sip/index.ts', ['parseMessage', 'parse', 'parseSipMessage']],
    ['src/sip/message/parser.ts', ['parseMessage']],
  ];
  for (const [rel, names] of candidates) {
    const file = join(REPO_ROOT, rel);
    if (!existsSync(file)) continue;
    let mod: Record<string, unknown>;
    try {
      mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    } catch (err) {
      console.error(`could not load ${rel}: ${err instanceof Error ? err.message : String(err)}`);
      continue;
    }
    for (const name of names) {
      const fn = mod[name];
      if (typeof fn === 'function') return { parse: fn as ParseFn, source: `${rel}#${name}` };
    }
  }
  return undefined;
}

/** Read what a proxy routes on through trunkline's message getters (whichever of them exist). */
export function readRoutingFields(msg: unknown): number {
  const m = msg as Record<string, unknown>;
  let n = 0;
  for (const key of ['topVia', 'from', 'to', 'callId', 'cseq', 'contacts', 'uri']) {
    if (m[key] !== undefined) n++;
  }
  return n;
}

export interface Throughput {
  /** Median messages per second over the rounds. */
  perSecond: number;
  rounds: number[];
}

/**
 * Messages/s of each function, measured in interleaved rounds (A B C A B C ...) so drift in machine speed
 * hits all of them alike; the median round is reported.
 */
export function measureInterleaved(fns: Record<string, () => unknown>, opts: { rounds?: number; roundMs?: number } = {}): Record<string, Throughput> {
  const rounds = opts.rounds ?? 7;
  const roundMs = opts.roundMs ?? 300;
  const names = Object.keys(fns);
  const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  let sink = 0;
  const runFor = (fn: () => unknown, ms: number): number => {
    const deadline = process.hrtime.bigint() + BigInt(Math.round(ms * 1e6));
    const start = process.hrtime.bigint();
    let count = 0;
    let now = start;
    while (now < deadline) {
      for (let i = 0; i < 256; i++) {
        if (fn() !== undefined) sink++;
      }
      count += 256;
      now = process.hrtime.bigint();
    }
    return count / (Number(now - start) / 1e9);
  };
  // Warm-up: let the JIT optimise every function before anything counts.
  for (const n of names) runFor(fns[n] as () => unknown, 300);
  for (let r = 0; r < rounds; r++) {
    for (const n of names) (samples[n] as number[]).push(runFor(fns[n] as () => unknown, roundMs));
  }
  if (sink === -1) console.log('');
  const out: Record<string, Throughput> = {};
  for (const n of names) {
    const s = [...(samples[n] as number[])].sort((a, b) => a - b);
    out[n] = { perSecond: s[Math.floor(s.length / 2)] as number, rounds: samples[n] as number[] };
  }
  return out;
}
