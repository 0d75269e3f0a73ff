// The local stack's stand-in for pg_cron's clock: does a 5-field cron expression (minute hour
// day-of-month month day-of-week, UTC as pg_cron uses by default) match a given minute?
// Supports what rebate.expected_schedules() uses and pg_cron accepts: *, numbers, lists (a,b),
// ranges (a-b) and steps (*/n, a-b/n). Day-of-week 0 and 7 are both Sunday. As in cron, when
// both day fields are restricted a day matching either one matches.

const FIELDS = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day of week', min: 0, max: 7 },
];

/** The set of values one field allows; throws on anything it does not understand. */
function parseField(text, { name, min, max }) {
  const values = new Set();
  for (const part of text.split(',')) {
    const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (!m) throw new Error(`cron ${name}: cannot read "${part}"`);
    const lo = m[1] === '*' ? min : Number(m[2]);
    const hi = m[1] === '*' ? max : m[3] !== undefined ? Number(m[3]) : m[4] ? max : lo;
    const step = m[4] ? Number(m[4]) : 1;
    if (lo < min || hi > max || lo > hi || step < 1) throw new Error(`cron ${name}: "${part}" is out of range`);
    for (let v = lo; v <= hi; v += step) values.add(name === 'day of week' && v === 7 ? 0 : v);
  }
  return values;
}

/** Parses a cron expression once; the result's `matches(date)` answers for that date's UTC minute. */
function parseCron(expression) {
  const parts = String(expression).trim().split(/\s+/);
  if (parts.length !== 5) throw new Error(`cron "${expression}": expected 5 fields`);
  const [minute, hour, dom, month, dow] = parts.map((p, i) => parseField(p, FIELDS[i]));
  const domRestricted = parts[2] !== '*';
  const dowRestricted = parts[4] !== '*';
  return {
    matches(date) {
      if (!minute.has(date.getUTCMinutes()) || !hour.has(date.getUTCHours()) || !month.has(date.getUTCMonth() + 1)) {
        return false;
      }
      const byDom = dom.has(date.getUTCDate());
      const byDow = dow.has(date.getUTCDay());
      if (domRestricted && dowRestricted) return byDom || byDow;
      return byDom && byDow;
    },
  };
}

module.exports = { parseCron };
