/**
 * NetSapiens dial plans, dial rules and dial policies: model, validation, wire names, routing and policy
 * checks. Pure: no I/O; the store persists these records and the edge calls `routeCall`/`policyPermits`.
 */
export * from './types.js';
export * from './pattern.js';
export * from './timeframe.js';
export * from './templates.js';
export * from './ids.js';
export * from './validate.js';
export * from './netsapiens-names.js';
export * from './route.js';
export * from './policy.js';
