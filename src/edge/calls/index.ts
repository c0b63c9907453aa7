/**
 * The call engine (a B2BUA) behind the SIP edge's front door. `createCallEngine` is the `CallEngineFactory`
 * that `startSipEdge({ callEngine })` / `startServer({ callEngine })` take; `createCallEngineWith(options)`
 * makes one with other timers (tests). What it does: docs/edge-calls.md.
 */
import type { CallEngineFactory } from '../call-handler.js';
import { B2buaEngine } from './engine.js';
import type { CallEngineOptions } from './services.js';

export { B2buaEngine } from './engine.js';
export { LiveCounters } from './live-counters.js';
export { checkLimits, type LimitRefusal } from './limits.js';
export { findTermConnection, parseAddress, resolveTarget, termOrder, type Target } from './routing.js';
export { DEFAULT_ENGINE_OPTIONS, type CallEngineOptions } from './services.js';

export function createCallEngineWith(options: CallEngineOptions = {}): CallEngineFactory {
  return (ctx) => new B2buaEngine(ctx, options);
}

export const createCallEngine: CallEngineFactory = createCallEngineWith();
