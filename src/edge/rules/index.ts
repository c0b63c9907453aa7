/**
 * Number and header rules of a connection, applied per call leg over a small typed call identity (not SIP
 * messages). Pure: the edge fills `CallIdentity` from the request, calls `applyLegRules`, and writes the
 * identity and header operations back mechanically. `docs/edge-rules.md` describes every rule.
 */
export * from './identity.js';
export * from './header-values.js';
export * from './translations.js';
export * from './enswitch.js';
export * from './wavix.js';
export * from './identity-headers.js';
export * from './fail.js';
export * from './apply.js';
