/**
 * Two edge processes' worth of trunkline (two in-process servers on one SQLite store, both with the call
 * engine) sharing one Redis: a limit holds across them, and the store's live figures are the sum over both.
 * Real calls: SIPp callers send to edge A and edge B, a SIPp callee answers.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createCallEngineWith, type B2buaEngine } from '../../../src/edge/calls/index.js';
import { buildNewConnection, type Connection, type SettingsPatch } from '../../../src/model/index.js';
import { startServer, type RunningServer } from '../../../src/server/start.js';
import { runSipp, sippSkipReason, startSipp, summarizeSipp, findFreePort, type SippOptions } from '../../support/sipp.js';
import { freePort, tempDir } from '../../support/trunkline.js';
import { scenario, uacExpectXml, waitFor } from '../calls/support.js';
import { REDIS_URL, cleanPrefix, redisSkipReason, testPrefix } from './support.js';

const sippSkip = sippSkipReason();
const redisSkip = await redisSkipReason();
const skip = redisSkip !== false ? redisSkip : sippSkip;
if (skip !== false) console.log(`# skipping the two-edge Redis call tests: ${skip}`);

const log = (r: { messagesLog: string | undefined }) => readFileSync(r.messagesLog!, 'latin1');

describe('two edges sharing Redis: limits and live figures across edges (SIPp)', { skip, timeout: 120_000 }, () => {
  const data = tempDir('trunkline-cluster-');
  const prefix = testPrefix();
  const servers: RunningServer[] = [];
  let a: RunningServer;
  let b: RunningServer;
  let runs = 0;
  const workDir = () => join(data, `sipp-${++runs}`);

  const edge = async (): Promise<RunningServer> => {
    const s = await startServer({
      data,
      httpHost: '127.0.0.1',
      httpPort: 0,
      sipPort: await freePort(),
      logLevel: 'silent',
      out: { write: () => undefined },
      callEngine: createCallEngineWith({ liveFlushMs: 30, closeWaitMs: 1000 }),
      sipTimers: { T1: 100 },
      redis: { url: REDIS_URL, prefix, heartbeatMs: 200, ttlMs: 1000 },
    });
    servers.push(s);
    return s;
  };
  const engine = (s: RunningServer) => s.sip!.engine as B2buaEngine;
  const connection = async (origMatchPattern: string, patch: SettingsPatch): Promise<Connection> => {
    const c = await a.store.createConnection(buildNewConnection({ domain: 'cluster.example', origMatchPattern, createdBy: 'netsapiens' }, patch));
    // A sees its own write at once; B polls the store's version (every second).
    await waitFor(`connection ${c.id} on both edges`, () => a.sip!.loader.index.get(c.id) !== undefined && b.sip!.loader.index.get(c.id) !== undefined, 5000);
    return c;
  };
  const caller = (via: RunningServer, number: string, o: Partial<SippOptions> & Pick<SippOptions, 'scenario'>): SippOptions => ({
    workDir: workDir(),
    target: { host: '127.0.0.1', port: via.sip!.sipPort },
    service: number,
    timeoutSeconds: 15,
    ...o,
    extraArgs: ['-key', 'caller', 'pbx1'],
  });
  const callee = async (calls: number) => {
    const port = await findFreePort();
    const run = await startSipp({ workDir: workDir(), localPort: port, calls, timeoutSeconds: 20, scenario: 'uas' });
    await new Promise((r) => setTimeout(r, 150));
    return { port, run };
  };
  let callerId: number;

  before(async () => {
    a = await edge();
    await a.store.createTenant({ name: 'cluster.example', reseller: 'cluster-r', description: '', attributes: {} });
    b = await edge();
    assert.notEqual(a.sip!.liveState!.edgeId, b.sip!.liveState!.edgeId);
    callerId = (await a.store.createConnection(buildNewConnection({ domain: 'cluster.example', origMatchPattern: 'sip:pbx1@127.0.0.1', createdBy: 'netsapiens' }, {}))).id;
  });
  after(async () => {
    for (const s of servers.reverse()) await s.close().catch(() => undefined);
    await cleanPrefix(prefix);
    rmSync(data, { recursive: true, force: true });
  });

  it('maxCallsTotal 1: a call up on edge A makes edge B answer the second one 503; the store shows it', async () => {
    const uas = await callee(1);
    const dest = await connection('sip:carrier3001@198.51.100.1', { termMatchPattern: 'sip:3001*@*', address: `127.0.0.1:${uas.port}`, maxCallsTotal: 1 });
    const first = await startSipp(caller(a, '30015550100', { scenario: scenario('uac-call.xml'), callLengthMs: 2000 }));
    await waitFor('the call to be up on edge A', () => engine(a).list().some((c) => c.dest === dest.id && c.state === 'confirmed'));
    assert.equal(engine(b).activeCalls, 0, 'edge B has no call of its own');

    const xml = join(data, 'uac-503.xml');
    writeFileSync(xml, uacExpectXml(503));
    const second = await runSipp(caller(b, '30015550101', { scenario: { file: xml, dialog: true } }));
    assert.equal(second.exitCode, 0, summarizeSipp(second));
    assert.match(log(second), /SIP\/2\.0 503 Total Call Limit Reached/);
    assert.match(log(second), new RegExp(`Warning: 399 trunkline "limits-max-active-calls-total 1 reached on connection ${dest.id}"`));

    await waitFor('the store to show the call', async () => (await b.store.getLive([dest.id])).get(dest.id)?.activeTerm === 1);
    const r = await first.done;
    assert.equal(r.exitCode, 0, summarizeSipp(r));
    assert.equal((await uas.run.done).exitCode, 0);
    await waitFor('live figures back to 0', async () => {
      const live = await a.store.getLive([dest.id, callerId]);
      return live.get(dest.id)?.activeTerm === 0 && live.get(callerId)?.activeOrig === 0;
    });
    const live = (await a.store.getLive([dest.id])).get(dest.id)!;
    assert.equal(live.termSinceStartup, 1, 'the refused call never counted');
    assert.equal(live.maxThisMonth, 1);
  });

  it('one call through each edge: the store shows 2 active calls on the destination and the origin', async () => {
    const uas = await callee(2);
    const dest = await connection('sip:carrier3002@198.51.100.1', { termMatchPattern: 'sip:3002*@*', address: `127.0.0.1:${uas.port}` });
    const before = (await a.store.getLive([callerId])).get(callerId)!;
    const viaA = await startSipp(caller(a, '30025550100', { scenario: scenario('uac-call.xml'), callLengthMs: 2500 }));
    const viaB = await startSipp(caller(b, '30025550101', { scenario: scenario('uac-call.xml'), callLengthMs: 2500 }));
    await waitFor('one call up on each edge', () => engine(a).list().some((c) => c.dest === dest.id) && engine(b).list().some((c) => c.dest === dest.id));
    await waitFor('the store to show both calls', async () => {
      const live = await a.store.getLive([dest.id, callerId]);
      return live.get(dest.id)?.activeTerm === 2 && live.get(callerId)?.activeOrig === 2;
    });
    const live = (await a.store.getLive([dest.id, callerId]));
    assert.equal(live.get(dest.id)?.termSinceStartup, 2);
    assert.equal(live.get(callerId)?.origSinceStartup, before.origSinceStartup + 2);
    for (const r of [await viaA.done, await viaB.done]) assert.equal(r.exitCode, 0, summarizeSipp(r));
    assert.equal((await uas.run.done).exitCode, 0);
    await waitFor('live figures back to 0', async () => (await a.store.getLive([dest.id])).get(dest.id)?.activeTerm === 0);
    const end = (await a.store.getLive([dest.id])).get(dest.id)!;
    assert.equal(end.maxThisMonth, 2, 'the peak is cluster-wide');
    assert.ok(end.talkTimeThisMonth >= 4, `talk time of both calls: ${end.talkTimeThisMonth}`);
  });
});
