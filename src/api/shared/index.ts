export * from './dialect.js';
export * from './auth.js';
export * from './access.js';
export * from './http.js';
export * from './hooks.js';
export * from './paging.js';
export * from './keys.js';
export * from './schema.js';
