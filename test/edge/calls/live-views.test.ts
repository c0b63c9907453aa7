/**
 * Live figures of a real call as each dialect shows them: a SIPp caller on a Wavix trunk calls through
 * trunkline to a SIPp callee; while the call is up the NetSapiens GET of the trunk counts it as an active
 * originating call, and once it has ended Wavix `talk_time` (this month's talk seconds) and the NetSapiens
 * since-startup count show it. (Seed 004 gives Enswitch peers no live field.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createStoredApiKey } from '../../../src/api/shared/keys.js';
import { WAVIX_KEY_FORMAT } from '../../../src/api/wavix/keys.js';
import { sippSkipReason, summarizeSipp } from '../../support/sipp.js';
import { scenario, startCallLab, waitFor, wavixTrunk, type CallLab } from './support.js';

const skip = sippSkipReason();

describe('live figures of a real call in the Wavix and NetSapiens views', { skip, timeout: 60_000 }, () => {
  let lab: CallLab;
  before(async () => {
    lab = await startCallLab();
  });
  after(async () => {
    await lab?.stop();
  });

  /** NetSapiens answers a GET of one connection with a one-element array. */
  const nsConnection = async (path: string): Promise<Record<string, unknown>> => {
    const body = await getJson(path, lab.t.key);
    assert.ok(Array.isArray(body) && body.length === 1, `one connection expected: ${JSON.stringify(body).slice(0, 200)}`);
    return body[0];
  };
  const getJson = async (path: string, key: string): Promise<any> => {
    const res = await fetch(`${lab.t.url}${path}`, { headers: { authorization: `Bearer ${key}`, accept: 'application/json' } });
    assert.equal(res.status, 200, `${path}: ${res.status}`);
    return res.json();
  };

  it('an answered 2.5 s call from a Wavix trunk: active while up, then talk_time >= 2 s and since-startup 1', async () => {
    const callee = await lab.callee({ scenario: 'uas' });
    await lab.connection('sip:carrier6001@198.51.100.1', { termMatchPattern: 'sip:6001*@*', address: `127.0.0.1:${callee.port}` });
    const t = wavixTrunk('127.0.0.1');
    const trunk = await lab.connection('sip:wavix-live@127.0.0.1', t.patch, t.ext);
    const { key: wavixKey } = await createStoredApiKey(lab.store, WAVIX_KEY_FORMAT, {
      scope: 'Office Manager',
      domain: lab.domain,
      reseller: '*',
      description: 'live figures test',
      readonly: true,
    });
    const nsPath = `/ns-api/v2/domains/${lab.domain}/connections/${encodeURIComponent(trunk.origMatchPattern)}`;

    // talk_time is in the trunk list (SIPTrunkSummary), not in the single-trunk answer.
    const talkTime = async (): Promise<number> => {
      const list = await getJson('/v1/trunks', wavixKey);
      const mine = (list.sip_trunks as Array<{ id: number; talk_time: number }>).find((x) => x.id === trunk.id);
      assert.ok(mine !== undefined, 'the trunk is listed');
      return mine.talk_time;
    };
    assert.equal(await talkTime(), 0);

    const run = await lab.startCaller('wavix-live', '60015550100', { scenario: scenario('uac-call.xml'), callLengthMs: 2500 });
    await waitFor('the NetSapiens GET to count the active call', async () => (await nsConnection(nsPath))['active-calls-orig-current'] === 1, 8000);
    const r = await run.done;
    assert.equal(r.exitCode, 0, summarizeSipp(r));
    assert.equal((await callee.run.done).exitCode, 0);

    await waitFor('talk_time in the Wavix view', async () => (await talkTime()) >= 2, 8000);
    const ns = await nsConnection(nsPath);
    assert.equal(ns['active-calls-orig-current'], 0);
    assert.equal(ns['active-calls-orig-since-startup'], 1);
    assert.ok(Number(ns['active-calls-max-this-month']) >= 1);
  });
});
