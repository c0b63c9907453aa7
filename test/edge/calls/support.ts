/**
 * A lab for call tests: `trunkline serve` in process with the call engine behind its front door, connections
 * written straight into its store (the edge's index reloads on in-process writes), and SIPp peers on both
 * sides: a caller (UAC) sending to trunkline, a callee (UAS) at a connection's address.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCallEngineWith, type B2buaEngine, type CallEngineOptions } from '../../../src/edge/calls/index.js';
import { buildNewConnection, type Connection, type ConnectionExtensions, type SettingsPatch } from '../../../src/model/index.js';
import type { Store } from '../../../src/store/store.js';
import { findFreePort, runSipp, startSipp, type SippOptions, type SippResult, type SippRun } from '../../support/sipp.js';
import { startTestServer, type TestServer } from '../../support/trunkline.js';

export const SCENARIOS = join(import.meta.dirname, 'scenarios');
export const scenario = (name: string, dialog = true) => ({ file: join(SCENARIOS, name), dialog });

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

/** INVITE -> 180 -> `status` -> ACK, as a callee refusing the call. */
export function uasRejectXml(status: number, reason: string): string {
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="uas-reject-${status}">
  <recv request="INVITE" crlf="true"/>
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
  </send>
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
    engine: sip.engine as B2buaEngine,
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
    async stop() {
      await t.stop();
      if (process.env.TRUNKLINE_KEEP_SIPP !== '1') rmSync(root, { recursive: true, force: true });
    },
  };
}
