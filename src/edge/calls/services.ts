/** What a call needs from its engine (kept narrow so `Call` can be read without the engine). */
import type { Logger } from 'pino';
import type { CallRecord } from '../../model/index.js';
import type { InviteServerTransaction, TransactionLayer } from '../../sip/index.js';
import type { ReachableBinding } from '../call-handler.js';
import type { ConnectionIndex } from '../connection-index.js';
import type { Call, InviteRelay } from './call.js';
import type { Dialog } from './dialog.js';
import type { LiveCounters } from './live-counters.js';
import type { DialPlanBook } from './routing.js';

export interface CallEngineOptions {
  /** Timer C: a call not answered within this is CANCELled and the caller gets 408 (default 180 s, RFC 3261 §16.6 step 11). */
  readonly noAnswerTimeoutMs?: number;
  /** Safety cap on an answered call's length (default 12 h; Wavix `call_limit` may shorten it). */
  readonly maxCallDurationMs?: number;
  /**
   * What a connection's `sessionTimer: 'system-default'` means: true (the default) runs RFC 4028 session timers on
   * that connection's legs, as `'yes'` does; false leaves them off, as `'no'` does.
   */
  readonly sessionTimerDefault?: boolean;
  /** Session-Expires trunkline asks for and grants on a leg with session timers (default 1800 s, RFC 4028 §4). */
  readonly sessionExpiresSeconds?: number;
  /**
   * The shortest session interval trunkline accepts (its Min-SE; default 90 s, the floor RFC 4028 §4/§5 sets).
   * Only tests should go below 90.
   */
  readonly minSessionExpiresSeconds?: number;
  /** Connections tried for one call, the first included, before the caller gets the last failure (default 3). */
  readonly maxRouteAttempts?: number;
  /**
   * While another connection could still be tried: how long a destination may stay silent (not even a 100
   * Trying) before it is given up and the next one is tried (default 5 s). Without it a dead carrier would hold
   * every call for Timer B (64*T1, 32 s). The last candidate always gets the full Timer B.
   */
  readonly failoverNoResponseMs?: number;
  /** Least time between two live-figure writes of one connection (default 200 ms). */
  readonly liveFlushMs?: number;
  /** How long close() waits for the BYEs it sends (default 2 s). */
  readonly closeWaitMs?: number;
}

export type ResolvedEngineOptions = Required<CallEngineOptions>;

export const DEFAULT_ENGINE_OPTIONS: ResolvedEngineOptions = {
  noAnswerTimeoutMs: 180_000,
  maxCallDurationMs: 12 * 3600_000,
  sessionTimerDefault: true,
  sessionExpiresSeconds: 1800,
  minSessionExpiresSeconds: 90,
  maxRouteAttempts: 3,
  failoverNoResponseMs: 5_000,
  liveFlushMs: 200,
  closeWaitMs: 2_000,
};

export interface EngineServices {
  readonly layer: TransactionLayer;
  index(): ConnectionIndex;
  readonly logger: Logger;
  readonly productName: string;
  readonly live: LiveCounters;
  /** The dial plans and dial policies (routing.ts). */
  readonly dialPlans: DialPlanBook;
  readonly options: ResolvedEngineOptions;
  bindingsOf(connectionId: number): Promise<readonly ReachableBinding[]>;
  track(call: Call): void;
  untrack(call: Call): void;
  registerDialog(call: Call, dialog: Dialog): void;
  /** The dialog is over for the call (a failed-over attempt, a leg that hung up while the other is held). */
  unregisterDialog(call: Call, dialog: Dialog): void;
  /** An INVITE server transaction of the call besides the initial one: its ACK timeout and CANCEL find the call. */
  trackServerInvite(tx: InviteServerTransaction, call: Call, relay?: InviteRelay): void;
  /** A finished call's record (written behind to the store). */
  recordCall(record: CallRecord): void;
}
