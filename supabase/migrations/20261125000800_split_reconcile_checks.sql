-- reconcile() becomes the union of every check area: each area of the system (the engine, the
-- entitlement rules, referral and withdrawals) owns one function rebate.reconcile_check_<area>()
-- returning (check_name, subject, expected, actual) rows for what is wrong, and reconcile()
-- runs them all. A new area adds its function; nothing else changes.

-- ============================================================ functions
alter function public.reconcile() set schema rebate;
alter function rebate.reconcile() rename to reconcile_check_engine;

create or replace function public.reconcile()
returns table (check_name text, subject text, expected bigint, actual bigint)
language plpgsql stable security definer set search_path = ''
as $$
declare
  v_check record;
begin
  for v_check in
    select p.proname
      from pg_proc p
      join pg_namespace n on n.oid = p.pronamespace
     where n.nspname = 'rebate' and p.proname like 'reconcile\_check\_%' and p.pronargs = 0
     order by p.proname
  loop
    return query execute format('select * from rebate.%I()', v_check.proname);
  end loop;
end;
$$;

-- ============================================================ grants
revoke all on function rebate.reconcile_check_engine() from public, anon, authenticated;
revoke all on function public.reconcile() from public, anon, authenticated;
grant execute on function public.reconcile() to service_role;
