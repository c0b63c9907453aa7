/**
 * The call engine behind the edge's front door (src/edge/call-handler.ts): it owns the calls in progress,
 * finds the call (and leg) of every in-dialog request, ACK, CANCEL and stray 2xx, and keeps the live figures.
 *
 * Dialogs are found by Call-ID and *our* tag (the To tag of a request the peer sends inside the dialog, the
 * From tag of a response to our request), then the peer's tag is checked (RFC 3261 §12.2.2).
 */
import type { Logger } from 'pino';
import type {
  AnyServerTransaction,
  InviteServerTransaction,
  RequestContext,
  SipRequest,
  SipResponse,
  Unsubscribe,
} from '../../sip/index.js';
import type { CallEngine, CallEngineContext } from '../call-handler.js';
import type { IndexedConnection } from '../connection-index.js';
import { Call, type InviteRelay } from './call.js';
import { dialogKey, type Dialog } from './dialog.js';
import { LiveCounters } from './live-counters.js';
import { CallRecorder } from './call-records.js';
import { DialPlanBook } from './routing.js';
import { DEFAULT_ENGINE_OPTIONS, type CallEngineOptions, type EngineServices, type ResolvedEngineOptions } from './services.js';

interface DialogEntry {
  readonly call: Call;
  readonly dialog: Dialog;
}

function safeTag(read: () => string | undefined): string | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

export class B2buaEngine implements CallEngine {
  readonly live: LiveCounters;
  readonly records: CallRecorder;
  readonly dialPlans: DialPlanBook;
  readonly options: ResolvedEngineOptions;
  private readonly calls = new Set<Call>();
  private readonly dialogs = new Map<string, DialogEntry>();
  private readonly byInitialTx = new WeakMap<InviteServerTransaction, Call>();
  /**
   * Live calls by the caller's side of their initial INVITE (Call-ID and From tag). The INVITE server
   * transaction absorbs retransmissions only for 64*T1; a copy arriving later, while the call is still up,
   * has no To tag and would otherwise start a second call with the same caller dialog.
   */
  private readonly byCallerInvite = new Map<string, Call>();
  /** INVITE server transactions of calls besides the initial one: relayed re-INVITEs, refreshes answered here. */
  private readonly reinvites = new WeakMap<InviteServerTransaction, { relay: InviteRelay | undefined; call: Call }>();
  private readonly unsubscribe: Unsubscribe[] = [];
  private readonly logger: Logger;
  private readonly services: EngineServices;
  private closing: Promise<void> | undefined;

  constructor(private readonly ctx: CallEngineContext, options: CallEngineOptions = {}) {
    this.options = { ...DEFAULT_ENGINE_OPTIONS, ...options };
    this.logger = ctx.logger.child({ component: 'calls' });
    this.records = new CallRecorder(ctx.store, this.logger);
    this.live = new LiveCounters(
      ctx.store,
      this.logger,
      ctx.index.values().map((ic) => ic.connection.id),
      { flushMs: this.options.liveFlushMs, ...(ctx.liveState === undefined ? {} : { state: ctx.liveState }) },
    );
    this.dialPlans = new DialPlanBook(ctx.store, this.logger);
    this.dialPlans.start();
    const engine = this;
    this.services = {
      layer: ctx.layer,
      index: () => ctx.index,
      logger: this.logger,
      productName: ctx.productName,
      live: this.live,
      dialPlans: this.dialPlans,
      options: this.options,
      bindingsOf: (id) => ctx.bindingsOf(id),
      track: (call) => {
        engine.calls.add(call);
        engine.byInitialTx.set(call.aTx, call);
        engine.byCallerInvite.set(callerInviteKey(call.aReq), call);
      },
      untrack: (call) => engine.untrack(call),
      registerDialog: (call, dialog) => engine.dialogs.set(dialog.key, { call, dialog }),
      unregisterDialog: (call, dialog) => engine.dropDialog(call, dialog),
      trackServerInvite: (tx, call, relay) => engine.reinvites.set(tx, { relay, call }),
      recordCall: (record) => engine.records.record(record),
    };
    this.unsubscribe.push(
      ctx.layer.onStrayResponse((res) => this.onStrayResponse(res)),
      ctx.layer.onAckTimeout((tx) => {
        const call = this.byInitialTx.get(tx) ?? this.reinvites.get(tx)?.call;
        call?.onAckTimeout(tx);
      }),
    );
  }

  get activeCalls(): number {
    return this.calls.size;
  }

  /** Calls in progress (tests, metrics). */
  list(): ReturnType<Call['describe']>[] {
    return [...this.calls].map((c) => c.describe());
  }

  handleInvite(req: SipRequest, tx: InviteServerTransaction, ctx: RequestContext, origin: IndexedConnection): void {
    if (this.closing !== undefined) {
      try {
        tx.respond(tx.createResponse(503, { reason: 'Shutting Down', headers: [['Retry-After', '5']] }));
      } catch {
        /* already answered */
      }
      return;
    }
    const existing = this.byCallerInvite.get(callerInviteKey(req));
    if (existing !== undefined && safeSeq(req) <= safeSeq(existing.aReq)) {
      // A late copy of a live call's INVITE (same Call-ID, From tag, no newer CSeq): RFC 3261 §8.2.2.2 treats
      // a request that merges into an existing one with 482; the caller's transaction is long finished, so it
      // only ends this new server transaction cleanly.
      try {
        tx.respond(tx.createResponse(482, 'Loop Detected'));
      } catch {
        /* already answered */
      }
      return;
    }
    let call: Call;
    try {
      call = new Call(this.services, req, tx, ctx, origin);
    } catch (err) {
      // Only a request the layer let through with unreadable From/To/Contact gets here.
      this.logger.warn({ err, callId: req.callId }, 'INVITE not usable');
      try {
        tx.respond(tx.createResponse(400, 'Bad Request'));
      } catch {
        /* already answered */
      }
      return;
    }
    call.start();
  }

  private find(callId: string, ourTag: string | undefined, theirTag: string | undefined): DialogEntry | undefined {
    if (ourTag === undefined) return undefined;
    const entry = this.dialogs.get(dialogKey(callId, ourTag));
    if (entry === undefined) return undefined;
    const remote = entry.dialog.remoteTag;
    if (remote !== undefined && theirTag !== remote) return undefined;
    return entry;
  }

  handleInDialog(req: SipRequest, tx: AnyServerTransaction, _ctx: RequestContext): boolean {
    const entry = this.find(req.callId, safeTag(() => req.to.tag), safeTag(() => req.from.tag));
    if (entry === undefined) return false;
    try {
      entry.call.onRequest(entry.dialog.leg, req, tx);
    } catch (err) {
      this.logger.error({ err, callId: req.callId, method: req.method }, 'in-dialog request failed');
      if (!tx.finalResponseSent) {
        try {
          tx.respond(tx.createResponse(500));
        } catch {
          /* over */
        }
      }
    }
    return true;
  }

  handleAck(ack: SipRequest, _ctx: RequestContext): void {
    const entry = this.find(ack.callId, safeTag(() => ack.to.tag), safeTag(() => ack.from.tag));
    if (entry === undefined) return;
    try {
      entry.call.onAck(entry.dialog.leg, ack);
    } catch (err) {
      this.logger.warn({ err, callId: ack.callId }, 'ACK not relayed');
    }
  }

  handleCancel(_cancel: SipRequest, invite: InviteServerTransaction, _ctx: RequestContext): void {
    const call = this.byInitialTx.get(invite);
    if (call !== undefined) return call.onCancel();
    const re = this.reinvites.get(invite);
    if (re?.relay !== undefined) re.call.onCancelReinvite(re.relay);
  }

  private onStrayResponse(res: SipResponse): void {
    try {
      if (res.cseq.method !== 'INVITE' || res.status < 200 || res.status >= 300) return;
      const entry = this.find(res.callId, res.from.tag, res.to.tag) ?? this.find(res.callId, res.from.tag, undefined);
      entry?.call.onStray2xx(res);
    } catch {
      /* unreadable stray: nothing to do */
    }
  }

  private untrack(call: Call): void {
    this.calls.delete(call);
    // The caller's INVITE transaction outlives the call (Timer L, 32 s); an entry keyed by it would keep the
    // ended call reachable that long. A late CANCEL or ACK timeout for an ended call has nothing to act on.
    this.byInitialTx.delete(call.aTx);
    const key = callerInviteKey(call.aReq);
    if (this.byCallerInvite.get(key) === call) this.byCallerInvite.delete(key);
    for (const d of [call.a, call.b]) if (d !== undefined) this.dropDialog(call, d);
  }

  /** Forget a dialog of `call` (not one a later call has taken over under the same key). */
  private dropDialog(call: Call, dialog: Dialog): void {
    if (this.dialogs.get(dialog.key)?.call === call) this.dialogs.delete(dialog.key);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      const ending = [...this.calls].map((c) => c.teardown(503, 'Shutting Down').catch(() => undefined));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(ending),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, this.options.closeWaitMs);
        }),
      ]);
      if (timer !== undefined) clearTimeout(timer);
      for (const u of this.unsubscribe) u();
      await this.dialPlans.close();
      await this.live.close();
      await this.records.flush();
    })();
    return this.closing;
  }
}

/** The caller's half of a dialog-creating INVITE: Call-ID and From tag (unreadable parts give a key no call has). */
function callerInviteKey(req: SipRequest): string {
  let tag: string | undefined;
  try {
    tag = req.from.tag;
  } catch {
    tag = undefined;
  }
  return `${req.callId}\u0000${tag ?? ''}`;
}

function safeSeq(req: SipRequest): number {
  try {
    return req.cseq.seq;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}
