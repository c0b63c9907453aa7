/**
 * A lab for call tests: `trunkline serve` in process with the call engine behind its front door, connections
 * written straight into its store (the edge's index reloads on in-process writes), and SIPp peers on both
 * sides: a caller (UAC) sending to trunkline, a callee (UAS) at a connection's address.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePeerParams } from '../../../src/api/enswitch/codec.js';
import { parseTrunkBody } from '../../../src/api/wavix/codec.js';
import { createCallEngineWith, type B2buaEngine, type CallEngineOptions } from '../../../src/edge/calls/index.js';
import { buildNewConnection, type CallRecord, type Connection, type ConnectionExtensions, type SettingsPatch } from '../../../src/model/index.js';
import type { Store } from '../../../src/store/store.js';
import { findFreePort, runSipp, startSipp, type SippOptions, type SippResult, type SippRun } from '../../support/sipp.js';
import { startTestServer, type TestServer } from '../../support/trunkline.js';

export const SCENARIOS = join(import.meta.dirname, 'scenarios');
export const scenario = (name: string, dialog = true) => ({ file: join(SCENARIOS, name), dialog });

// ---- what a SIPp peer saw (its -trace_msg log) ------------------------------------------------------------

type Logged = { messagesLog: string | undefined };

/** A SIPp run's whole message log. */
export const log = (r: Logged): string => readFileSync(r.messagesLog!, 'latin1');

export interface LoggedMessage {
  /** When SIPp logged it (ms since the epoch, SIPp's clock). */
  readonly at: number;
  readonly direction: 'received' | 'sent';
  /** The message, from its start line. */
  readonly text: string;
}

/** Every message of a SIPp message log, in order. */
export function messages(r: Logged): LoggedMessage[] {
  const out: LoggedMessage[] = [];
  const re = /-{10,} (\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})\.(\d{3})\d*\n[^\n]*message (received|sent)[^\n]*\n\n?([\s\S]*?)(?=\n-{10,} \d{4}-|$)/g;
  for (const m of log(r).matchAll(re)) {
    out.push({ at: new Date(`${m[1]}T${m[2]}.${m[3]}`).getTime(), direction: m[4] as 'received' | 'sent', text: m[5]! });
  }
  return out;
}

/** The messages SIPp received, one string each. */
export function received(r: Logged): string[] {
  return messages(r)
    .filter((m) => m.direction === 'received')
    .map((m) => m.text);
}

/** Requests of one method the peer received. */
export function receivedRequests(r: Logged, method: string): string[] {
  return received(r).filter((m) => m.startsWith(`${method} `));
}

/** Responses with one status the peer received (to requests of `method`, when given). */
export function receivedResponses(r: Logged, status: number, method?: string): string[] {
  return received(r).filter(
    (m) => m.startsWith(`SIP/2.0 ${status} `) && (method === undefined || new RegExp(`^CSeq:\\s*\\S+\\s+${method}\\s*$`, 'mi').test(m)),
  );
}

/** The (first) INVITE the peer received. */
export function receivedInvite(r: Logged): string {
  const invite = receivedRequests(r, 'INVITE')[0];
  assert.ok(invite !== undefined, `no INVITE received in ${r.messagesLog}`);
  return invite;
}

/** A message's body (after the blank line). */
export function bodyOf(message: string): string {
  const i = message.search(/\r?\n\r?\n/);
  return i === -1 ? '' : message.slice(i).replace(/^\r?\n\r?\n/, '');
}

/** The values of one header (full name, case-insensitive) in a message's header section. */
export function headerValues(message: string, name: string): string[] {
  const i = message.search(/\r?\n\r?\n/);
  const head = i === -1 ? message : message.slice(0, i);
  const out: string[] = [];
  for (const line of head.split(/\r?\n/)) {
    const c = line.indexOf(':');
    if (c > 0 && line.slice(0, c).trim().toLowerCase() === name.toLowerCase()) out.push(line.slice(c + 1).trim());
  }
  return out;
}

// ---- connections as the vendor dialects write them ----------------------------------------------------------

/**
 * An Enswitch SIP peer at `destination`, as the Enswitch API (`peers/create`) stores it: seed-004 defaults,
 * `params` laid over (wire names: `outmaximum`, `called_prefix`, `send_rpid`...). Spread `patch` into
 * `lab.connection`'s settings (add a `termMatchPattern`) and pass `ext`.
 */
export function enswitchPeer(destination: string, params: Record<string, string | number> = {}): { patch: SettingsPatch; ext: ConnectionExtensions } {
  const parsed = parsePeerParams({ name: 'lab peer', type: 'sip', destination, ...params }, 'create');
  return { patch: parsed.patch, ext: parsed.ext };
}

/**
 * A Wavix IP-authenticated trunk whose host is `host`, as the Wavix API (`POST /v1/trunks`) stores it: a full
 * body with every flag off, `wire` laid over (`channels_restrict`, `max_channels`, `call_restrict`,
 * `call_limit`, `rewrite_*`...).
 */
export function wavixTrunk(host: string, wire: Record<string, unknown> = {}): { patch: SettingsPatch; ext: ConnectionExtensions } {
  const parsed = parseTrunkBody({
    label: 'lab trunk',
    password: 'Lab-trunk-pass-1',
    callerid: '',
    ip_restrict: false,
    didinfo_enabled: false,
    call_restrict: false,
    cost_limit: false,
    channels_restrict: false,
    rewrite_enabled: false,
    transcription_enabled: false,
    transcription_threshold: 6,
    host_request: { host },
    ...wire,
  });
  return { patch: parsed.patch, ext: parsed.ext };
}

// ---- generated scenarios --------------------------------------------------------------------------------------

const DEFAULT_MEDIA = ['m=audio [media_port] RTP/AVP 0 8 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-15'];
/** A peer receiving the BYE that ends the call: 200, then a pause for its retransmissions. */
const ANSWER_BYE = `  <recv request="BYE"/>
  <send>
    <![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
  <timewait milliseconds="300"/>`;
const indent = (lines: readonly string[]): string => lines.map((l) => `      ${l}`).join('\n');

export interface UacCallOptions {
  /** From header value without the tag. Default `"Alice Caller" <sip:[caller]@[local_ip]:[local_port]>`. */
  readonly from?: string;
  /** More INVITE header lines (`Privacy: id`...). */
  readonly headers?: readonly string[];
  /** The offer's media section (m= and a= lines). Default audio PCMU, PCMA, telephone-event. */
  readonly media?: readonly string[];
  /** `hangup` (default): pause for -d ms, then BYE. `wait-bye`: wait for the other side's BYE and answer it. */
  readonly end?: 'hangup' | 'wait-bye';
}

/** A caller: INVITE -> (100/180/183) -> 200 -> ACK -> BYE either way. */
export function uacCallXml(o: UacCallOptions = {}): string {
  const from = o.from ?? '"Alice Caller" <sip:[caller]@[local_ip]:[local_port]>';
  const inDialog = (method: string, cseq: number): string => `
      ${method} [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: ${from};tag=[pid]SIPpTag[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: ${cseq} ${method}
      [routes]
      Max-Forwards: 70
      Content-Length: 0
`;
  const ending =
    (o.end ?? 'hangup') === 'hangup'
      ? `  <pause/>
  <send retrans="500">
    <![CDATA[
${inDialog('BYE', 2)}
    ]]>
  </send>
  <recv response="200" crlf="true"/>`
      : ANSWER_BYE;
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="uac-call-generated">
  <send retrans="500">
    <![CDATA[

      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: ${from};tag=[pid]SIPpTag[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:[caller]@[local_ip]:[local_port];transport=[transport]>
      Max-Forwards: 70
${(o.headers ?? []).map((h) => `      ${h}\n`).join('')}      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
${indent(o.media ?? DEFAULT_MEDIA)}

    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rrs="true"/>
  <send>
    <![CDATA[
${inDialog('ACK', 1)}
    ]]>
  </send>
${ending}
</scenario>
`;
}

export interface UasCallOptions {
  /** The answer's media section. Default audio PCMU. */
  readonly media?: readonly string[];
  /** Send the 180 with this SDP media section (early media offer-answer, RFC 3261 §13.2.1). */
  readonly ringingMedia?: readonly string[];
  /** Ring this long before answering (ms). */
  readonly ringMs?: number;
  /** Wait this long after the INVITE before ringing (ms): the caller's side hears 100 Trying meanwhile. */
  readonly ringAfterMs?: number;
}

/** A callee: INVITE -> 180 -> 200 -> ACK -> BYE -> 200. */
export function uasCallXml(o: UasCallOptions = {}): string {
  const sdp = (media: readonly string[]): string => `
      v=0
      o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
${indent(media)}
`;
  const ringingBody = o.ringingMedia === undefined ? '      Content-Length: 0\n' : `      Content-Type: application/sdp\n      Content-Length: [len]\n${sdp(o.ringingMedia)}`;
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="uas-call-generated">
  <recv request="INVITE" crlf="true"/>
${o.ringAfterMs === undefined ? '' : `  <pause milliseconds="${o.ringAfterMs}"/>\n`}  <send>
    <![CDATA[

      SIP/2.0 180 Ringing
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
${ringingBody}
    ]]>
  </send>
${o.ringMs === undefined ? '' : `  <pause milliseconds="${o.ringMs}"/>\n`}  <send retrans="500">
    <![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Content-Type: application/sdp
      Content-Length: [len]
${sdp(o.media ?? ['m=audio [media_port] RTP/AVP 0', 'a=rtpmap:0 PCMU/8000'])}
    ]]>
  </send>
  <recv request="ACK" crlf="true"/>
${ANSWER_BYE}
</scenario>
`;
}

export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** INVITE -> (100/180) -> `status` -> ACK, as a caller expecting a failure. */
export function uacExpectXml(status: number): string {
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="uac-expect-${status}">
  <send retrans="500">
    <![CDATA[

      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[caller]@[local_ip]:[local_port]>;tag=[pid]SIPpTag[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:[caller]@[local_ip]:[local_port];transport=[transport]>
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0
      a=rtpmap:0 PCMU/8000

    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="${status}"/>
  <send>
    <![CDATA[

      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      [last_Via:]
      From: <sip:[caller]@[local_ip]:[local_port]>;tag=[pid]SIPpTag[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <timewait milliseconds="200"/>
</scenario>
`;
}

/** INVITE -> 180 (unless `ring: false`) -> `status` -> ACK, as a callee refusing the call. */
export function uasRejectXml(status: number, reason: string, o: { ring?: boolean } = {}): string {
  const ringing = `
  <send>
    <![CDATA[

      SIP/2.0 180 Ringing
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Content-Length: 0

    ]]>
  </send>`;
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="uas-reject-${status}">
  <recv request="INVITE" crlf="true"/>${o.ring === false ? '' : ringing}
  <send>
    <![CDATA[

      SIP/2.0 ${status} ${reason}
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
  <recv request="ACK"/>
  <timewait milliseconds="200"/>
</scenario>
`;
}

export interface CallLab {
  readonly t: TestServer;
  readonly store: Store;
  readonly engine: B2buaEngine;
  readonly sipPort: number;
  readonly domain: string;
  /** A new directory for one SIPp run. */
  workDir(): string;
  /** Write a generated scenario and return it for SippOptions.scenario. */
  xml(name: string, text: string, dialog?: boolean): { file: string; dialog: boolean };
  /** Create a connection in the lab's domain and wait until the edge's index has it. */
  connection(origMatchPattern: string, patch: SettingsPatch, ext?: ConnectionExtensions): Promise<Connection>;
  /** Start a callee on a free port; returns the port (for a connection's address) and the run. */
  callee(o: Partial<SippOptions> & Pick<SippOptions, 'scenario'>): Promise<{ port: number; run: SippRun }>;
  /** Run a caller (From user `caller`) dialling `number` through trunkline. */
  caller(caller: string, number: string, o: Partial<SippOptions> & Pick<SippOptions, 'scenario'>): Promise<SippResult>;
  startCaller(caller: string, number: string, o: Partial<SippOptions> & Pick<SippOptions, 'scenario'>): Promise<SippRun>;
  /** The call record of the call whose caller dialled `dialled` (waits for it to be written). */
  callRecord(dialled: string): Promise<CallRecord>;
  stop(): Promise<void>;
}

export async function startCallLab(options: CallEngineOptions = {}, data?: string): Promise<CallLab> {
  const root = mkdtempSync(join(tmpdir(), 'trunkline-calls-'));
  let runs = 0;
  const t = await startTestServer({
    callEngine: createCallEngineWith({ liveFlushMs: 30, closeWaitMs: 1000, ...options }),
    sipTimers: { T1: 100 },
    ...(data === undefined ? {} : { data }),
  });
  const sip = t.server.sip;
  if (sip === undefined || sip.engine === undefined) throw new Error('the SIP edge or its call engine is missing');
  const store = t.server.store;
  const engine = sip.engine as B2buaEngine;
  const domain = 'calls.example';
  if ((await store.getTenant(domain)) === undefined) await store.createTenant({ name: domain, reseller: 'calls-r', description: '', attributes: {} });
  const sipPort = sip.sipPort;
  const target = { host: '127.0.0.1', port: sipPort };
  const workDir = () => join(root, `run-${++runs}`);
  const callerOptions = (caller: string, number: string, o: Partial<SippOptions> & Pick<SippOptions, 'scenario'>): SippOptions => ({
    workDir: workDir(),
    target,
    service: number,
    timeoutSeconds: 15,
    ...o,
    extraArgs: ['-key', 'caller', caller, ...(o.extraArgs ?? [])],
  });
  return {
    t,
    store,
    engine,
    sipPort,
    domain,
    workDir,
    xml(name, text, dialog = true) {
      const file = join(root, `${name}.xml`);
      writeFileSync(file, text);
      return { file, dialog };
    },
    async connection(origMatchPattern, patch, ext) {
      const c = await store.createConnection(buildNewConnection({ domain, origMatchPattern, createdBy: 'netsapiens', ...(ext === undefined ? {} : { ext }) }, patch));
      await waitFor(`connection ${c.id} in the edge index`, () => sip.loader.index.get(c.id) !== undefined);
      return c;
    },
    async callee(o) {
      const port = await findFreePort();
      const run = await startSipp({ workDir: workDir(), localPort: port, calls: 1, timeoutSeconds: 15, ...o });
      // SIPp needs a moment to bind before the first INVITE reaches it (a lost datagram is retransmitted anyway).
      await new Promise((r) => setTimeout(r, 150));
      return { port, run };
    },
    caller: (caller, number, o) => runSipp(callerOptions(caller, number, o)),
    startCaller: (caller, number, o) => startSipp(callerOptions(caller, number, o)),
    async callRecord(dialled) {
      let found: CallRecord | undefined;
      await waitFor(`the call record of ${dialled}`, async () => {
        await engine.records.flush();
        found = (await store.listCallRecords({ domain })).find((r) => r.orig.requestUri.includes(dialled));
        return found !== undefined;
      });
      return found!;
    },
    async stop() {
      await t.stop();
      if (process.env.TRUNKLINE_KEEP_SIPP !== '1') rmSync(root, { recursive: true, force: true });
    },
  };
}
