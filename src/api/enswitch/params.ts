/**
 * Enswitch call parameters: `/api/json/<category>/<action>/?a=1;b=2`, GET or POST. Parameters are separated
 * by `;` (Enswitch's own examples) or `&`, in the query string and in an `application/x-www-form-urlencoded`
 * body alike; a JSON object body is accepted too. Body parameters override query parameters of the same name;
 * a repeated parameter keeps its last value. `+` is a space, `%XX` is decoded; a malformed escape is a 400 that
 * names the parameter.
 */
import { TrunklineError } from '../../model/index.js';

export type Params = Record<string, unknown>;

/** The raw form body, kept as text by the dialect's own form parser (see dialect.ts). */
export class FormBody {
  constructor(readonly text: string) {}
}

function decode(text: string, name: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    throw new TrunklineError('MALFORMED_BODY', `Malformed percent-encoding in parameter ${name || '(unnamed)'}`, {
      field: name,
    });
  }
}

/** `a=1;b=2&c` → { a: '1', b: '2', c: '' } (into `out`, later values winning). */
export function parseParamText(text: string, out: Params = Object.create(null) as Params): Params {
  for (const part of text.split(/[;&]/)) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const rawName = eq === -1 ? part : part.slice(0, eq);
    const name = decode(rawName, rawName);
    if (name === '') continue;
    if (name === '__proto__' || name === 'constructor' || name === 'prototype') {
      throw new TrunklineError('VALIDATION', `${name} is not a parameter`, { field: name });
    }
    out[name] = eq === -1 ? '' : decode(part.slice(eq + 1), name);
  }
  return out;
}

/** Query string of a request URL (without `?`), or ''. */
export function queryText(url: string): string {
  const q = url.indexOf('?');
  if (q === -1) return '';
  const hash = url.indexOf('#', q);
  return url.slice(q + 1, hash === -1 ? undefined : hash);
}

/** All parameters of a call: the query string, then the body (form text or a JSON object). */
export function collectParams(url: string, body: unknown): Params {
  const out = parseParamText(queryText(url));
  if (body === undefined || body === null) return { ...out };
  if (body instanceof FormBody) {
    parseParamText(body.text, out);
    return { ...out };
  }
  if (typeof body === 'object' && !Array.isArray(body)) {
    for (const [k, v] of Object.entries(body as Record<string, unknown>)) out[k] = v;
    return { ...out };
  }
  throw new TrunklineError('MALFORMED_BODY', 'Send parameters in the query string, as a form body, or as a JSON object');
}

/** A parameter as text (numbers allowed, as JSON bodies send them); undefined when absent. */
export function textParam(params: Params, name: string): string | undefined {
  const v = params[name];
  if (v === undefined) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  throw new TrunklineError('VALIDATION', `${name} must be a string`, { field: name });
}
