export type { ConnectionFilter, Page, RegistrationBinding, Store, TenantFilter } from './store.js';
export { openStore, DEFAULT_DATA_DIR, type OpenStoreOptions } from './open-store.js';
export { MAX_PAGE_SIZE } from './kysely-store.js';
