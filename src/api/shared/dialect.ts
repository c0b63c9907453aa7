/**
 * The one contract every HTTP dialect (NetSapiens, Wavix, Enswitch) implements.
 *
 * A dialect is a thin skin over the canonical model: it turns its wire body into a canonical settings patch,
 * turns a canonical connection (plus the live figures the edge keeps) into its wire shape, gives a
 * `TrunklineError` the body and status its clients expect, and registers its routes on a fastify instance
 * under its own prefix. Authentication, tenancy rules, body limits, malformed-JSON and not-found handling
 * are shared (`auth.ts`, `access.ts`, `http.ts`), so a dialect never re-decides them.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type {
  ConnectionLive,
  ConnectionWithLive,
  CredentialDialect,
  NewConnection,
  SettingsPatch,
  TrunklineError,
} from '../../model/index.js';
import { ValidationError } from '../../model/index.js';
import type { Store } from '../../store/store.js';
import type { AccessControl } from './access.js';
import type { Authenticator } from './auth.js';

/** What a dialect makes of a create/update body: the identity (on create) and a canonical patch. */
export interface ParsedConnectionBody {
  /** Present on create; a dialect may also carry it on update (to refuse a rename). */
  identity?: Partial<Pick<NewConnection, 'domain' | 'origMatchPattern'>>;
  patch: SettingsPatch;
}

/** A wire error: the status to send and the body in the dialect's shape. */
export interface WireError {
  status: number;
  body: unknown;
}

/**
 * The message every dialect shows for an error: a validation error names the field as that dialect spells
 * it; an internal error never leaks its details (they are logged, not sent).
 */
export function wireErrorMessage(err: TrunklineError, wireField: (canonical: string) => string): string {
  if (err instanceof ValidationError) return `${wireField(err.field ?? '')} ${err.reason}`.trim();
  if (err.kind === 'INTERNAL') return 'Internal error';
  return err.message;
}

/** What the shared layer hands every dialect when it registers. */
export interface ApiContext {
  readonly store: Store;
  readonly auth: Authenticator;
  readonly access: AccessControl;
  readonly logger: Logger;
  readonly info: ServerInfo;
}

export interface ServerInfo {
  /** trunkline's own version (package.json). */
  readonly version: string;
  readonly hostname: string;
  /** Largest accepted request body, bytes. */
  readonly bodyLimit: number;
}

export interface ApiDialect {
  /** Which credentials this dialect accepts (and creates). */
  readonly name: CredentialDialect;
  /** URL prefix the dialect owns, e.g. `/ns-api`; its error and not-found handlers apply below it. */
  readonly prefix: string;

  /** Wire body → canonical. Throws TrunklineError (VALIDATION naming the *wire* field) on bad input. */
  parseConnectionBody(body: unknown, mode: 'create' | 'update'): ParsedConnectionBody;
  /** Canonical connection + live figures → the dialect's wire object. */
  serializeConnection(connection: ConnectionWithLive['connection'], live: ConnectionLive): unknown;
  /** A TrunklineError in the dialect's error shape and status. */
  formatError(err: TrunklineError): WireError;
  /** Register routes on `app`, which is already scoped to `prefix` with the shared handlers installed. */
  register(app: FastifyInstance, ctx: ApiContext): Promise<void> | void;
}
