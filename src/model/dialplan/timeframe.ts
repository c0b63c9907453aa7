/**
 * Day-of-week, date-range and time-of-day conditions of a dial rule, evaluated in the connection's local
 * time.
 *
 * Local time comes from `Intl.DateTimeFormat` with the IANA zone, so DST is the platform's tz database's
 * business, not ours. A connection may instead carry only `utcOffset` (NetSapiens `utc-offset`, e.g. "-7",
 * "+5:30", "5.75"); an empty `timeZone` falls back to that fixed offset, and to UTC when both are empty.
 *
 * Semantics (each condition is independent; a rule matches when all of them hold at the same instant):
 * - day of week: `*`, one digit `0`-`6` (0 = Sunday, as the vendor says), or a class `[1-5]`, `[06]`, `[1-35]`.
 * - dates: `start <= today <= end`, both inclusive, either side `*` = open.
 * - times: minute resolution; `start <= now <= end` with the end minute inclusive (so `23:59` runs to
 *   midnight). `start > end` is an overnight window (`22:00`-`06:00`). One side `*` = open on that side.
 *   Day of week and date are those of the current instant: at 02:00 on Saturday an overnight rule limited
 *   to `[1-5]` does not match even though its window opened on Friday.
 * - DST: a wall-clock time skipped by spring-forward never occurs, so a window that lies wholly inside the
 *   gap does not match that day; a repeated hour at fall-back matches both times.
 */
import { ValidationError } from '../errors.js';

export interface LocalMoment {
  /** `YYYY-MM-DD` in the zone. */
  readonly date: string;
  /** 0 = Sunday ... 6 = Saturday. */
  readonly weekday: number;
  /** Minutes since local midnight, 0-1439. */
  readonly minuteOfDay: number;
}

export interface ZoneSpec {
  /** IANA name (`America/Los_Angeles`, `US/Pacific`); empty = use `utcOffset`. */
  timeZone: string;
  /** Fixed offset used when `timeZone` is empty, e.g. `-7`, `+5:30`, `5.5`; empty = UTC. */
  utcOffset?: string | undefined;
}

const WEEKDAYS: Readonly<Record<string, number>> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        weekday: 'short',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
      });
    } catch {
      throw new ValidationError('timeZone', `"${timeZone}" is not a known IANA time zone`);
    }
    if (formatters.size > 512) formatters.clear(); // bounded: zone names come from configuration
    formatters.set(timeZone, f);
  }
  return f;
}

const UTC_OFFSET = /^([+-]?)(\d{1,2})(?:([.:])(\d{1,2}))?$/;

/**
 * Minutes east of UTC for a NetSapiens `utc-offset`. `:` introduces minutes (`+5:30`, `+5:45`); `.`
 * introduces a decimal fraction of an hour (`5.5`, `5.75`), except `.30`/`.45`, which operators mean as
 * minutes (0.30 h = 18 min is no real offset). Throws ValidationError('utcOffset') otherwise.
 */
export function parseUtcOffset(offset: string): number {
  const m = UTC_OFFSET.exec(offset.trim());
  const hours = m ? Number(m[2]) : NaN;
  if (!m || hours > 14) throw new ValidationError('utcOffset', 'must be an hour offset such as "-7" or "+5:30"');
  let minutes = 0;
  const frac = m[4];
  if (frac !== undefined) {
    if (m[3] === ':' || frac === '30' || frac === '45') minutes = Number(frac);
    else if (frac === '5') minutes = 30;
    else if (frac === '75') minutes = 45;
    else if (frac === '0' || frac === '00') minutes = 0;
    else if (frac === '25') minutes = 15;
    else throw new ValidationError('utcOffset', `fraction ".${frac}" is not a real offset`);
    if (minutes >= 60) throw new ValidationError('utcOffset', 'minutes must be below 60');
  }
  const total = hours * 60 + minutes;
  return m[1] === '-' ? -total : total;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** The wall-clock view of `now` in a zone. Throws ValidationError for an unknown zone or bad offset. */
export function localMoment(now: Date, zone: ZoneSpec): LocalMoment {
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) throw new ValidationError('now', 'must be a valid Date');
  if (zone.timeZone === '') {
    const offset = zone.utcOffset ? parseUtcOffset(zone.utcOffset) : 0;
    const shifted = new Date(now.getTime() + offset * 60_000);
    return {
      date: `${pad(shifted.getUTCFullYear(), 4)}-${pad(shifted.getUTCMonth() + 1)}-${pad(shifted.getUTCDate())}`,
      weekday: shifted.getUTCDay(),
      minuteOfDay: shifted.getUTCHours() * 60 + shifted.getUTCMinutes(),
    };
  }
  const parts: Record<string, string> = {};
  for (const p of formatterFor(zone.timeZone).formatToParts(now)) parts[p.type] = p.value;
  const hour = Number(parts.hour) % 24; // some ICU builds still print 24 at midnight
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    weekday: WEEKDAYS[parts.weekday ?? ''] ?? 0,
    minuteOfDay: hour * 60 + Number(parts.minute),
  };
}

/** Days a `dial-rule-matching-day-of-week` value admits; null = every day. */
export function parseDayOfWeek(value: string, field = 'matchDayOfWeek'): ReadonlySet<number> | null {
  const bad = (why: string): never => {
    throw new ValidationError(field, `${why}; use *, a day 0-6 (0 = Sunday) or a class such as [1-5]`);
  };
  const v = value.trim();
  if (v === '*' || v === '') return null;
  if (/^[0-6]$/.test(v)) return new Set([Number(v)]);
  const m = /^\[([^\]]+)\]$/.exec(v);
  if (!m) return bad(`"${value}" is not a day-of-week match`);
  const body = m[1] as string;
  const days = new Set<number>();
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (!/[0-6]/.test(c)) bad(`"${c}" is not a day 0-6`);
    if (body[i + 1] === '-') {
      const end = body[i + 2];
      if (end === undefined || !/[0-6]/.test(end)) bad('a range needs an end day 0-6');
      if (Number(end) < Number(c)) bad(`range ${c}-${end} runs backwards; list the days instead, e.g. [0156]`);
      for (let d = Number(c); d <= Number(end); d++) days.add(d);
      i += 2;
    } else {
      days.add(Number(c));
    }
  }
  return days;
}

/** A `YYYY-MM-DD` date that exists in the calendar, or null for `*`. */
export function parseRuleDate(value: string, field: string): string | null {
  const v = value.trim();
  if (v === '*' || v === '') return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  if (!m) throw new ValidationError(field, `"${value}" is not a date; use YYYY-MM-DD or *`);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const probe = new Date(Date.UTC(y, mo - 1, d));
  if (probe.getUTCFullYear() !== y || probe.getUTCMonth() !== mo - 1 || probe.getUTCDate() !== d) {
    throw new ValidationError(field, `"${value}" is not a calendar date`);
  }
  return v;
}

/** Minutes since midnight for `HH:MM` (00:00-23:59), or null for `*`. */
export function parseRuleTime(value: string, field: string): number | null {
  const v = value.trim();
  if (v === '*' || v === '') return null;
  const m = /^(\d{2}):(\d{2})$/.exec(v);
  if (!m || Number(m[1]) > 23 || Number(m[2]) > 59) {
    throw new ValidationError(field, `"${value}" is not a time; use HH:MM from 00:00 to 23:59, or *`);
  }
  return Number(m[1]) * 60 + Number(m[2]);
}

/** The compiled time conditions of one rule. */
export interface TimeFrame {
  readonly days: ReadonlySet<number> | null;
  readonly startDate: string | null;
  readonly endDate: string | null;
  readonly startMinute: number | null;
  readonly endMinute: number | null;
}

export function compileTimeFrame(rule: {
  matchDayOfWeek: string;
  matchStartDate: string;
  matchEndDate: string;
  matchStartTime: string;
  matchEndTime: string;
}): TimeFrame {
  const frame: TimeFrame = {
    days: parseDayOfWeek(rule.matchDayOfWeek, 'matchDayOfWeek'),
    startDate: parseRuleDate(rule.matchStartDate, 'matchStartDate'),
    endDate: parseRuleDate(rule.matchEndDate, 'matchEndDate'),
    startMinute: parseRuleTime(rule.matchStartTime, 'matchStartTime'),
    endMinute: parseRuleTime(rule.matchEndTime, 'matchEndTime'),
  };
  if (frame.startDate !== null && frame.endDate !== null && frame.startDate > frame.endDate) {
    throw new ValidationError('matchEndDate', `must not be before matchStartDate (${frame.startDate})`);
  }
  return frame;
}

/** How many of the three conditions (day, dates, times) are set: a tie-breaker, more constrained first. */
export function timeFrameConstraints(frame: TimeFrame): number {
  return (
    Number(frame.days !== null) +
    Number(frame.startDate !== null || frame.endDate !== null) +
    Number(frame.startMinute !== null || frame.endMinute !== null)
  );
}

export function timeFrameMatches(frame: TimeFrame, at: LocalMoment): boolean {
  if (frame.days !== null && !frame.days.has(at.weekday)) return false;
  if (frame.startDate !== null && at.date < frame.startDate) return false;
  if (frame.endDate !== null && at.date > frame.endDate) return false;
  const start = frame.startMinute ?? 0;
  const end = frame.endMinute ?? 1439;
  if (start <= end) return at.minuteOfDay >= start && at.minuteOfDay <= end;
  return at.minuteOfDay >= start || at.minuteOfDay <= end; // overnight window
}
