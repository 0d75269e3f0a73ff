// The local timer's cron matcher (supabase/local/cron.cjs) must agree with pg_cron on the
// expressions rebate.expected_schedules() uses, or a job would run at the wrong time locally.
import { parseCron } from '../../supabase/local/cron.cjs';

const at = (iso: string) => new Date(iso);

test('every minute, a daily time and steps match the minutes cron would run them', () => {
  expect(parseCron('* * * * *').matches(at('2026-12-03T09:17:00Z'))).toBe(true);
  const daily = parseCron('5 16 * * *');   // 00:05 Beijing time
  expect(daily.matches(at('2026-12-03T16:05:00Z'))).toBe(true);
  expect(daily.matches(at('2026-12-03T16:06:00Z'))).toBe(false);
  expect(daily.matches(at('2026-12-03T15:05:00Z'))).toBe(false);
  const every5 = parseCron('*/5 * * * *');
  expect([0, 5, 55].every((m) => every5.matches(new Date(Date.UTC(2026, 0, 1, 3, m))))).toBe(true);
  expect(every5.matches(new Date(Date.UTC(2026, 0, 1, 3, 7)))).toBe(false);
  const ranged = parseCron('10-20/5,40 2 * * *');
  expect([10, 15, 20, 40].map((m) => ranged.matches(new Date(Date.UTC(2026, 0, 1, 2, m))))).toEqual([true, true, true, true]);
  expect(ranged.matches(new Date(Date.UTC(2026, 0, 1, 2, 25)))).toBe(false);
});

test('day fields: Sunday is 0 or 7, and two restricted day fields match either (as cron does)', () => {
  const sunday = at('2026-12-06T00:00:00Z');
  expect(parseCron('0 0 * * 0').matches(sunday)).toBe(true);
  expect(parseCron('0 0 * * 7').matches(sunday)).toBe(true);
  expect(parseCron('0 0 * * 1-5').matches(sunday)).toBe(false);
  expect(parseCron('0 0 1 * 0').matches(sunday)).toBe(true);          // Sunday, not the 1st
  expect(parseCron('0 0 1 * 1').matches(at('2026-12-01T00:00:00Z'))).toBe(true);   // the 1st, a Tuesday
  expect(parseCron('0 0 1 * *').matches(sunday)).toBe(false);
});

test('what cron would refuse is refused, not silently never run', () => {
  for (const bad of ['* * * *', '60 * * * *', '* 24 * * *', '* * 0 * *', '*/0 * * * *', 'a * * * *', '5-1 * * * *']) {
    expect(() => parseCron(bad)).toThrow();
  }
});
