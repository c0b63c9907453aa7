import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ValidationError } from '../../../src/model/errors.js';
import {
  compileTimeFrame,
  localMoment,
  parseDayOfWeek,
  parseRuleDate,
  parseRuleTime,
  parseUtcOffset,
  timeFrameMatches,
} from '../../../src/model/dialplan/index.js';

const frame = (f: Partial<{ dow: string; sd: string; ed: string; st: string; et: string }>) =>
  compileTimeFrame({
    matchDayOfWeek: f.dow ?? '*',
    matchStartDate: f.sd ?? '*',
    matchEndDate: f.ed ?? '*',
    matchStartTime: f.st ?? '*',
    matchEndTime: f.et ?? '*',
  });
const at = (iso: string, timeZone: string, utcOffset?: string) => localMoment(new Date(iso), { timeZone, utcOffset });

describe('local time in a zone', () => {
  it('day of week and date come from the zone, not UTC', () => {
    // 2024-03-12 02:30 UTC is Monday 2024-03-11 19:30 in Los Angeles (PDT, UTC-7).
    const la = at('2024-03-12T02:30:00Z', 'America/Los_Angeles');
    assert.deepEqual(la, { date: '2024-03-11', weekday: 1, minuteOfDay: 19 * 60 + 30 });
    const utc = at('2024-03-12T02:30:00Z', 'UTC');
    assert.deepEqual(utc, { date: '2024-03-12', weekday: 2, minuteOfDay: 150 });
    // And east of UTC: Friday 23:30 UTC is already Saturday in Tokyo.
    assert.equal(at('2024-03-15T23:30:00Z', 'Asia/Tokyo').weekday, 6);
  });

  it('midnight is minute 0 of the new day (no hour 24)', () => {
    const m = at('2024-03-12T04:00:00Z', 'America/New_York'); // 00:00 EDT
    assert.deepEqual(m, { date: '2024-03-12', weekday: 2, minuteOfDay: 0 });
    assert.equal(at('2024-03-12T03:59:00Z', 'America/New_York').minuteOfDay, 23 * 60 + 59);
  });

  it('US/Pacific across the spring-forward day: 01:59 PST is followed by 03:00 PDT', () => {
    assert.equal(at('2024-03-10T09:59:00Z', 'US/Pacific').minuteOfDay, 1 * 60 + 59);
    assert.equal(at('2024-03-10T10:00:00Z', 'US/Pacific').minuteOfDay, 3 * 60);
    assert.equal(at('2024-03-10T10:00:00Z', 'US/Pacific').date, '2024-03-10');
  });

  it('an empty zone uses utcOffset, and UTC without it', () => {
    assert.deepEqual(at('2024-03-12T02:30:00Z', '', '-7'), { date: '2024-03-11', weekday: 1, minuteOfDay: 19 * 60 + 30 });
    assert.equal(at('2024-03-12T02:30:00Z', '', '+5:30').minuteOfDay, 8 * 60);
    assert.equal(at('2024-03-12T02:30:00Z', '', '5.75').minuteOfDay, 8 * 60 + 15);
    assert.deepEqual(at('2024-03-12T02:30:00Z', ''), { date: '2024-03-12', weekday: 2, minuteOfDay: 150 });
  });

  it('an unknown zone or an invalid date is a ValidationError naming the field', () => {
    assert.throws(() => at('2024-03-12T02:30:00Z', 'Mars/Olympus'), (e: unknown) => e instanceof ValidationError && e.field === 'timeZone');
    assert.throws(() => localMoment(new Date('nope'), { timeZone: 'UTC' }), (e: unknown) => e instanceof ValidationError && e.field === 'now');
  });

  it('agrees with the platform for any instant and a set of zones (property)', () => {
    const zones = ['UTC', 'America/Los_Angeles', 'Europe/London', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'Pacific/Kiritimati'];
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_102_444_800_000 }), fc.constantFrom(...zones), (ms, tz) => {
        const d = new Date(ms);
        const m = localMoment(d, { timeZone: tz });
        const text = d.toLocaleString('sv-SE', { timeZone: tz, hourCycle: 'h23' }); // "YYYY-MM-DD HH:MM:SS"
        assert.equal(m.date, text.slice(0, 10));
        assert.equal(m.minuteOfDay, Number(text.slice(11, 13)) * 60 + Number(text.slice(14, 16)));
        assert.ok(m.weekday >= 0 && m.weekday <= 6);
      }),
      { numRuns: 300 },
    );
  });
});

describe('utc offsets', () => {
  it('parses hours, :minutes and decimal fractions', () => {
    assert.equal(parseUtcOffset('-7'), -420);
    assert.equal(parseUtcOffset('+0'), 0);
    assert.equal(parseUtcOffset('5:30'), 330);
    assert.equal(parseUtcOffset('5.5'), 330);
    assert.equal(parseUtcOffset('-9.30'), -570);
    assert.equal(parseUtcOffset('14'), 840);
  });
  it('refuses what is not an offset', () => {
    for (const bad of ['15', 'abc', '5.1', '5:75', '']) {
      assert.throws(() => parseUtcOffset(bad), (e: unknown) => e instanceof ValidationError && e.field === 'utcOffset');
    }
  });
});

describe('day-of-week values', () => {
  it('*, single days and bracket classes', () => {
    assert.equal(parseDayOfWeek('*'), null);
    assert.deepEqual([...(parseDayOfWeek('1') ?? [])], [1]);
    assert.deepEqual([...(parseDayOfWeek('[1-5]') ?? [])], [1, 2, 3, 4, 5]);
    assert.deepEqual([...(parseDayOfWeek('[06]') ?? [])].sort(), [0, 6]);
    assert.deepEqual([...(parseDayOfWeek('[0-6]') ?? [])].length, 7);
    assert.deepEqual([...(parseDayOfWeek('[1-35]') ?? [])], [1, 2, 3, 5]);
  });
  it('refuses 7, words, backwards ranges and open brackets', () => {
    for (const bad of ['7', 'Mon', '[5-1]', '[1-5', '1-5', '[8]', '[]']) {
      assert.throws(() => parseDayOfWeek(bad, 'matchDayOfWeek'), (e: unknown) => e instanceof ValidationError && e.field === 'matchDayOfWeek');
    }
  });
});

describe('dates and times', () => {
  it('dates must exist in the calendar', () => {
    assert.equal(parseRuleDate('2024-02-29', 'matchStartDate'), '2024-02-29');
    assert.equal(parseRuleDate('*', 'matchStartDate'), null);
    for (const bad of ['2023-02-29', '2024-13-01', '24-01-01', '2024/01/01']) {
      assert.throws(() => parseRuleDate(bad, 'matchEndDate'), (e: unknown) => e instanceof ValidationError && e.field === 'matchEndDate');
    }
  });
  it('times are HH:MM from 00:00 to 23:59', () => {
    assert.equal(parseRuleTime('00:00', 'matchStartTime'), 0);
    assert.equal(parseRuleTime('23:59', 'matchStartTime'), 1439);
    for (const bad of ['24:00', '9:00', '12:60', '12:00:00', 'noon']) {
      assert.throws(() => parseRuleTime(bad, 'matchEndTime'), (e: unknown) => e instanceof ValidationError && e.field === 'matchEndTime');
    }
  });
  it('an end date before the start date is refused on the end date', () => {
    assert.throws(() => frame({ sd: '2024-05-02', ed: '2024-05-01' }), (e: unknown) => e instanceof ValidationError && e.field === 'matchEndDate');
  });
});

describe('time frame matching', () => {
  const local = (date: string, weekday: number, hh: number, mm: number) => ({ date, weekday, minuteOfDay: hh * 60 + mm });

  it('business hours: start inclusive, end minute inclusive', () => {
    const f = frame({ dow: '[1-5]', st: '09:00', et: '17:00' });
    assert.equal(timeFrameMatches(f, local('2024-03-11', 1, 8, 59)), false);
    assert.equal(timeFrameMatches(f, local('2024-03-11', 1, 9, 0)), true);
    assert.equal(timeFrameMatches(f, local('2024-03-11', 1, 17, 0)), true);
    assert.equal(timeFrameMatches(f, local('2024-03-11', 1, 17, 1)), false);
    assert.equal(timeFrameMatches(f, local('2024-03-16', 6, 12, 0)), false, 'Saturday');
  });

  it('end 23:59 runs to midnight; start only and end only are open on the other side', () => {
    assert.equal(timeFrameMatches(frame({ st: '22:00', et: '23:59' }), local('2024-01-01', 1, 23, 59)), true);
    assert.equal(timeFrameMatches(frame({ st: '22:00' }), local('2024-01-01', 1, 23, 59)), true);
    assert.equal(timeFrameMatches(frame({ st: '22:00' }), local('2024-01-01', 1, 0, 0)), false);
    assert.equal(timeFrameMatches(frame({ et: '06:00' }), local('2024-01-01', 1, 0, 0)), true);
    assert.equal(timeFrameMatches(frame({ et: '06:00' }), local('2024-01-01', 1, 6, 1)), false);
  });

  it('start after end is an overnight window across midnight', () => {
    const f = frame({ st: '22:00', et: '06:00' });
    assert.equal(timeFrameMatches(f, local('2024-01-01', 1, 23, 0)), true);
    assert.equal(timeFrameMatches(f, local('2024-01-01', 1, 0, 0)), true);
    assert.equal(timeFrameMatches(f, local('2024-01-01', 1, 6, 0)), true);
    assert.equal(timeFrameMatches(f, local('2024-01-01', 1, 12, 0)), false);
    // Day of week is that of the current instant: Saturday 02:00 is outside a weekday overnight rule.
    assert.equal(timeFrameMatches(frame({ dow: '[1-5]', st: '22:00', et: '06:00' }), local('2024-03-16', 6, 2, 0)), false);
  });

  it('date ranges are inclusive at both ends and may be open', () => {
    const f = frame({ sd: '2023-09-15', ed: '2023-09-16' });
    assert.equal(timeFrameMatches(f, local('2023-09-14', 4, 23, 59)), false);
    assert.equal(timeFrameMatches(f, local('2023-09-15', 5, 0, 0)), true);
    assert.equal(timeFrameMatches(f, local('2023-09-16', 6, 23, 59)), true);
    assert.equal(timeFrameMatches(f, local('2023-09-17', 0, 0, 0)), false);
    assert.equal(timeFrameMatches(frame({ sd: '2023-09-15' }), local('2099-01-01', 4, 0, 0)), true);
    assert.equal(timeFrameMatches(frame({ ed: '2023-09-15' }), local('1999-01-01', 5, 0, 0)), true);
  });
});
