-- Schedules: what runs by the clock. In production pg_cron runs them (enable pg_cron from the
-- Supabase dashboard before the migrations, or run the block at the end of this file again
-- after enabling it); the local stack's timer runs the same commands every minute. Every job
-- is idempotent, so running it more often than scheduled does nothing new.
-- SPEC §8 (clearing), §11 (shareholder dividend), docs/engine.md (batched settlement sweep).

-- ============================================================ functions

-- The schedules this database expects, one row each: the pg_cron job name, its cron
-- expression (UTC, pg_cron's default), the command and what it is for. The one list both
-- pg_cron and the local timer follow. A job that must talk to WeChat is an edge function:
-- its command is `select rebate.invoke_edge_function('<name>')` and edge_function names it, so
-- the local timer (which has no pg_net) can call the same function over HTTP.
create or replace function rebate.expected_schedules()
  returns table (job_name text, schedule text, command text, purpose text, edge_function text)
  language sql
  immutable
  set search_path to ''
  as $function$
  values
    ('rebate-settle-pending', '* * * * *', 'select public.settle_pending()',
     '批量结算兜底：结算收件箱中未结算的订单', null::text),
    ('rebate-clear-queues', '* * * * *', 'select public.clear_queues(now())',
     '清零：到点清除排队中的排队名额', null),
    ('rebate-run-dividend', '5 16 * * *', 'select public.run_dividend(now())',
     '股东分红：每日 00:05（北京时间）结算上一周期', null),
    ('rebate-payout-transfers', '* * * * *', 'select rebate.invoke_edge_function(''payout-transfers'')',
     '提现打款：发送、查询、撤销商家转账', 'payout-transfers'),
    ('rebate-statement-download', '30 2 * * *', 'select rebate.invoke_edge_function(''statement-download'')',
     '对账：每日 10:30（北京时间）下载前一日交易账单并核对', 'statement-download'),
    ('rebate-message-sender', '* * * * *', 'select rebate.invoke_edge_function(''message-sender'')',
     '订阅消息：把新消息推送到微信（失败按退避重试，多次失败进入待处理）', 'message-sender'),
    ('rebate-order-expiry', '* * * * *', 'select rebate.invoke_edge_function(''order-expiry'')',
     '支付超时：查询微信支付（已付则入账），未付则关单并取消、退回抵扣', 'order-expiry'),
    ('rebate-refund-query', '* * * * *', 'select rebate.invoke_edge_function(''refund-query'')',
     '退款同步：用原退款单号重发未受理的退款，查询处理中的退款', 'refund-query'),
    ('rebate-union-payout', '* * * * *', 'select public.run_union_payout(now())',
     '工会分红：每日到点（默认 00:10 北京时间）发放上一日分红池', null)
$function$;
comment on function rebate.expected_schedules() is 'The scheduled jobs this database expects (name, cron expression in UTC, command, purpose, the edge function an HTTP job calls): the one list pg_cron and the local timer follow.';
revoke all on function rebate.expected_schedules() from public, anon, authenticated, service_role;

-- Where a scheduled job reaches the edge functions in production: the project URL and the
-- service role key, kept in Supabase Vault (docs/database.md, "Schedules"):
--   select vault.create_secret('https://<ref>.supabase.co', 'rebate_project_url');
--   select vault.create_secret('<service role key>', 'rebate_service_role_key');
-- Null when Vault or the secret is missing, so the caller can say which.
create or replace function rebate.vault_secret(p_name text)
  returns text
  language plpgsql
  stable
  security definer
  set search_path to ''
  as $function$
declare
  v_value text;
begin
  if not exists (select 1 from pg_catalog.pg_extension x where x.extname = 'supabase_vault') then
    return null;
  end if;
  execute 'select decrypted_secret from vault.decrypted_secrets where name = $1 limit 1'
     into v_value using p_name;
  return nullif(v_value, '');
end;
$function$;
comment on function rebate.vault_secret(text) is 'A secret from Supabase Vault by name (null when Vault or the secret is missing); used by scheduled jobs to reach the edge functions.';
revoke all on function rebate.vault_secret(text) from public, anon, authenticated, service_role;

-- What is missing before pg_cron can call edge functions (pg_net, the two Vault secrets), or
-- null when nothing is. schedule_status() shows it, so a job that cannot run is not silent.
create or replace function rebate.edge_function_setup_problem()
  returns text
  language plpgsql
  stable
  security definer
  set search_path to ''
  as $function$
begin
  if not exists (select 1 from pg_catalog.pg_extension x where x.extname = 'pg_net') then
    return 'pg_net 未启用';
  end if;
  if rebate.vault_secret('rebate_project_url') is null then
    return 'Vault 缺少 rebate_project_url';
  end if;
  if rebate.vault_secret('rebate_service_role_key') is null then
    return 'Vault 缺少 rebate_service_role_key';
  end if;
  return null;
end;
$function$;
comment on function rebate.edge_function_setup_problem() is 'What pg_cron lacks to call edge functions (pg_net, the Vault secrets rebate_project_url and rebate_service_role_key), or null.';
revoke all on function rebate.edge_function_setup_problem() from public, anon, authenticated, service_role;

-- A scheduled job that is an edge function: pg_cron runs this, which posts (pg_net, async) to
-- <project>/functions/v1/<name> as the service role. The function does the work and is
-- idempotent; pg_net's answer is in net._http_response. Fails loudly (visible in
-- cron.job_run_details) when pg_net or the Vault secrets are missing.
create or replace function rebate.invoke_edge_function(p_name text)
  returns bigint
  language plpgsql
  volatile
  security definer
  set search_path to ''
  as $function$
declare
  v_problem text := rebate.edge_function_setup_problem();
  v_request_id bigint;
begin
  if p_name is null or p_name !~ '^[a-z][a-z0-9-]{0,62}$' then
    raise exception using errcode = 'P0001', message = 'invalid_job_name', hint = '定时任务名称无效';
  end if;
  if v_problem is not null then
    raise exception using errcode = 'P0001', message = 'schedule_unavailable',
      hint = '定时任务无法调用云函数：' || v_problem;
  end if;
  execute 'select net.http_post(url := $1, headers := $2, body := $3, timeout_milliseconds := 55000)'
     into v_request_id
    using rtrim(rebate.vault_secret('rebate_project_url'), '/') || '/functions/v1/' || p_name,
          jsonb_build_object('Content-Type', 'application/json',
                             'Authorization', 'Bearer ' || rebate.vault_secret('rebate_service_role_key'),
                             'apikey', rebate.vault_secret('rebate_service_role_key')),
          jsonb_build_object('scheduled', true);
  return v_request_id;
end;
$function$;
comment on function rebate.invoke_edge_function(text) is 'Posts to an edge function as the service role through pg_net (project URL and key from Vault): how pg_cron runs a job that talks to WeChat.';
revoke all on function rebate.invoke_edge_function(text) from public, anon, authenticated, service_role;

-- Each expected schedule and whether pg_cron has it (scheduled = false when pg_cron is absent
-- or the job is missing or differs), and for an edge-function job what it still lacks
-- (problem), so a missing or broken schedule is visible rather than silent.
-- Administrators, operations, finance and the service role may read it.
create or replace function public.schedule_status()
  returns table (job_name text, schedule text, command text, purpose text, edge_function text,
                 cron_available boolean, scheduled boolean, problem text)
  language plpgsql
  stable
  security definer
  set search_path to ''
  as $function$
declare
  v_cron boolean := exists (select 1 from pg_catalog.pg_extension x where x.extname = 'pg_cron');
  v_edge_problem text := rebate.edge_function_setup_problem();
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
    select x.job_name, x.schedule, x.command, x.purpose, x.edge_function, v_cron,
           exists (select 1 from jsonb_array_elements(v_jobs) j
                    where j ->> 'jobname' = x.job_name and j ->> 'schedule' = x.schedule
                      and j ->> 'command' = x.command and (j ->> 'active')::boolean),
           case when x.edge_function is not null and v_cron then v_edge_problem end
      from rebate.expected_schedules() x;
end;
$function$;
comment on function public.schedule_status() is 'Each expected schedule, whether pg_cron runs it and what an edge-function job still lacks (staff and the service role).';
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
