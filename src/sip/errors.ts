/**
 * Error classes of the SIP library.
 *
 * Every failure the library reports is one of these classes and carries a machine-readable
 * `code`. The parser in particular promises never to throw anything but {@link SipParseError}:
 * a SIP edge faces the open Internet and must be able to tell "this peer sent garbage"
 * (answer 400 or drop, RFC 3261 §16.3 / §18.3) from "we have a bug".
 */
import type { Headers } from './message/headers.js';

/** Base class of every error raised by `src/sip`. */
export class SipError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * Why a message could not be parsed. The codes are stable and safe to switch on; the
 * human text lives in {@link SipParseError.reason}.
 */
export type SipParseErrorCode =
  | 'EMPTY_MESSAGE'
  | 'MESSAGE_TOO_LARGE'
  | 'TOO_MANY_HEADERS'
  | 'MALFORMED_START_LINE'
  | 'MALFORMED_REQUEST_LINE'
  | 'INVALID_METHOD'
  | 'INVALID_REQUEST_URI'
  | 'INVALID_VERSION'
  | 'MALFORMED_STATUS_LINE'
  | 'INVALID_STATUS_CODE'
  | 'MALFORMED_HEADER'
  | 'INVALID_CONTENT_LENGTH'
  | 'MULTIPLE_CONTENT_LENGTH'
  | 'MISSING_CONTENT_LENGTH'
  | 'CONTENT_LENGTH_MISMATCH'
  | 'INVALID_URI'
  | 'INVALID_NAME_ADDR'
  | 'INVALID_VIA'
  | 'INVALID_CSEQ'
  | 'INVALID_HEADER_VALUE'
  | 'MISSING_HEADER'
  | 'MULTIPLE_HEADER_VALUES'
  | 'INTERNAL';

/**
 * What could be recovered from a message that failed to parse. The rejection logic
 * (`message/rejection.ts`) uses it to decide whether a 400 can still be sent back
 * (RFC 3261 §8.2.6 needs Via, From, To, Call-ID and CSeq to build a response).
 */
export interface PartialMessage {
  kind: 'request' | 'response' | 'unknown';
  /** Request method when the first token of the start line was readable. */
  method?: string;
  /** Every header line that was syntactically usable. */
  headers: Headers;
}

export class SipParseError extends SipError {
  /** Stable machine-readable code. */
  readonly code: SipParseErrorCode;
  /** Short human text, suitable as (part of) a SIP reason phrase, e.g. "Invalid CSeq". */
  readonly reason: string;
  /** Header the problem was found in, lower-case long form, when there is one. */
  readonly header: string | undefined;
  /** What was recovered of the message, when the start line / headers were readable. */
  partial: PartialMessage | undefined;

  constructor(
    code: SipParseErrorCode,
    reason: string,
    options?: { header?: string; partial?: PartialMessage; cause?: unknown; detail?: string },
  ) {
    super(options?.detail ? `${reason}: ${options.detail}` : reason, { cause: options?.cause });
    this.code = code;
    this.reason = reason;
    this.header = options?.header;
    this.partial = options?.partial;
  }
}

export type SipTransportErrorCode =
  | 'BIND_FAILED'
  | 'CONNECT_FAILED'
  | 'SEND_FAILED'
  | 'CLOSED'
  | 'NO_TRANSPORT'
  | 'MESSAGE_TOO_LARGE'
  | 'TLS_CONFIG';

/** A transport could not do what was asked (RFC 3261 §18.4 "transport error"). */
export class SipTransportError extends SipError {
  readonly code: SipTransportErrorCode;
  constructor(code: SipTransportErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export type SipTransactionErrorCode = 'INVALID_STATE' | 'NOT_A_REQUEST' | 'MISSING_BRANCH' | 'CLOSED';

/** Misuse of the transaction layer (e.g. responding twice with a final response). */
export class SipTransactionError extends SipError {
  readonly code: SipTransactionErrorCode;
  constructor(code: SipTransactionErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** Turn anything thrown into a SipParseError (used at the parser boundary). */
export function asParseError(err: unknown): SipParseError {
  if (err instanceof SipParseError) return err;
  return new SipParseError('INTERNAL', 'Unparseable message', { cause: err });
}
