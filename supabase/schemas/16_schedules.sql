-- Schedules: what runs by the clock. In production pg_cron runs them (enable pg_cron from the
-- Supabase dashboard before the migrations, or run the block at the end of this file again
-- after enabling it); the local stack's timer runs the same commands every minute. Every job
-- is idempotent, so running it more often than scheduled does nothing new.
-- SPEC §8 (clearing), §11 (shareholder dividend), docs/engine.md (batched settlement sweep).

-- ============================================================ functions

-- The schedules this database expects, one row each: the pg_cron job name, its cron
-- expression (UTC, pg_cron's default), the command and what it is for. The one list both
-- pg_cron and the local timer follow.
create or replace function rebate.expected_schedules()
  returns table (job_name text, schedule text, command text, purpose text)
  language sql
  immutable
  set search_path to ''
  as $function$
  values
    ('rebate-settle-pending', '* * * * *', 'select public.settle_pending()',
     '批量结算兜底：结算收件箱中未结算的订单'),
    ('rebate-clear-queues', '* * * * *', 'select public.clear_queues(now())',
     '清零：到点清除排队中的排队名额'),
    ('rebate-run-dividend', '5 16 * * *', 'select public.run_dividend(now())',
     '股东分红：每日 00:05（北京时间）结算上一周期'),
    ('rebate-union-payout', '* * * * *', 'select public.run_union_payout(now())',
     '工会分红：每日到点（默认 00:10 北京时间）发放上一日分红池')
$function$;
comment on function rebate.expected_schedules() is 'The scheduled jobs this database expects (name, cron expression in UTC, command, purpose): the one list pg_cron and the local timer follow.';
revoke all on function rebate.expected_schedules() from public, anon, authenticated, service_role;

-- Each expected schedule and whether pg_cron has it (scheduled = false when pg_cron is absent
-- or the job is missing or differs), so a missing schedule is visible rather than silent.
-- Administrators and the service role may read it.
create or replace function public.schedule_status()
  returns table (job_name text, schedule text, command text, purpose text, cron_available boolean, scheduled boolean)
  language plpgsql
  stable
  security definer
  set search_path to ''
  as $function$
declare
  v_cron boolean := exists (select 1 from pg_catalog.pg_extension x where x.extname = 'pg_cron');
  v_jobs jsonb := '[]';
begin
  if coalesce((select auth.role()), '') <> 'service_role' then
    perform rebate.require_role('operations', 'finance');
  end if;
  if v_cron then
    execute 'select coalesce(jsonb_agg(jsonb_build_object(''jobname'', j.jobname, ''schedule'', j.schedule,
                                                         ''command'', j.command, ''active'', j.active)), ''[]'')
               from cron.job j'
       into v_jobs;
  end if;
  return query
    select x.job_name, x.schedule, x.command, x.purpose, v_cron,
           exists (select 1 from jsonb_array_elements(v_jobs) j
                    where j ->> 'jobname' = x.job_name and j ->> 'schedule' = x.schedule
                      and j ->> 'command' = x.command and (j ->> 'active')::boolean)
      from rebate.expected_schedules() x;
end;
$function$;
comment on function public.schedule_status() is 'Each expected schedule and whether pg_cron runs it (administrators and the service role).';
revoke all on function public.schedule_status() from public, anon, authenticated, service_role;
grant execute on function public.schedule_status() to authenticated, service_role;

-- ============================================================ schedules
-- Not a schema object (pg-delta cannot diff it): a change of the list above needs this block
-- in the migration by hand (docs/database.md).
do $schedules$
declare
  j record;
begin
  if exists (select 1 from pg_catalog.pg_extension x where x.extname = 'pg_cron') then
    for j in select * from rebate.expected_schedules() loop
      perform cron.schedule(j.job_name, j.schedule, j.command);
    end loop;
  else
    raise notice 'pg_cron is not installed: the scheduled jobs (rebate.expected_schedules()) are not scheduled; public.schedule_status() lists them as missing';
  end if;
end
$schedules$;
