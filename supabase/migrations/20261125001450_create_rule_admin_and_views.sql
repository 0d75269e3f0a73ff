-- Entitlement rules, the API around them: the member views say whether an entry may draw
-- (can_draw) or be exchanged (can_exchange); the admin RPCs read and change the independent
-- settings of a product, store or cashier, validated; a refund takes back what an exchange or
-- a random return gave for the refunded line; reconcile() gains the rules' checks.

-- ============================================================ tables
-- A refunded line whose entry was exchanged or converted by random return: the points / love
-- value it gave are taken back from the wallet, as far as the balance allows (never negative;
-- the rest is recorded as shortfall), like the engine keeps back cash rebate (SPEC §10).
create table rebate.refund_takebacks (
  refund_id      bigint not null references rebate.refunds (id),
  entry_id       bigint not null unique references rebate.entries (id),
  member_id      uuid not null,
  asset          text not null check (asset in ('points', 'love', 'love_frozen')),
  due            bigint not null check (due >= 1),
  taken          bigint not null check (taken between 0 and due),
  created_at     timestamptz not null default now(),
  primary key (refund_id, entry_id)
);

-- ============================================================ functions: member views
-- my_entries and queue_process keep their engine definitions (moved to the rebate schema)
-- and add the rules' fields: new columns at the end, new keys in the entry object.
alter function public.my_entries(text, bigint, integer) set schema rebate;
alter function rebate.my_entries(text, bigint, integer) rename to my_entries_engine;
alter function public.queue_process(bigint, integer) set schema rebate;
alter function rebate.queue_process(bigint, integer) rename to queue_process_engine;

-- The rules' view of one entry: may it draw / be exchanged now, what it was drawn or
-- converted to.
create or replace function rebate.entry_actions(p_entry rebate.entries, p_settings rebate.settings)
returns jsonb
language plpgsql stable set search_path = ''
as $$
declare
  d rebate.lottery_draws;
  v_config jsonb;
  v_remaining bigint := p_entry.entitlement_fen - p_entry.received_fen;
  v_asset text;
  v_amount bigint;
begin
  if p_entry.rule_code like '%\_lottery' then
    select * into d from rebate.lottery_draws x where x.entry_id = p_entry.id;
    v_config := coalesce(d.config, rebate.entry_lottery_config(p_entry));
  end if;
  if p_entry.status = 'exchanged' then
    select x.asset, x.amount into v_asset, v_amount from rebate.exchanges x where x.entry_id = p_entry.id;
  elsif p_entry.status = 'completed' and p_entry.closed_fen > 0 then
    select 'points', x.points into v_asset, v_amount from rebate.random_returns x where x.entry_id = p_entry.id;
  end if;
  return jsonb_build_object(
    'can_draw', p_entry.status = 'waiting' and p_entry.received_fen = 0 and d.id is null and v_config is not null,
    'drawn_bps', d.drawn_bps,
    'can_exchange', p_entry.status = 'waiting'
                    and (rebate.bps_of(v_remaining, p_settings.points_exchange_bps) > 0
                         or rebate.bps_of(v_remaining, p_settings.love_exchange_bps) > 0),
    'lottery_config', v_config,
    'converted_asset', v_asset,
    'converted_amount', v_amount);
end;
$$;

-- My queue entries with their progress, newest first; the engine's columns, then
-- can_draw, drawn_bps, can_exchange, lottery_config, converted_asset ('points' | 'love' |
-- 'love_frozen' after an exchange or a random return), converted_amount.
create or replace function public.my_entries(p_status text default null, p_before_id bigint default null,
                                             p_limit integer default 20)
returns table (entry_id bigint, queue_id bigint, queue_name text, seq bigint, status text, status_label text,
               entitlement_fen bigint, received_fen bigint, remaining_fen bigint, closed_fen bigint,
               progress_bps integer, reward_bps integer, rule_code text, rule_label text, order_id bigint,
               order_no text, item_name text, order_completed boolean, created_at timestamptz, ended_at timestamptz,
               can_draw boolean, drawn_bps integer, can_exchange boolean, lottery_config jsonb,
               converted_asset text, converted_amount bigint)
language plpgsql stable security definer set search_path = ''
as $$
declare
  s rebate.settings;
begin
  select * into s from rebate.settings x where x.id = 1;
  return query
    select b.entry_id, b.queue_id, b.queue_name, b.seq, b.status, b.status_label, b.entitlement_fen, b.received_fen,
           b.remaining_fen, b.closed_fen, b.progress_bps, b.reward_bps, b.rule_code, b.rule_label, b.order_id,
           b.order_no, b.item_name, b.order_completed, b.created_at, b.ended_at,
           (a.v ->> 'can_draw')::boolean, (a.v ->> 'drawn_bps')::integer, (a.v ->> 'can_exchange')::boolean,
           a.v -> 'lottery_config', a.v ->> 'converted_asset', (a.v ->> 'converted_amount')::bigint
      from rebate.my_entries_engine(p_status, p_before_id, p_limit) b
      join rebate.entries e on e.id = b.entry_id
      cross join lateral (select rebate.entry_actions(e, s) as v) a
     order by b.entry_id desc;
end;
$$;

-- The queue process view of one of my entries (the engine's), its entry object with the
-- rules' fields added (can_draw, drawn_bps, can_exchange, lottery_config, converted_*).
create or replace function public.queue_process(p_entry_id bigint, p_around integer default 5) returns jsonb
language plpgsql stable security definer set search_path = ''
as $$
declare
  v jsonb := rebate.queue_process_engine(p_entry_id, p_around);
  e rebate.entries;
  s rebate.settings;
begin
  select * into e from rebate.entries x where x.id = p_entry_id;
  select * into s from rebate.settings x where x.id = 1;
  return jsonb_set(v, '{entry}', (v -> 'entry') || rebate.entry_actions(e, s));
end;
$$;

-- ============================================================ functions: admin (independent settings)
create or replace function rebate.rule_table(p_target text) returns text
language plpgsql immutable set search_path = ''
as $$
begin
  if p_target is null or p_target not in ('product', 'store', 'cashier') then
    raise exception using errcode = 'P0001', message = 'invalid_target', hint = '设置对象应为商品、门店或收银台';
  end if;
  return case p_target when 'product' then 'products' when 'store' then 'stores' else 'cashiers' end;
end;
$$;

-- The independent settings of one product / store / cashier as JSON.
create or replace function rebate.rule_settings_json(p_target text, p_target_id bigint) returns jsonb
language plpgsql stable set search_path = ''
as $$
declare
  v jsonb;
begin
  execute format('select to_jsonb(t) from rebate.%I t where t.id = $1', rebate.rule_table(p_target))
    into v using p_target_id;
  if v is null then
    raise exception using errcode = 'P0001', message = 'target_not_found', hint = '设置对象不存在';
  end if;
  return jsonb_build_object('target', p_target, 'target_id', p_target_id) || (v - 'id');
end;
$$;

create or replace function public.admin_get_rule_settings(p_target text, p_target_id bigint) returns jsonb
language plpgsql stable security definer set search_path = ''
as $$
begin
  perform rebate.require_admin();
  return rebate.rule_settings_json(p_target, p_target_id);
end;
$$;

-- Changes the independent settings (独立设置) of one product, store or cashier. p_patch is a
-- JSON object, field → value; every field is validated, unknown fields are refused:
--   rebate_enabled bool; reward_bps 0..100000|null (独立/默认比例); extraction_bps 0..10000|null;
--   level_reward_bps {"<level id>": bps}; tiers [{days, min_fen, bps}]; lottery_mode off|fixed|interval;
--   lottery_options [{bps, weight}]; lottery_min_bps / lottery_max_bps 1..100000;
--   reward_windows [{start, end}] | [{from, to}]; daily_limit / total_limit 0..1000000|null;
--   stores and cashiers only: random_return inherit|on|off, random_cash_count / random_points_count 0..100.
create or replace function public.admin_update_rule_settings(p_target text, p_target_id bigint, p_patch jsonb)
returns jsonb
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_table text := rebate.rule_table(p_target);
  v_key text;
  v_val jsonb;
  v_ok boolean;
  v_label text;
  v_cols text;
  v_vals text;
begin
  perform rebate.require_admin();
  perform rebate.rule_settings_json(p_target, p_target_id);     -- target_not_found
  if p_patch is null or jsonb_typeof(p_patch) <> 'object' or p_patch = '{}'::jsonb then
    raise exception using errcode = 'P0001', message = 'invalid_settings', hint = '设置内容无效';
  end if;
  for v_key, v_val in select e.key, e.value from jsonb_each(p_patch) e loop
    v_label := case v_key
      when 'rebate_enabled' then '排队返利开关' when 'reward_bps' then '独立/默认奖励比例'
      when 'extraction_bps' then '提取比例' when 'level_reward_bps' then '会员等级奖励比例'
      when 'tiers' then '累计消费阶梯' when 'lottery_mode' then '抽奖方式' when 'lottery_options' then '抽奖固定比例'
      when 'lottery_min_bps' then '抽奖区间下限' when 'lottery_max_bps' then '抽奖区间上限'
      when 'reward_windows' then '奖励时间段' when 'daily_limit' then '每人每日奖励次数'
      when 'total_limit' then '每人累计奖励次数' when 'random_return' then '随机返'
      when 'random_cash_count' then '每组返现金人数' when 'random_points_count' then '每组返积分人数' end;
    if v_label is null or (v_key like 'random\_%' and p_target = 'product') then
      raise exception using errcode = 'P0001', message = 'unknown_setting', hint = '未知的设置项：' || left(v_key, 40);
    end if;
    v_ok := case
      when v_key = 'rebate_enabled' then jsonb_typeof(v_val) = 'boolean'
      when v_key = 'reward_bps' then jsonb_typeof(v_val) = 'null' or rebate.json_int(v_val, 0, 100000) is not null
      when v_key = 'extraction_bps' then jsonb_typeof(v_val) = 'null' or rebate.json_int(v_val, 0, 10000) is not null
      when v_key = 'level_reward_bps' then rebate.valid_level_ratios(v_val)
           and not exists (select 1 from jsonb_object_keys(v_val) k
                            where not exists (select 1 from rebate.member_levels l where l.id = k::smallint))
      when v_key = 'tiers' then rebate.valid_tiers(v_val)
      when v_key = 'lottery_mode' then jsonb_typeof(v_val) = 'string' and (v_val #>> '{}') in ('off', 'fixed', 'interval')
      when v_key = 'lottery_options' then rebate.valid_lottery_options(v_val)
      when v_key in ('lottery_min_bps', 'lottery_max_bps') then rebate.json_int(v_val, 1, 100000) is not null
      when v_key = 'reward_windows' then rebate.valid_windows(v_val)
      when v_key in ('daily_limit', 'total_limit') then jsonb_typeof(v_val) = 'null'
                                                        or rebate.json_int(v_val, 0, 1000000) is not null
      when v_key = 'random_return' then jsonb_typeof(v_val) = 'string' and (v_val #>> '{}') in ('inherit', 'on', 'off')
      when v_key in ('random_cash_count', 'random_points_count') then rebate.json_int(v_val, 0, 100) is not null
      else false end;
    if not coalesce(v_ok, false) then
      raise exception using errcode = 'P0001', message = 'invalid_setting', hint = v_label || '：取值无效';
    end if;
  end loop;

  select string_agg(format('%I', k), ', ' order by k), string_agg(format('r.%I', k), ', ' order by k)
    into v_cols, v_vals
    from jsonb_object_keys(p_patch) k;
  begin
    execute format(
      'update rebate.%I t set (%s) = (select %s from jsonb_populate_record(null::rebate.%I, $1) r) where t.id = $2',
      v_table, v_cols || ', id', v_vals || ', $2', v_table)
      using p_patch, p_target_id;
  exception
    when check_violation then
      raise exception using errcode = 'P0001', message = 'invalid_setting', hint = '设置之间相互矛盾或取值超出范围';
  end;
  if p_patch ? 'daily_limit' or p_patch ? 'total_limit' then
    perform rebate.refresh_limit_counts(p_target, p_target_id);
  end if;
  return rebate.rule_settings_json(p_target, p_target_id);
end;
$$;

-- ============================================================ functions: refunds
-- Runs when a refund notification is recorded (rebate.refunds row, inside refund_order, after
-- the order and its queues are locked): for each refunded line whose entry was exchanged or
-- converted to points, takes back what it gave, at most the current balance.
create or replace function rebate.refunds_take_back() returns trigger
language plpgsql set search_path = ''
as $$
declare
  r record;
  v_balance bigint;
  v_taken bigint;
begin
  for r in
    select e.id as entry_id, e.member_id, e.order_id, coalesce(x.asset, 'points') as asset, coalesce(x.amount, rr.points) as due
      from rebate.order_lines l
      join rebate.entries e on e.line_id = l.id
      left join rebate.exchanges x on x.entry_id = e.id
      left join rebate.random_returns rr on rr.entry_id = e.id
     where l.order_id = new.order_id and l.line_no = any (new.line_nos) and l.refunded_at is null
       and (x.entry_id is not null or rr.entry_id is not null) and coalesce(x.amount, rr.points) > 0
     order by l.line_no
  loop
    select case r.asset when 'points' then w.points when 'love' then w.love_fen else w.love_frozen_fen end
      into v_balance from rebate.wallets w where w.member_id = r.member_id for update;
    v_taken := least(r.due, v_balance);
    perform rebate.wallet_apply(r.member_id, r.asset, -v_taken,
                                case when r.asset = 'points' then 'refund_points_back' else 'refund_love_back' end,
                                r.order_id, r.entry_id, null, new.id);
    insert into rebate.refund_takebacks (refund_id, entry_id, member_id, asset, due, taken)
    values (new.id, r.entry_id, r.member_id, r.asset, r.due, v_taken);
  end loop;
  return null;
end;
$$;

create trigger refunds_take_back after insert on rebate.refunds
  for each row execute function rebate.refunds_take_back();

create trigger refund_takebacks_append_only before update or delete on rebate.refund_takebacks
  for each row execute function rebate.forbid_change();

-- ============================================================ functions: reconcile
-- The rules' invariants, as rows of what is wrong (none when healthy). Full scans.
create or replace function rebate.reconcile_check_rules()
returns table (check_name text, subject text, expected bigint, actual bigint)
language sql stable security definer set search_path = ''
as $$
  with
  entry_ledger as (
    select g.entry_id, g.reason, g.asset, sum(g.delta) as amount
      from rebate.ledger g
     where g.reason in ('entry_exchange', 'random_return_points') and g.entry_id is not null
     group by g.entry_id, g.reason, g.asset),
  transfer_ledger as (
    select g.member_id,
           coalesce(sum(g.delta) filter (where g.reason = 'points_transfer_out'), 0) as sent,
           coalesce(sum(g.delta) filter (where g.reason = 'points_transfer_in'), 0) as received
      from rebate.ledger g where g.reason in ('points_transfer_out', 'points_transfer_in') group by g.member_id),
  transfer_rows as (
    select m.member_id, sum(m.sent) as sent, sum(m.received) as received
      from (select t.from_member_id as member_id, t.points as sent, 0::bigint as received from rebate.points_transfers t
            union all
            select t.to_member_id, 0, t.points from rebate.points_transfers t) m
     group by m.member_id),
  limited_targets as (
    select 'product'::text as kind, x.id from rebate.products x where x.daily_limit is not null or x.total_limit is not null
    union all
    select 'store', x.id from rebate.stores x where x.daily_limit is not null or x.total_limit is not null
    union all
    select 'cashier', x.id from rebate.cashiers x where x.daily_limit is not null or x.total_limit is not null),
  target_entries as (
    select t.kind, t.id, e.member_id, rebate.shanghai_day(e.created_at) as day
      from limited_targets t
      join rebate.entries e on true
      join rebate.order_lines l on l.id = e.line_id
      join rebate.orders o on o.id = e.order_id
     where case t.kind when 'product' then l.product_id = t.id
                       when 'store' then o.channel = 'store' and o.store_id = t.id
                       else o.channel = 'cashier' and o.cashier_id = t.id end),
  target_expected as (
    select te.kind, te.id, te.member_id, count(*) as total from target_entries te group by 1, 2, 3),
  draw_pick as (
    -- the result the stored random value gives under the stored configuration
    select d.id, d.entry_id, d.drawn_bps,
           case d.mode
             when 'interval' then (d.config ->> 'min_bps')::bigint + d.random_value
             else (select x.bps from (select (o ->> 'bps')::bigint as bps,
                                             sum((o ->> 'weight')::bigint) over (order by i) as upto
                                        from jsonb_array_elements(d.config -> 'options') with ordinality t(o, i)) x
                    where x.upto > d.random_value order by x.upto limit 1) end as expected_bps,
           case d.mode
             when 'interval' then d.random_value <= (d.config ->> 'max_bps')::bigint - (d.config ->> 'min_bps')::bigint
             else d.random_value < (select sum((o ->> 'weight')::bigint) from jsonb_array_elements(d.config -> 'options') o) end
             as in_range
      from rebate.lottery_draws d),
  group_counts as (
    select r.queue_id, r.group_no, count(*) as n from rebate.random_returns r group by 1, 2)

  -- exchange: every exchanged entry has its exchange, amounts exact, credited once
  select 'exchange_entry', e.id::text, e.closed_fen, x.remaining_fen
    from rebate.entries e left join rebate.exchanges x on x.entry_id = e.id
   where (e.status = 'exchanged') <> (x.entry_id is not null)
      or (x.entry_id is not null and (x.remaining_fen <> e.closed_fen or x.member_id <> e.member_id
                                      or x.queue_id <> e.queue_id))
  union all
  select 'exchange_amount', x.entry_id::text, rebate.bps_of(x.remaining_fen, x.ratio_bps), x.amount
    from rebate.exchanges x where x.amount <> rebate.bps_of(x.remaining_fen, x.ratio_bps)
  union all
  select 'exchange_ledger', x.entry_id::text, x.amount, coalesce(l.amount, 0)
    from rebate.exchanges x
    left join entry_ledger l on l.entry_id = x.entry_id and l.reason = 'entry_exchange' and l.asset = x.asset
   where coalesce(l.amount, 0) <> x.amount
  union all
  select 'exchange_ledger_orphan', l.entry_id::text, null::bigint, l.amount
    from entry_ledger l
   where l.reason = 'entry_exchange'
     and not exists (select 1 from rebate.exchanges x where x.entry_id = l.entry_id and x.asset = l.asset)

  -- clearing: every cleared entry forfeited exactly its remaining, in one run; runs add up
  union all
  select 'cleared_entry', e.id::text, e.closed_fen, c.forfeited_fen
    from rebate.entries e left join rebate.clearing_items c on c.entry_id = e.id
   where (e.status = 'cleared') <> (c.entry_id is not null)
      or (c.entry_id is not null and (c.forfeited_fen <> e.closed_fen or c.member_id <> e.member_id
                                      or c.queue_id <> e.queue_id))
  union all
  select 'clearing_run_total', r.id::text, r.forfeited_fen, coalesce(sum(c.forfeited_fen), 0)
    from rebate.clearing_runs r left join rebate.clearing_items c on c.run_id = r.id
   group by r.id
  having r.forfeited_fen <> coalesce(sum(c.forfeited_fen), 0) or r.cleared_count <> count(c.entry_id)
  union all
  select 'cleared_after_instant', c.entry_id::text, null::bigint, null::bigint
    from rebate.clearing_items c
    join rebate.clearing_runs r on r.id = c.run_id
    join rebate.entries e on e.id = c.entry_id
   where e.created_at > r.scheduled_at

  -- random return: every converted entry has its record; points exact and credited once;
  -- every full group converted exactly its points count
  union all
  select 'random_return_entry', e.id::text, e.entitlement_fen, r.converted_fen
    from rebate.entries e left join rebate.random_returns r on r.entry_id = e.id
   where (e.status = 'completed' and e.closed_fen > 0) <> (r.entry_id is not null)
      or (r.entry_id is not null and (r.converted_fen <> e.entitlement_fen or e.received_fen <> 0
                                      or r.member_id <> e.member_id or r.queue_id <> e.queue_id))
  union all
  select 'random_return_points', r.entry_id::text, rebate.bps_of(r.converted_fen, r.ratio_bps), r.points
    from rebate.random_returns r where r.points <> rebate.bps_of(r.converted_fen, r.ratio_bps)
  union all
  select 'random_return_ledger', r.entry_id::text, r.points, coalesce(l.amount, 0)
    from rebate.random_returns r
    left join entry_ledger l on l.entry_id = r.entry_id and l.reason = 'random_return_points' and l.asset = 'points'
   where coalesce(l.amount, 0) <> r.points
  union all
  select 'random_return_group', g.queue_id::text || ':' || g.group_no::text,
         case when g.end_reason = 'full' then g.points_count else g.converted end, coalesce(c.n, 0)
    from rebate.random_return_groups g
    left join group_counts c on c.queue_id = g.queue_id and c.group_no = g.group_no
   where coalesce(c.n, 0) <> g.converted or (g.end_reason = 'full' and g.converted <> g.points_count)

  -- lottery: the entry carries the drawn ratio and the recomputed entitlement; the result is
  -- what the stored random value gives under the stored configuration
  union all
  select 'lottery_entry', d.entry_id::text, d.drawn_bps, e.reward_bps
    from rebate.lottery_draws d join rebate.entries e on e.id = d.entry_id
   where e.reward_bps <> d.drawn_bps or e.entitlement_fen <> d.entitlement_fen or e.member_id <> d.member_id
      or e.rule_code <> d.rule_code or e.rule_code not like '%\_lottery'
      or d.entitlement_fen <> greatest(1, rebate.bps_of(e.base_fen, d.drawn_bps))
  union all
  select 'lottery_result', p.entry_id::text, p.expected_bps, p.drawn_bps
    from draw_pick p where p.expected_bps is distinct from p.drawn_bps or not p.in_range
  union all
  select 'entry_entitlement', e.id::text, rebate.bps_of(e.base_fen, e.reward_bps), e.entitlement_fen
    from rebate.entries e
   where not exists (select 1 from rebate.lottery_draws d where d.entry_id = e.id)
     and e.entitlement_fen <> rebate.bps_of(e.base_fen, e.reward_bps)

  -- refunds take back what exchanges and random returns gave, as the ledger says
  union all
  select 'refund_takeback', t.entry_id::text, t.taken,
         -coalesce((select sum(g.delta) from rebate.ledger g
                     where g.entry_id = t.entry_id and g.refund_id = t.refund_id
                       and g.reason in ('refund_points_back', 'refund_love_back') and g.asset = t.asset), 0)
    from rebate.refund_takebacks t
   where t.taken <> -coalesce((select sum(g.delta) from rebate.ledger g
                                where g.entry_id = t.entry_id and g.refund_id = t.refund_id
                                  and g.reason in ('refund_points_back', 'refund_love_back') and g.asset = t.asset), 0)
      or t.due <> coalesce((select x.amount from rebate.exchanges x where x.entry_id = t.entry_id),
                           (select r.points from rebate.random_returns r where r.entry_id = t.entry_id))
  union all
  select 'refund_takeback_missing', e.id::text, null::bigint, null::bigint
    from rebate.entries e
    join rebate.order_lines l on l.id = e.line_id
   where l.refunded_at is not null
     and (exists (select 1 from rebate.exchanges x where x.entry_id = e.id and x.amount > 0)
          or exists (select 1 from rebate.random_returns r where r.entry_id = e.id and r.points > 0))
     and not exists (select 1 from rebate.refund_takebacks t where t.entry_id = e.id)

  -- points transfers: both sides in the ledger, balanced per member
  union all
  select 'transfer_sent', coalesce(t.member_id, l.member_id)::text, -coalesce(t.sent, 0), coalesce(l.sent, 0)
    from transfer_rows t full join transfer_ledger l on l.member_id = t.member_id
   where coalesce(l.sent, 0) <> -coalesce(t.sent, 0)
  union all
  select 'transfer_received', coalesce(t.member_id, l.member_id)::text, coalesce(t.received, 0), coalesce(l.received, 0)
    from transfer_rows t full join transfer_ledger l on l.member_id = t.member_id
   where coalesce(l.received, 0) <> coalesce(t.received, 0)

  -- limit counts equal the entries of each limited target (in total, and on the counted day)
  union all
  select 'limit_total', coalesce(x.kind, c.target_kind) || ':' || coalesce(x.id, c.target_id)::text || ':'
           || coalesce(x.member_id, c.member_id)::text, coalesce(x.total, 0), coalesce(c.total_count, 0)
    from target_expected x
    full join (select c.* from rebate.member_target_counts c
                join limited_targets t on t.kind = c.target_kind and t.id = c.target_id) c
      on c.target_kind = x.kind and c.target_id = x.id and c.member_id = x.member_id
   where coalesce(x.total, 0) <> coalesce(c.total_count, 0)
  union all
  select 'limit_day', c.target_kind || ':' || c.target_id::text || ':' || c.member_id::text,
         (select count(*) from target_entries te
           where te.kind = c.target_kind and te.id = c.target_id and te.member_id = c.member_id and te.day = c.day),
         c.day_count
    from rebate.member_target_counts c
   where c.day_count <> (select count(*) from target_entries te
                          where te.kind = c.target_kind and te.id = c.target_id and te.member_id = c.member_id
                            and te.day = c.day)
  union all
  select 'limit_untracked', c.target_kind || ':' || c.target_id::text, null::bigint, c.total_count
    from rebate.member_target_counts c
   where not exists (select 1 from limited_targets t where t.kind = c.target_kind and t.id = c.target_id)
$$;

-- ============================================================ policies
alter table rebate.refund_takebacks enable row level security;

create policy "Members can read their own refund takebacks"
  on rebate.refund_takebacks for select to authenticated using (member_id = (select auth.uid()));

-- ============================================================ grants
revoke all on rebate.refund_takebacks from public, anon, authenticated, service_role;
grant select on rebate.refund_takebacks to service_role;

revoke all on function rebate.refunds_take_back() from public, anon, authenticated;

revoke all on function rebate.my_entries_engine(text, bigint, integer), rebate.queue_process_engine(bigint, integer),
  rebate.entry_actions(rebate.entries, rebate.settings), rebate.rule_table(text), rebate.rule_settings_json(text, bigint),
  rebate.reconcile_check_rules()
  from public, anon, authenticated, service_role;

revoke all on function public.my_entries(text, bigint, integer), public.queue_process(bigint, integer),
  public.admin_get_rule_settings(text, bigint), public.admin_update_rule_settings(text, bigint, jsonb)
  from public, anon, authenticated, service_role;
grant execute on function public.my_entries(text, bigint, integer), public.queue_process(bigint, integer),
  public.admin_get_rule_settings(text, bigint), public.admin_update_rule_settings(text, bigint, jsonb)
  to authenticated;
