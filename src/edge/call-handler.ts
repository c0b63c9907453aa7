/**
 * The seam between the edge's front door (transports, identification, registrar: `sip-edge.ts`) and the
 * call engine (the B2BUA in `calls/`). The front door decides *who* sent a request; the call engine decides
 * what happens to the call. Keeping the seam an interface lets the front door answer every request
 * properly even before (or without) a call engine.
 */
import type { Logger } from 'pino';
import type {
  AnyServerTransaction,
  InviteServerTransaction,
  RequestContext,
  SipRequest,
  TransactionLayer,
} from '../sip/index.js';
import type { Store } from '../store/store.js';
import type { ConnectionIndex, IndexedConnection } from './connection-index.js';
import type { LiveState } from './live/live-state.js';

/** Where a registered connection can be reached (the contact its REGISTER left, and where it came from). */
export interface ReachableBinding {
  readonly contact: string;
  readonly sourceAddress: string;
  readonly sourcePort: number;
  readonly transport: string;
}

export interface CallEngineContext {
  readonly layer: TransactionLayer;
  readonly index: ConnectionIndex;
  readonly store: Store;
  readonly logger: Logger;
  /** Current bindings of a connection that registers to us (empty when none). */
  bindingsOf(connectionId: number): Promise<readonly ReachableBinding[]>;
  /** Value for the Server / User-Agent header when a connection asks for one. */
  readonly productName: string;
  /**
   * Where calls are admitted and counted: shared by several edges (Redis) when given, else the engine
   * counts in its own memory. The edge owns it (starts and closes it).
   */
  readonly liveState?: LiveState | undefined;
}

export interface CallEngine {
  /** A dialog-creating INVITE (no To tag) from an identified, authorised connection. */
  handleInvite(req: SipRequest, tx: InviteServerTransaction, ctx: RequestContext, origin: IndexedConnection): void;
  /**
   * A request inside a dialog (To tag present, or CANCEL/ACK matched by the layer). Returns false when
   * the engine knows no such dialog; the front door then answers 481.
   */
  handleInDialog(req: SipRequest, tx: AnyServerTransaction, ctx: RequestContext): boolean;
  /** An ACK for a 2xx (end to end, no transaction). */
  handleAck(ack: SipRequest, ctx: RequestContext): void;
  /** CANCEL matched to a pending INVITE server transaction (the layer already answered the CANCEL 200). */
  handleCancel(cancel: SipRequest, invite: InviteServerTransaction, ctx: RequestContext): void;
  /** Number of calls in progress (for /metrics and graceful shutdown). */
  readonly activeCalls: number;
  /** End every call (BYE both legs), flush live figures. */
  close(): Promise<void>;
}

export type CallEngineFactory = (ctx: CallEngineContext) => CallEngine;
