-- Restrictions of the independent settings (SPEC §5 独立设置) per product, store and cashier:
-- reward time windows and per-member limits. A line outside a window, or past a limit, earns
-- no entitlement (no_entry_reason outside_reward_window / limit_reached) but still joins its
-- queue and extracts. They replace the engine's rebate.line_earns_entitlement.
--
-- Which settings apply to a line: a mall line, its product's; a store online line, its
-- product's and its store's (both must allow it); a cashier payment, its cashier's.
--
-- Limits count entries (entitlements granted) per member and target, per Asia/Shanghai day
-- and in total, in rebate.member_target_counts: one row per member and target, kept only for
-- targets that have a limit (rebuilt from the entries when a limit is set). A voided entry
-- still counts. Payments of one member that meet a limit are serialised by a per-member
-- advisory lock taken before any queue lock (lock order: order row → member limit lock →
-- queues → wallets), so two concurrent payments cannot both take the last place.

-- ============================================================ functions (used by checks)
-- Reward time windows: [{"start": "HH:MM", "end": "HH:MM"}, …] daily in Asia/Shanghai
-- (start inclusive, end exclusive; end "24:00" allowed; start > end crosses midnight), or
-- [{"from": "<timestamp with offset>", "to": "<timestamp with offset>"}, …] absolute periods
-- (from inclusive, to exclusive). At most 10; [] = no restriction.
create or replace function rebate.valid_windows(p jsonb) returns boolean
language plpgsql immutable set search_path = ''
as $$
declare
  w jsonb;
  c_hhmm constant text := '^([01][0-9]|2[0-3]):[0-5][0-9]$';
  c_ts constant text := '^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)$';
begin
  if jsonb_typeof(p) <> 'array' or jsonb_array_length(p) > 10 then
    return false;
  end if;
  for w in select x from jsonb_array_elements(p) x loop
    if jsonb_typeof(w) <> 'object' or (select count(*) from jsonb_object_keys(w)) <> 2 then
      return false;
    end if;
    if w ? 'start' then
      if jsonb_typeof(w -> 'start') <> 'string' or jsonb_typeof(w -> 'end') is distinct from 'string'
         or (w ->> 'start') !~ c_hhmm or ((w ->> 'end') !~ c_hhmm and (w ->> 'end') <> '24:00')
         or (w ->> 'start') = (w ->> 'end') then
        return false;
      end if;
    elsif w ? 'from' then
      if jsonb_typeof(w -> 'from') <> 'string' or jsonb_typeof(w -> 'to') is distinct from 'string'
         or (w ->> 'from') !~ c_ts or (w ->> 'to') !~ c_ts then
        return false;
      end if;
      begin
        if (w ->> 'from')::timestamptz >= (w ->> 'to')::timestamptz then
          return false;
        end if;
      exception when others then
        return false;
      end;
    else
      return false;
    end if;
  end loop;
  return true;
end;
$$;

-- ============================================================ tables
alter table rebate.products
  add column reward_windows jsonb not null default '[]',
  add column daily_limit    integer,
  add column total_limit    integer,
  add constraint products_reward_windows check (rebate.valid_windows(reward_windows)),
  add constraint products_limits check (daily_limit between 0 and 1000000 and total_limit between 0 and 1000000);

alter table rebate.stores
  add column reward_windows jsonb not null default '[]',
  add column daily_limit    integer,
  add column total_limit    integer,
  add constraint stores_reward_windows check (rebate.valid_windows(reward_windows)),
  add constraint stores_limits check (daily_limit between 0 and 1000000 and total_limit between 0 and 1000000);

alter table rebate.cashiers
  add column reward_windows jsonb not null default '[]',
  add column daily_limit    integer,
  add column total_limit    integer,
  add constraint cashiers_reward_windows check (rebate.valid_windows(reward_windows)),
  add constraint cashiers_limits check (daily_limit between 0 and 1000000 and total_limit between 0 and 1000000);

-- Entries granted per member and limited target; day_count counts the entries of `day`.
create table rebate.member_target_counts (
  member_id    uuid not null,
  target_kind  text not null check (target_kind in ('product', 'store', 'cashier')),
  target_id    bigint not null,
  day          date not null,
  day_count    integer not null check (day_count >= 0),
  total_count  integer not null check (total_count >= day_count),
  primary key (member_id, target_kind, target_id)
);

create index member_target_counts_target_idx on rebate.member_target_counts (target_kind, target_id);

-- ============================================================ functions
-- Whether p_at lies in one of the windows ([] = always).
create or replace function rebate.in_reward_window(p_windows jsonb, p_at timestamptz) returns boolean
language plpgsql stable set search_path = ''
as $$
declare
  w jsonb;
  v_t interval := (p_at at time zone 'Asia/Shanghai')::time::interval;
  v_s interval;
  v_e interval;
begin
  if p_windows is null or p_windows = '[]' then
    return true;
  end if;
  for w in select x from jsonb_array_elements(p_windows) x loop
    if w ? 'start' then
      v_s := (w ->> 'start' || ':00')::interval;
      v_e := (w ->> 'end' || ':00')::interval;
      if (v_s < v_e and v_t >= v_s and v_t < v_e) or (v_s > v_e and (v_t >= v_s or v_t < v_e)) then
        return true;
      end if;
    elsif p_at >= (w ->> 'from')::timestamptz and p_at < (w ->> 'to')::timestamptz then
      return true;
    end if;
  end loop;
  return false;
end;
$$;

-- Whether a member still has a place under a target's limits today (caller holds the
-- member's limit lock).
create or replace function rebate.limit_allows(p_member uuid, p_kind text, p_id bigint, p_daily integer,
                                               p_total integer, p_day date)
returns boolean
language sql stable
as $$
  select coalesce((select (p_daily is null or case when t.day = p_day then t.day_count else 0 end < p_daily)
                      and (p_total is null or t.total_count < p_total)
                     from rebate.member_target_counts t
                    where t.member_id = p_member and t.target_kind = p_kind and t.target_id = p_id),
                  (p_daily is null or p_daily > 0) and (p_total is null or p_total > 0))
$$;

-- Counts one more entry of a member at a limited target.
create or replace function rebate.limit_take(p_member uuid, p_kind text, p_id bigint, p_day date) returns void
language sql volatile
as $$
  insert into rebate.member_target_counts as t (member_id, target_kind, target_id, day, day_count, total_count)
  values (p_member, p_kind, p_id, p_day, 1, 1)
  on conflict (member_id, target_kind, target_id) do update
    set day_count = case when t.day = excluded.day then t.day_count + 1 else 1 end,
        day = excluded.day,
        total_count = t.total_count + 1
$$;

-- Rebuilds the counts of one target from its entries (when its limits change): kept only
-- while the target has a limit.
create or replace function rebate.refresh_limit_counts(p_kind text, p_id bigint) returns void
language plpgsql volatile set search_path = ''
as $$
declare
  v_limited boolean;
  v_day date := rebate.shanghai_day(now());
begin
  delete from rebate.member_target_counts t where t.target_kind = p_kind and t.target_id = p_id;
  v_limited := case p_kind
    when 'product' then (select x.daily_limit is not null or x.total_limit is not null from rebate.products x where x.id = p_id)
    when 'store' then (select x.daily_limit is not null or x.total_limit is not null from rebate.stores x where x.id = p_id)
    else (select x.daily_limit is not null or x.total_limit is not null from rebate.cashiers x where x.id = p_id) end;
  if not coalesce(v_limited, false) then
    return;
  end if;
  insert into rebate.member_target_counts (member_id, target_kind, target_id, day, day_count, total_count)
  select e.member_id, p_kind, p_id, v_day,
         count(*) filter (where rebate.shanghai_day(e.created_at) = v_day), count(*)
    from rebate.entries e
    join rebate.order_lines l on l.id = e.line_id
    join rebate.orders o on o.id = e.order_id
   where case p_kind when 'product' then l.product_id = p_id
                     when 'store' then o.channel = 'store' and o.store_id = p_id
                     else o.channel = 'cashier' and o.cashier_id = p_id end
   group by e.member_id;
end;
$$;

-- Whether a line that joined its queue earns an entitlement: null when it does, else why
-- not — deduction_excluded (§5.4), outside_reward_window, limit_reached. A line that earns
-- under a limit takes its place here (the entry follows in the same transaction).
create or replace function rebate.line_earns_entitlement(
  p_line rebate.order_lines, p_order rebate.orders, p_settings rebate.settings)
returns text
language plpgsql volatile set search_path = ''
as $$
declare
  v_now constant timestamptz := now();
  v_day date;
  -- the product (mall, store online) or the cashier; and the store (store online)
  a_id bigint;
  a_windows jsonb;
  a_daily integer;
  a_total integer;
  b_windows jsonb;
  b_daily integer;
  b_total integer;
  v_kind text := case when p_order.channel = 'cashier' then 'cashier' else 'product' end;
begin
  if not p_settings.deduction_participates
     and (p_order.points_deduct_fen > 0 or p_order.love_deduct_fen > 0) then
    return 'deduction_excluded';
  end if;
  if p_order.channel = 'cashier' then
    select c.id, c.reward_windows, c.daily_limit, c.total_limit into a_id, a_windows, a_daily, a_total
      from rebate.cashiers c where c.id = p_order.cashier_id;
  else
    select p.id, p.reward_windows, p.daily_limit, p.total_limit into a_id, a_windows, a_daily, a_total
      from rebate.products p where p.id = p_line.product_id;
  end if;
  if a_windows <> '[]' and not rebate.in_reward_window(a_windows, v_now) then
    return 'outside_reward_window';
  end if;
  if p_order.channel = 'store' then
    select st.reward_windows, st.daily_limit, st.total_limit into b_windows, b_daily, b_total
      from rebate.stores st where st.id = p_order.store_id;
    if b_windows <> '[]' and not rebate.in_reward_window(b_windows, v_now) then
      return 'outside_reward_window';
    end if;
  end if;
  if a_daily is null and a_total is null and b_daily is null and b_total is null then
    return null;
  end if;

  -- a line that would earn nothing (ratio 0, or less than half a fen) takes no place
  if rebate.bps_of(p_line.pay_fen, (select x.ratio_bps from rebate.resolve_reward_ratio(p_line, p_order, p_settings) x)) = 0 then
    return null;
  end if;
  perform pg_advisory_xact_lock(hashtextextended('rebate-limits:' || p_order.member_id::text, 0));
  v_day := rebate.shanghai_day(v_now);
  if ((a_daily is not null or a_total is not null)
      and not rebate.limit_allows(p_order.member_id, v_kind, a_id, a_daily, a_total, v_day))
     or ((b_daily is not null or b_total is not null)
         and not rebate.limit_allows(p_order.member_id, 'store', p_order.store_id, b_daily, b_total, v_day)) then
    return 'limit_reached';
  end if;
  if a_daily is not null or a_total is not null then
    perform rebate.limit_take(p_order.member_id, v_kind, a_id, v_day);
  end if;
  if b_daily is not null or b_total is not null then
    perform rebate.limit_take(p_order.member_id, 'store', p_order.store_id, v_day);
  end if;
  return null;
end;
$$;

-- ============================================================ policies
alter table rebate.member_target_counts enable row level security;

create policy "Members can read their own limit counts"
  on rebate.member_target_counts for select to authenticated using (member_id = (select auth.uid()));

-- ============================================================ grants
revoke all on rebate.member_target_counts from public, anon, authenticated, service_role;
grant select on rebate.member_target_counts to service_role;

revoke all on function rebate.valid_windows(jsonb), rebate.in_reward_window(jsonb, timestamptz),
  rebate.limit_allows(uuid, text, bigint, integer, integer, date), rebate.limit_take(uuid, text, bigint, date),
  rebate.refresh_limit_counts(text, bigint),
  rebate.line_earns_entitlement(rebate.order_lines, rebate.orders, rebate.settings)
  from public, anon, authenticated;
