/**
 * `start`/`limit` query parameters (NetSapiens names; other dialects map their own onto them), integers given
 * as strings, validated rather than silently clamped.
 */
import { TrunklineError } from '../../model/index.js';
import type { Page } from '../../store/store.js';

export const MAX_PAGE = 10_000;

function intParam(value: unknown, name: string, min: number, max: number): number | undefined {
  if (value === undefined || value === '') return undefined;
  const text = Array.isArray(value) ? value[value.length - 1] : value;
  if (typeof text !== 'string' || !/^\s*\d{1,9}\s*$/.test(text)) {
    throw new TrunklineError('VALIDATION', `${name} must be an integer`, { field: name });
  }
  const n = Number.parseInt(text, 10);
  if (n < min || n > max) throw new TrunklineError('VALIDATION', `${name} must be between ${min} and ${max}`, { field: name });
  return n;
}

export function parsePage(query: Record<string, unknown>, names = { start: 'start', limit: 'limit' }): Page {
  const page: Page = {};
  const start = intParam(query[names.start], names.start, 0, 1_000_000_000);
  const limit = intParam(query[names.limit], names.limit, 1, MAX_PAGE);
  if (start !== undefined) page.start = start;
  if (limit !== undefined) page.limit = limit;
  return page;
}

/** A single string query parameter (the last one when repeated); '' counts as absent. */
export function stringParam(query: Record<string, unknown>, name: string): string | undefined {
  const v = query[name];
  const text = Array.isArray(v) ? v[v.length - 1] : v;
  return typeof text === 'string' && text !== '' ? text : undefined;
}
