-- Entitlement rules, part 1 (SPEC §4): member levels, the per-product / store / cashier
-- independent ratio settings (member-level ratios, cumulative-spend tiers, lottery), the
-- index the tiers' spend sums read, and the three priority chains that replace the engine's
-- rebate.resolve_reward_ratio.
--
-- Hot-path budget: resolving a line's ratio reads the product / store / cashier row the
-- engine reads anyway (plus the store row for store online lines); the member's level is read
-- only when a level ratio is set on the chain; a tier sums the member's completed orders of
-- its window through a covering partial index (orders_completed_spend_idx): never the
-- member's whole history. No trigger is added to the hot tables (orders, lines, entries,
-- messages): the settlement path and the bench's bulk preload stay as they are.
--
-- Level at order time: the member's level when the order is paid, the moment its lines join
-- their queues and their ratios are fixed; a later change of level never changes an entry.

-- ============================================================ functions (used by checks)
-- Cumulative-spend tiers: [{"days": 1..3660, "min_fen": 1..10^11, "bps": 0..100000}, …], at most 10.
create or replace function rebate.valid_tiers(p jsonb) returns boolean
language sql immutable set search_path = ''
as $$
  select jsonb_typeof(p) = 'array'
     and jsonb_array_length(p) <= 10
     and not exists (
       select 1 from jsonb_array_elements(p) t
        where jsonb_typeof(t) <> 'object'
           or (select count(*) from jsonb_object_keys(t)) <> 3
           or jsonb_typeof(t -> 'days') is distinct from 'number'
           or jsonb_typeof(t -> 'min_fen') is distinct from 'number'
           or jsonb_typeof(t -> 'bps') is distinct from 'number'
           or (t ->> 'days')::numeric <> trunc((t ->> 'days')::numeric)
           or (t ->> 'min_fen')::numeric <> trunc((t ->> 'min_fen')::numeric)
           or (t ->> 'bps')::numeric <> trunc((t ->> 'bps')::numeric)
           or (t ->> 'days')::numeric not between 1 and 3660
           or (t ->> 'min_fen')::numeric not between 1 and 100000000000
           or (t ->> 'bps')::numeric not between 0 and 100000)
$$;

-- ============================================================ tables
-- Member levels exist since the members migration (rebate.member_levels: id, name, rank).

-- Independent settings (独立设置) of products (商品 / 门店商品), stores (门店设置) and cashiers
-- (收银台): on/off, reward and extraction ratios exist already; these are the rest of §4.
alter table rebate.products
  add column level_reward_bps jsonb not null default '{}',
  add column tiers            jsonb not null default '[]',
  add column lottery_mode     text not null default 'off',
  add column lottery_options  jsonb not null default '[]',
  add column lottery_min_bps  integer not null default 1000,
  add column lottery_max_bps  integer not null default 10000,
  add constraint products_level_reward_bps check (rebate.valid_level_ratios(level_reward_bps)),
  add constraint products_tiers check (rebate.valid_tiers(tiers)),
  add constraint products_lottery_mode check (lottery_mode in ('off', 'fixed', 'interval')),
  add constraint products_lottery_options check (rebate.valid_lottery_options(lottery_options)),
  add constraint products_lottery_range check (lottery_min_bps between 1 and 100000 and lottery_max_bps between 1 and 100000
                                               and lottery_min_bps <= lottery_max_bps),
  add constraint products_lottery_fixed check (lottery_mode <> 'fixed' or jsonb_array_length(lottery_options) > 0);

alter table rebate.stores
  add column level_reward_bps jsonb not null default '{}',
  add column tiers            jsonb not null default '[]',
  add column lottery_mode     text not null default 'off',
  add column lottery_options  jsonb not null default '[]',
  add column lottery_min_bps  integer not null default 1000,
  add column lottery_max_bps  integer not null default 10000,
  add constraint stores_level_reward_bps check (rebate.valid_level_ratios(level_reward_bps)),
  add constraint stores_tiers check (rebate.valid_tiers(tiers)),
  add constraint stores_lottery_mode check (lottery_mode in ('off', 'fixed', 'interval')),
  add constraint stores_lottery_options check (rebate.valid_lottery_options(lottery_options)),
  add constraint stores_lottery_range check (lottery_min_bps between 1 and 100000 and lottery_max_bps between 1 and 100000
                                             and lottery_min_bps <= lottery_max_bps),
  add constraint stores_lottery_fixed check (lottery_mode <> 'fixed' or jsonb_array_length(lottery_options) > 0);

alter table rebate.cashiers
  add column level_reward_bps jsonb not null default '{}',
  add column tiers            jsonb not null default '[]',
  add column lottery_mode     text not null default 'off',
  add column lottery_options  jsonb not null default '[]',
  add column lottery_min_bps  integer not null default 1000,
  add column lottery_max_bps  integer not null default 10000,
  add constraint cashiers_level_reward_bps check (rebate.valid_level_ratios(level_reward_bps)),
  add constraint cashiers_tiers check (rebate.valid_tiers(tiers)),
  add constraint cashiers_lottery_mode check (lottery_mode in ('off', 'fixed', 'interval')),
  add constraint cashiers_lottery_options check (rebate.valid_lottery_options(lottery_options)),
  add constraint cashiers_lottery_range check (lottery_min_bps between 1 and 100000 and lottery_max_bps between 1 and 100000
                                               and lottery_min_bps <= lottery_max_bps),
  add constraint cashiers_lottery_fixed check (lottery_mode <> 'fixed' or jsonb_array_length(lottery_options) > 0);

-- ============================================================ indexes
-- Cumulative spend (SPEC §4): a member's completed orders by completion time, covering what
-- the tier sums read (cash paid less refunded, channel, store).
create index orders_completed_spend_idx on rebate.orders (member_id, completed_at)
  include (channel, store_id, pay_fen, refunded_fen) where status = 'completed';

-- ============================================================ functions
-- Today in Asia/Shanghai (SPEC §2: day boundaries are Shanghai days).
create or replace function rebate.shanghai_day(p_at timestamptz) returns date
language sql immutable parallel safe
as $$ select (p_at at time zone 'Asia/Shanghai')::date $$;

-- The ratio of the highest tier the member meets, or null (SPEC §4: "the highest qualifying
-- tier's ratio wins"). A tier of N days sums the cash paid less refunded of the member's
-- completed orders whose completion falls on today (p_day, Asia/Shanghai) or the N − 1 days
-- before: mall orders when p_store_id is null (chain 1: self-operated, supplier and
-- supply-chain lines), else that store's online orders and cashier payments (chains 2, 3).
create or replace function rebate.tier_ratio(p_tiers jsonb, p_member uuid, p_store_id bigint, p_day date)
returns integer
language sql stable
as $$
  select pg_catalog.max((t ->> 'bps')::integer)
    from pg_catalog.jsonb_array_elements(p_tiers) t
   where (select coalesce(pg_catalog.sum(o.pay_fen - o.refunded_fen), 0)
            from rebate.orders o
           where o.member_id = p_member and o.status = 'completed'
             and o.completed_at >= ((p_day - (t ->> 'days')::integer + 1)::timestamp at time zone 'Asia/Shanghai')
             and case when p_store_id is null then o.channel = 'mall'
                      else o.channel <> 'mall' and o.store_id = p_store_id end) >= (t ->> 'min_fen')::bigint
$$;

-- Level keys of a ratio map must be existing member levels.
create or replace function rebate.check_level_keys() returns trigger
language plpgsql set search_path = ''
as $$
begin
  if exists (select 1 from jsonb_object_keys(new.level_reward_bps) k
              where not exists (select 1 from rebate.member_levels l where l.id = k::smallint)) then
    raise exception using errcode = 'check_violation', message = 'unknown_member_level',
      hint = '会员等级不存在';
  end if;
  return new;
end;
$$;

create trigger settings_check_level_keys before insert or update of level_reward_bps on rebate.settings
  for each row execute function rebate.check_level_keys();
create trigger products_check_level_keys before insert or update of level_reward_bps on rebate.products
  for each row when (new.level_reward_bps <> '{}') execute function rebate.check_level_keys();
create trigger stores_check_level_keys before insert or update of level_reward_bps on rebate.stores
  for each row when (new.level_reward_bps <> '{}') execute function rebate.check_level_keys();
create trigger cashiers_check_level_keys before insert or update of level_reward_bps on rebate.cashiers
  for each row when (new.level_reward_bps <> '{}') execute function rebate.check_level_keys();

-- Reward ratio (奖励权益比例) of a line and the rule that gave it: the priority chains of
-- SPEC §4, walked top-down; the first rule that is set and applies wins.
--   (1) mall:    商品会员等级 → 会员等级 → 商品累计消费 → 商品抽奖 → 抽奖 → 商品独立比例 → 默认比例
--   (2) cashier: 收银台会员等级 → 会员等级 → 收银台累计消费 → 收银台抽奖 → 抽奖 → 收银台默认比例 → 默认比例
--   (3) store:   门店商品会员等级 → 门店会员等级 → 会员等级 → 门店商品累计消费 → 门店累计消费
--                → 门店商品抽奖 → 门店抽奖 → 抽奖 → 门店商品默认比例 → 门店默认比例 → 默认比例
-- A lottery rule gives the fallback ratio (the first independent/default ratio further down
-- the chain); the member may then draw once (rebate.draw_lottery).
create or replace function rebate.resolve_reward_ratio(
  p_line rebate.order_lines, p_order rebate.orders, p_settings rebate.settings,
  out ratio_bps integer, out rule_code text, out rule_label text)
language plpgsql stable set search_path = ''
as $$
declare
  v_day constant date := rebate.shanghai_day(now());
  v_level text;          -- the member's level, read only when a level ratio is set on the chain
  -- the product (mall, store online) or the cashier: its level ratios, tiers, lottery, own ratio
  a_levels jsonb;
  a_tiers jsonb;
  a_lottery text;
  a_bps integer;
  -- the store (store online)
  b_levels jsonb;
  b_tiers jsonb;
  b_lottery text;
  b_bps integer;
begin
  if p_order.channel = 'cashier' then
    select c.level_reward_bps, c.tiers, c.lottery_mode, c.reward_bps into a_levels, a_tiers, a_lottery, a_bps
      from rebate.cashiers c where c.id = p_order.cashier_id;
  else
    select p.level_reward_bps, p.tiers, p.lottery_mode, p.reward_bps into a_levels, a_tiers, a_lottery, a_bps
      from rebate.products p where p.id = p_line.product_id;
  end if;
  if p_order.channel = 'store' then
    select st.level_reward_bps, st.tiers, st.lottery_mode, st.reward_bps into b_levels, b_tiers, b_lottery, b_bps
      from rebate.stores st where st.id = p_order.store_id;
  end if;
  if a_levels <> '{}' or b_levels <> '{}' or p_settings.level_reward_bps <> '{}' then
    v_level := (select m.level_id::text from rebate.members m where m.id = p_order.member_id);
  end if;

  if p_order.channel = 'mall' then
    -- (1) 商品会员等级 → 会员等级 → 商品累计消费 → 商品抽奖 → 抽奖 → 商品独立比例 → 默认比例
    ratio_bps := (a_levels ->> v_level)::integer;
    if ratio_bps is not null then
      rule_code := 'product_level'; rule_label := '商品会员等级'; return;
    end if;
    ratio_bps := (p_settings.level_reward_bps ->> v_level)::integer;
    if ratio_bps is not null then
      rule_code := 'plugin_level'; rule_label := '会员等级'; return;
    end if;
    if a_tiers <> '[]' then
      ratio_bps := rebate.tier_ratio(a_tiers, p_order.member_id, null, v_day);
      if ratio_bps is not null then
        rule_code := 'product_tier'; rule_label := '商品累计消费'; return;
      end if;
    end if;
    ratio_bps := coalesce(a_bps, p_settings.default_reward_bps);
    if a_lottery <> 'off' then
      rule_code := 'product_lottery'; rule_label := '商品抽奖'; return;
    end if;
    if p_settings.lottery_mode <> 'off' then
      rule_code := 'plugin_lottery'; rule_label := '抽奖'; return;
    end if;
    if a_bps is not null then
      rule_code := 'product_ratio'; rule_label := '商品独立比例'; return;
    end if;

  elsif p_order.channel = 'store' then
    -- (3) 门店商品会员等级 → 门店会员等级 → 会员等级 → 门店商品累计消费 → 门店累计消费 → 门店商品抽奖
    --     → 门店抽奖 → 抽奖 → 门店商品默认比例 → 门店默认比例 → 默认比例
    ratio_bps := (a_levels ->> v_level)::integer;
    if ratio_bps is not null then
      rule_code := 'store_product_level'; rule_label := '门店商品会员等级'; return;
    end if;
    ratio_bps := (b_levels ->> v_level)::integer;
    if ratio_bps is not null then
      rule_code := 'store_level'; rule_label := '门店会员等级'; return;
    end if;
    ratio_bps := (p_settings.level_reward_bps ->> v_level)::integer;
    if ratio_bps is not null then
      rule_code := 'plugin_level'; rule_label := '会员等级'; return;
    end if;
    if a_tiers <> '[]' then
      ratio_bps := rebate.tier_ratio(a_tiers, p_order.member_id, p_order.store_id, v_day);
      if ratio_bps is not null then
        rule_code := 'store_product_tier'; rule_label := '门店商品累计消费'; return;
      end if;
    end if;
    if b_tiers <> '[]' then
      ratio_bps := rebate.tier_ratio(b_tiers, p_order.member_id, p_order.store_id, v_day);
      if ratio_bps is not null then
        rule_code := 'store_tier'; rule_label := '门店累计消费'; return;
      end if;
    end if;
    ratio_bps := coalesce(a_bps, b_bps, p_settings.default_reward_bps);
    if a_lottery <> 'off' then
      rule_code := 'store_product_lottery'; rule_label := '门店商品抽奖'; return;
    end if;
    if b_lottery <> 'off' then
      rule_code := 'store_lottery'; rule_label := '门店抽奖'; return;
    end if;
    if p_settings.lottery_mode <> 'off' then
      rule_code := 'plugin_lottery'; rule_label := '抽奖'; return;
    end if;
    if a_bps is not null then
      rule_code := 'store_product_ratio'; rule_label := '门店商品默认比例'; return;
    end if;
    if b_bps is not null then
      rule_code := 'store_ratio'; rule_label := '门店默认比例'; return;
    end if;

  else
    -- (2) 收银台会员等级 → 会员等级 → 收银台累计消费 → 收银台抽奖 → 抽奖 → 收银台默认比例 → 默认比例
    ratio_bps := (a_levels ->> v_level)::integer;
    if ratio_bps is not null then
      rule_code := 'cashier_level'; rule_label := '收银台会员等级'; return;
    end if;
    ratio_bps := (p_settings.level_reward_bps ->> v_level)::integer;
    if ratio_bps is not null then
      rule_code := 'plugin_level'; rule_label := '会员等级'; return;
    end if;
    if a_tiers <> '[]' then
      ratio_bps := rebate.tier_ratio(a_tiers, p_order.member_id, p_order.store_id, v_day);
      if ratio_bps is not null then
        rule_code := 'cashier_tier'; rule_label := '收银台累计消费'; return;
      end if;
    end if;
    ratio_bps := coalesce(a_bps, p_settings.default_reward_bps);
    if a_lottery <> 'off' then
      rule_code := 'cashier_lottery'; rule_label := '收银台抽奖'; return;
    end if;
    if p_settings.lottery_mode <> 'off' then
      rule_code := 'plugin_lottery'; rule_label := '抽奖'; return;
    end if;
    if a_bps is not null then
      rule_code := 'cashier_ratio'; rule_label := '收银台默认比例'; return;
    end if;
  end if;
  ratio_bps := p_settings.default_reward_bps;
  rule_code := 'plugin_default';
  rule_label := '默认比例';
end;
$$;

-- ============================================================ functions: admin (member levels)
-- All member levels with how many members hold each.
create or replace function public.admin_list_member_levels() returns jsonb
language plpgsql stable security definer set search_path = ''
as $$
begin
  perform rebate.require_admin();
  return coalesce((
    select jsonb_agg(jsonb_build_object('id', l.id, 'name', l.name, 'rank', l.rank,
                                        'member_count', (select count(*) from rebate.members m where m.level_id = l.id))
                     order by l.rank, l.id)
      from rebate.member_levels l), '[]');
end;
$$;

-- Creates (p_id null: the next free id) or renames / re-ranks a member level.
create or replace function public.admin_save_member_level(p_id smallint, p_name text, p_rank smallint) returns jsonb
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_id smallint := p_id;
begin
  perform rebate.require_admin();
  if p_id is not null and p_id not between 0 and 9999 then
    raise exception using errcode = 'P0001', message = 'invalid_level', hint = '会员等级编号应在 0 到 9999 之间';
  end if;
  if p_name is null or char_length(btrim(p_name)) not between 1 and 20 or p_name ~ '[[:cntrl:]]' then
    raise exception using errcode = 'P0001', message = 'invalid_level_name', hint = '等级名称应为 1 到 20 个字';
  end if;
  if p_rank is null or p_rank not between 0 and 1000 then
    raise exception using errcode = 'P0001', message = 'invalid_level_rank', hint = '等级排序应在 0 到 1000 之间';
  end if;
  perform pg_advisory_xact_lock(hashtextextended('rebate-member-levels', 0));
  if exists (select 1 from rebate.member_levels l where l.rank = p_rank and l.id is distinct from v_id) then
    raise exception using errcode = 'P0001', message = 'level_rank_taken', hint = '已有相同排序的会员等级';
  end if;
  if v_id is null then
    v_id := coalesce((select max(l.id) from rebate.member_levels l), 0) + 1;
    if v_id > 9999 then
      raise exception using errcode = 'P0001', message = 'invalid_level', hint = '会员等级数量已达上限';
    end if;
  end if;
  insert into rebate.member_levels as l (id, name, rank) values (v_id, btrim(p_name), p_rank)
  on conflict (id) do update set name = excluded.name, rank = excluded.rank;
  return (select jsonb_build_object('id', l.id, 'name', l.name, 'rank', l.rank) from rebate.member_levels l where l.id = v_id);
end;
$$;

-- Deletes a level no member holds (the base level 0 stays); its ratios are removed everywhere.
create or replace function public.admin_delete_member_level(p_id smallint) returns boolean
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_key text := p_id::text;
begin
  perform rebate.require_admin();
  if p_id is null or p_id = 0 then
    raise exception using errcode = 'P0001', message = 'level_protected', hint = '基础会员等级不能删除';
  end if;
  perform pg_advisory_xact_lock(hashtextextended('rebate-member-levels', 0));
  if not exists (select 1 from rebate.member_levels l where l.id = p_id) then
    raise exception using errcode = 'P0001', message = 'level_not_found', hint = '会员等级不存在';
  end if;
  if exists (select 1 from rebate.members m where m.level_id = p_id) then
    raise exception using errcode = 'P0001', message = 'level_in_use', hint = '仍有会员属于该等级，不能删除';
  end if;
  update rebate.settings s set level_reward_bps = s.level_reward_bps - v_key where s.level_reward_bps ? v_key;
  update rebate.products x set level_reward_bps = x.level_reward_bps - v_key where x.level_reward_bps ? v_key;
  update rebate.stores x set level_reward_bps = x.level_reward_bps - v_key where x.level_reward_bps ? v_key;
  update rebate.cashiers x set level_reward_bps = x.level_reward_bps - v_key where x.level_reward_bps ? v_key;
  delete from rebate.member_levels l where l.id = p_id;
  return true;
end;
$$;

-- Sets a member's level (by member code). Orders placed from now on use it.
create or replace function public.admin_set_member_level(p_member_code text, p_level_id smallint) returns jsonb
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_id uuid;
begin
  perform rebate.require_admin();
  if not exists (select 1 from rebate.member_levels l where l.id = p_level_id) then
    raise exception using errcode = 'P0001', message = 'level_not_found', hint = '会员等级不存在';
  end if;
  update rebate.members m set level_id = p_level_id where m.member_code = upper(btrim(p_member_code))
  returning m.id into v_id;
  if v_id is null then
    raise exception using errcode = 'P0001', message = 'member_not_found', hint = '会员不存在';
  end if;
  return (select jsonb_build_object('member_code', m.member_code, 'nickname', m.nickname, 'level_id', m.level_id,
                                    'level_name', l.name)
            from rebate.members m join rebate.member_levels l on l.id = m.level_id where m.id = v_id);
end;
$$;

-- ============================================================ grants
revoke all on function rebate.valid_tiers(jsonb), rebate.shanghai_day(timestamptz),
  rebate.tier_ratio(jsonb, uuid, bigint, date), rebate.check_level_keys(),
  rebate.resolve_reward_ratio(rebate.order_lines, rebate.orders, rebate.settings)
  from public, anon, authenticated;

revoke all on function public.admin_list_member_levels(), public.admin_save_member_level(smallint, text, smallint),
  public.admin_delete_member_level(smallint), public.admin_set_member_level(text, smallint)
  from public, anon, authenticated, service_role;
grant execute on function public.admin_list_member_levels(), public.admin_save_member_level(smallint, text, smallint),
  public.admin_delete_member_level(smallint), public.admin_set_member_level(text, smallint)
  to authenticated;
