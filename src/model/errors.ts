/**
 * The one error catalog of trunkline.
 *
 * Every failure that crosses a boundary (HTTP dialect, SIP edge, CLI) is one of these kinds. Each kind
 * carries the HTTP status it maps to and the SIP status the edge answers with, so the three API dialects
 * and the SIP edge never invent their own mapping. Dialects only change the *shape* of the body
 * (NetSapiens `{code,message}`, Wavix `{success:false,message}`, Enswitch `responses[]` envelope).
 * `docs/errors.md` lists the same table; `test/model/errors.test.ts` keeps the two in step.
 */
export const ERROR_KINDS = {
  VALIDATION: { http: 400, sip: 400, message: 'Invalid input' },
  MALFORMED_BODY: { http: 400, sip: 400, message: 'Malformed request body' },
  UNAUTHENTICATED: { http: 401, sip: 401, message: 'Authentication required' },
  FORBIDDEN: { http: 403, sip: 403, message: 'Forbidden' },
  READ_ONLY_KEY: { http: 403, sip: 403, message: 'This API key is read-only' },
  NOT_FOUND: { http: 404, sip: 404, message: 'Record not found' },
  METHOD_NOT_ALLOWED: { http: 405, sip: 405, message: 'Method not allowed' },
  CONFLICT: { http: 409, sip: 409, message: 'Record already exists' },
  PAYLOAD_TOO_LARGE: { http: 413, sip: 513, message: 'Request body too large' },
  UNSUPPORTED_MEDIA_TYPE: { http: 415, sip: 415, message: 'Unsupported content type' },
  UNPROCESSABLE: { http: 422, sip: 400, message: 'Request could not be processed' },
  RATE_LIMITED: { http: 429, sip: 503, message: 'Too many requests' },
  LIMIT_REACHED: { http: 503, sip: 503, message: 'Limit reached' },
  UNAVAILABLE: { http: 503, sip: 503, message: 'Service unavailable' },
  INTERNAL: { http: 500, sip: 500, message: 'Internal error' },
} as const satisfies Record<string, { http: number; sip: number; message: string }>;

export type ErrorKind = keyof typeof ERROR_KINDS;

/** A failure every layer understands. `field` names the canonical field at fault, if any. */
export class TrunklineError extends Error {
  readonly kind: ErrorKind;
  readonly field: string | undefined;

  constructor(kind: ErrorKind, message?: string, options?: { field?: string; cause?: unknown }) {
    super(message ?? ERROR_KINDS[kind].message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TrunklineError';
    this.kind = kind;
    this.field = options?.field;
  }

  get httpStatus(): number {
    return ERROR_KINDS[this.kind].http;
  }

  get sipStatus(): number {
    return ERROR_KINDS[this.kind].sip;
  }
}

/** A value that breaks a model rule; `field` is the canonical field name (dialects rename it). */
export class ValidationError extends TrunklineError {
  readonly reason: string;
  constructor(field: string, reason: string) {
    super('VALIDATION', `${field}: ${reason}`, { field });
    this.name = 'ValidationError';
    this.reason = reason;
  }
}

export function isTrunklineError(err: unknown): err is TrunklineError {
  return err instanceof TrunklineError;
}
