/**
 * What a SIPp peer saw, read from its message log (`-trace_msg`): the messages with when and which way they went,
 * and the headers and body of one. Used by the session timer, ringback, minimum duration and failover tests.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

type Logged = { readonly messagesLog: string | undefined };

/** A SIPp run's whole message log. */
export const log = (r: Logged): string => readFileSync(r.messagesLog!, 'latin1');

export interface LoggedMessage {
  /** When SIPp logged it (ms since the epoch, local time as SIPp wrote it). */
  readonly at: number;
  readonly direction: 'received' | 'sent';
  /** The message from its start line. */
  readonly text: string;
}

/** Every message of the log, in order. */
export function messages(r: Logged): LoggedMessage[] {
  const entry = /-{10,} (\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}\.\d{3})\d*\n[^\n]*message (received|sent)[^\n]*\n\n?([\s\S]*?)(?=\n-{10,} \d{4}-|$)/g;
  return [...log(r).matchAll(entry)].map((m) => ({ at: new Date(`${m[1]}T${m[2]}`).getTime(), direction: m[3] as 'received' | 'sent', text: m[4]! }));
}

/** The messages the peer received. */
export const received = (r: Logged): string[] => messages(r).filter((m) => m.direction === 'received').map((m) => m.text);

/** Requests of one method the peer received. */
export const receivedRequests = (r: Logged, method: string): string[] => received(r).filter((m) => m.startsWith(`${method} `));

/** Responses with one status the peer received, to requests of `method` when given. */
export function receivedResponses(r: Logged, status: number, method?: string): string[] {
  const cseq = method === undefined ? undefined : new RegExp(`^CSeq:\\s*\\d+\\s+${method}\\s*$`, 'mi');
  return received(r).filter((m) => m.startsWith(`SIP/2.0 ${status} `) && (cseq === undefined || cseq.test(m)));
}

/** The first INVITE the peer received. */
export function receivedInvite(r: Logged): string {
  const invite = receivedRequests(r, 'INVITE')[0];
  assert.ok(invite !== undefined, `no INVITE received in ${r.messagesLog}`);
  return invite;
}

/** A message's body. */
export function bodyOf(message: string): string {
  const i = message.search(/\r?\n\r?\n/);
  return i === -1 ? '' : message.slice(i).replace(/^\r?\n\r?\n/, '');
}

/** The values of a header (long name, any case), one per line. */
export function headerValues(message: string, name: string): string[] {
  const i = message.search(/\r?\n\r?\n/);
  const head = i === -1 ? message : message.slice(0, i);
  return head
    .split(/\r?\n/)
    .filter((line) => line.slice(0, Math.max(0, line.indexOf(':'))).trim().toLowerCase() === name.toLowerCase())
    .map((line) => line.slice(line.indexOf(':') + 1).trim());
}
