#!/usr/bin/env node
// `npm test`: finds every test/**/*.test.ts and runs it with Node's own test runner (through tsx).
// SIP tests drive real calls with SIPp, so the Debian package `sip-tester` is installed here when missing
// (as root, the only case where apt-get can work); without it the SIPp tests skip and say so.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

function has(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function ensureSipp() {
  if (has('sipp') || process.env.TRUNKLINE_SKIP_APT === '1') return;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    console.warn('[run-tests] sipp not found and not root: install the Debian package sip-tester to run the SIPp tests');
    return;
  }
  console.log('[run-tests] installing sip-tester (SIPp) with apt-get');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let r = spawnSync('apt-get', ['install', '-y', '-qq', 'sip-tester'], { stdio: 'inherit', env });
  if (r.status !== 0) {
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    r = spawnSync('apt-get', ['install', '-y', '-qq', 'sip-tester'], { stdio: 'inherit', env });
  }
  if (r.status !== 0) console.warn('[run-tests] could not install sip-tester; SIPp tests will be skipped');
}

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...findTests(full));
    else if (name.endsWith('.test.ts')) out.push(full);
  }
  return out;
}

ensureSipp();
const filter = process.argv.slice(2);
let files = findTests(join(root, 'test')).map((f) => relative(root, f)).sort();
if (filter.length > 0) files = files.filter((f) => filter.some((p) => f.includes(p)));
if (files.length === 0) {
  console.error('[run-tests] no test files matched');
  process.exit(1);
}
if (!process.env.TRUNKLINE_TEST_PG_URL) {
  console.log('[run-tests] TRUNKLINE_TEST_PG_URL is not set: PostgreSQL store tests will be reported as skipped');
}
const concurrency = process.env.TRUNKLINE_TEST_CONCURRENCY ?? '2';
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files],
  { stdio: 'inherit', cwd: root },
);
process.exit(r.status ?? 1);
