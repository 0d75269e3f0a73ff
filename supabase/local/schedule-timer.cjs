// The local stack's pg_cron: reads rebate.expected_schedules() (supabase/schemas/16_schedules.sql)
// and, at the start of every UTC minute, runs each job whose cron expression matches that minute —
// an SQL job as its command, an edge-function job by POSTing to /functions/v1/<name> through the
// API gateway as the service role, as pg_net does in production. Every job is idempotent; a
// failure is logged and the next matching minute tries again.
const pg = require('pg');
const { parseCron } = require('./cron.cjs');

const EDGE_JOB_TIMEOUT_MS = 55_000;

async function loadJobs(dbUrl) {
  const c = new pg.Client({ connectionString: dbUrl });
  await c.connect();
  try {
    const { rows } = await c.query('select job_name, schedule, command, edge_function from rebate.expected_schedules()');
    return rows.map((r) => ({ ...r, cron: parseCron(r.schedule) }));
  } finally {
    await c.end().catch(() => {});
  }
}

async function runEdgeJob(job, { apiUrl, serviceRoleKey }) {
  const res = await fetch(`${apiUrl}/functions/v1/${job.edge_function}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${serviceRoleKey}`, apikey: serviceRoleKey },
    body: JSON.stringify({ scheduled: true }),
    signal: AbortSignal.timeout(EDGE_JOB_TIMEOUT_MS),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`HTTP ${res.status} ${text.slice(0, 300)}`);
}

/**
 * Starts the timer. Returns { jobs, runDue(date), stop() }; runDue runs the jobs due at `date`'s
 * minute (tests call it directly) and resolves with the names it ran.
 */
async function startScheduleTimer({ dbUrl, apiUrl, serviceRoleKey, log = () => {}, clock = true }) {
  const jobs = await loadJobs(dbUrl);
  let running = Promise.resolve();

  async function runDue(date) {
    const due = jobs.filter((j) => j.cron.matches(date));
    const sqlJobs = due.filter((j) => !j.edge_function);
    if (sqlJobs.length) {
      const c = new pg.Client({ connectionString: dbUrl });
      try {
        await c.connect();
        for (const job of sqlJobs) {
          await c.query(job.command).catch((e) => log(`scheduled job ${job.job_name} failed: ${e.message}`));
        }
      } catch (e) {
        log(`scheduled jobs could not run: ${e.message}`);
      } finally {
        await c.end().catch(() => {});
      }
    }
    for (const job of due.filter((j) => j.edge_function)) {
      await runEdgeJob(job, { apiUrl, serviceRoleKey })
        .catch((e) => log(`scheduled job ${job.job_name} failed: ${e.message}`));
    }
    return due.map((j) => j.job_name);
  }

  let timer = null;
  const schedule = () => {
    const now = Date.now();
    timer = setTimeout(() => {
      // One minute's jobs at a time: a slow minute delays the next instead of overlapping it.
      running = running.then(() => runDue(new Date())).catch(() => {});
      schedule();
    }, 60_000 - (now % 60_000) + 50);
    timer.unref?.();
  };
  if (clock) schedule();
  return {
    jobs,
    runDue,
    async stop() {
      if (timer) clearTimeout(timer);
      timer = null;
      await running;
    },
  };
}

module.exports = { startScheduleTimer };
