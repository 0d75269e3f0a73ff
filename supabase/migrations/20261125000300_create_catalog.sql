-- Catalog of the queue rebate programme: the plugin base settings (SPEC §5, one row),
-- stores with their cashier, and products (self-operated, supplier, supply-chain, store).
-- Admin RPCs that read and change them live here too.
-- Money is bigint fen, ratios are integer basis points (10000 = 100%).

-- ============================================================ functions (used by checks)
-- Per-member-level reward ratios: {"<level id>": <bps>, …}.
create or replace function rebate.valid_level_ratios(p jsonb) returns boolean
language sql immutable set search_path = ''
as $$
  select jsonb_typeof(p) = 'object'
     and not exists (
       select 1 from jsonb_each(p) e
        where e.key !~ '^[0-9]{1,4}$'
           or jsonb_typeof(e.value) <> 'number'
           or (e.value)::numeric <> trunc((e.value)::numeric)
           or (e.value)::numeric < 0 or (e.value)::numeric > 100000)
$$;

-- Fixed lottery options: [{"bps": <1..100000>, "weight": <1..1000000>}, …], at most 20.
create or replace function rebate.valid_lottery_options(p jsonb) returns boolean
language sql immutable set search_path = ''
as $$
  select jsonb_typeof(p) = 'array'
     and jsonb_array_length(p) <= 20
     and not exists (
       select 1 from jsonb_array_elements(p) o
        where jsonb_typeof(o) <> 'object'
           or (select count(*) from jsonb_object_keys(o)) <> 2
           or jsonb_typeof(o -> 'bps') is distinct from 'number'
           or jsonb_typeof(o -> 'weight') is distinct from 'number'
           or (o ->> 'bps')::numeric <> trunc((o ->> 'bps')::numeric)
           or (o ->> 'weight')::numeric <> trunc((o ->> 'weight')::numeric)
           or (o ->> 'bps')::numeric not between 1 and 100000
           or (o ->> 'weight')::numeric not between 1 and 1000000)
$$;

-- ============================================================ tables
-- SPEC §5: one validated row. Fields for behaviour that later issues implement (lottery,
-- exchange, random return, clearing) exist already with their defaults.
create table rebate.settings (
  id                     smallint primary key default 1 check (id = 1),
  enabled                boolean not null default false,               -- §5.1 开启排队返利
  new_product_rebate     boolean not null default true,                -- §5.2 商品排队返利
  deduction_participates boolean not null default true,                -- §5.4 抵扣订单开关
  settle_event           text not null default 'paid'                  -- §5.5 结算事件
                         check (settle_event in ('paid', 'completed')),
  reward_rule            text not null default 'queue_order'           -- §5.6 待奖励队列奖励规则
                         check (reward_rule in ('queue_order', 'completed_queue_order')),
  display_name           text not null default '排队返利' check (char_length(display_name) between 1 and 12),  -- §5.7
  exchange_name          text not null default '兑换' check (char_length(exchange_name) between 1 and 8),        -- §5.8
  extraction_bps         integer not null default 1000 check (extraction_bps between 0 and 10000),          -- §5.9
  default_reward_bps     integer not null default 10000 check (default_reward_bps between 0 and 100000),    -- §5.10
  level_reward_bps       jsonb not null default '{}' check (rebate.valid_level_ratios(level_reward_bps)),  -- §5.10
  lottery_mode           text not null default 'off' check (lottery_mode in ('off', 'fixed', 'interval')), -- §5.11
  lottery_options        jsonb not null default '[]' check (rebate.valid_lottery_options(lottery_options)),
  lottery_min_bps        integer not null default 1000 check (lottery_min_bps between 1 and 100000),
  lottery_max_bps        integer not null default 10000 check (lottery_max_bps between 1 and 100000),
  points_exchange_bps    integer not null default 10000 check (points_exchange_bps between 0 and 1000000),  -- §5.12
  love_exchange_bps      integer not null default 10000 check (love_exchange_bps between 0 and 1000000),
  love_exchange_frozen   boolean not null default false,
  merchant_queue         boolean not null default false,               -- §5.13 开启商家队列
  all_stores_queue       boolean not null default false,               -- §5.14 所有门店队列
  all_cashiers_queue     boolean not null default false,               -- §5.15 所有收银台队列
  random_return_enabled  boolean not null default false,               -- §5.16 开启随机返
  random_cash_count      smallint not null default 1 check (random_cash_count between 0 and 100),
  random_points_count    smallint not null default 0 check (random_points_count between 0 and 100),
  clearing_enabled       boolean not null default false,               -- §5.17 开启队列奖励清零
  clearing_schedule      text not null default 'daily'
                         check (clearing_schedule in ('daily', 'weekly', 'monthly', 'once')),
  clearing_time          time not null default '00:00',                -- Asia/Shanghai wall clock
  clearing_weekday       smallint not null default 1 check (clearing_weekday between 1 and 7),   -- ISO, 1 = Monday
  clearing_monthday      smallint not null default 1 check (clearing_monthday between 1 and 31), -- clamped to month end
  clearing_at            timestamptz,                                  -- for 'once'
  paused                 boolean not null default false,               -- §5.18 队列奖励暂停
  show_process           boolean not null default true,                -- §5.19 队列进程
  show_received          boolean not null default true,                -- §5.20 累计奖励
  show_waiting           boolean not null default true,                -- §5.21 待奖励
  show_member_info       boolean not null default true,                -- §5.22 会员信息
  show_waiting_amount    boolean not null default true,                -- §5.23 待奖励金额
  bulk_enabled_at        timestamptz,                                  -- §5.3 一键启用, last run
  updated_at             timestamptz not null default now(),
  updated_by             uuid references rebate.members (id),
  constraint settings_lottery_interval check (lottery_min_bps <= lottery_max_bps),
  constraint settings_lottery_fixed check (lottery_mode <> 'fixed' or jsonb_array_length(lottery_options) > 0),
  constraint settings_random_group check (random_cash_count + random_points_count between 1 and 100),
  constraint settings_clearing_once check (clearing_schedule <> 'once' or clearing_at is not null)
);

-- What admin_update_settings accepts: one row per settable field, with its type and range.
-- Later issues add their fields with one insert here.
create table rebate.setting_fields (
  name       text primary key,
  kind       text not null check (kind in ('boolean', 'integer', 'text', 'choice', 'json', 'time', 'timestamptz')),
  min_value  bigint,
  max_value  bigint,
  choices    text[],
  label      text not null
);

create table rebate.stores (
  id              bigint generated by default as identity primary key,
  code            text not null unique check (code ~ '^[A-Z0-9]{4,16}$'),
  name            text not null check (char_length(name) between 1 and 40),
  status          text not null default 'pending' check (status in ('pending', 'approved', 'suspended')),
  owner_member_id uuid references rebate.members (id),
  rebate_enabled  boolean not null default true,      -- 门店排队返利 on/off (its online products)
  extraction_bps  integer check (extraction_bps between 0 and 10000),
  reward_bps      integer check (reward_bps between 0 and 100000),   -- 门店设置 默认奖励权益
  created_at      timestamptz not null default now()
);

-- Each store has exactly one cashier (收银台), created with it.
create table rebate.cashiers (
  id              bigint generated by default as identity primary key,
  store_id        bigint not null unique references rebate.stores (id),
  code            text not null unique check (code ~ '^[A-Z0-9]{4,20}$'),
  rebate_enabled  boolean not null default true,
  extraction_bps  integer check (extraction_bps between 0 and 10000),
  reward_bps      integer check (reward_bps between 0 and 100000),   -- 收银台 默认奖励权益
  created_at      timestamptz not null default now()
);

create table rebate.products (
  id              bigint generated by default as identity primary key,
  sku             text unique check (sku ~ '^[A-Za-z0-9_-]{1,32}$'),
  kind            text not null check (kind in ('self', 'supplier', 'supply_chain', 'store')),
  store_id        bigint references rebate.stores (id),
  name            text not null check (char_length(name) between 1 and 60),
  price_fen       bigint not null check (price_fen between 1 and 100000000),
  listed          boolean not null default true,
  rebate_enabled  boolean not null,                   -- default from settings.new_product_rebate (trigger)
  extraction_bps  integer check (extraction_bps between 0 and 10000),
  reward_bps      integer check (reward_bps between 0 and 100000),   -- 商品独立比例
  created_at      timestamptz not null default now(),
  updated_at      timestamptz not null default now(),
  constraint products_store_kind check ((kind = 'store') = (store_id is not null))
);

-- ============================================================ indexes
create index products_store_idx on rebate.products (store_id) where store_id is not null;
create index products_mall_idx on rebate.products (id) where kind <> 'store';

-- ============================================================ functions
-- Raises unless the caller is a signed-in member; returns the member id.
create or replace function rebate.require_member() returns uuid
language plpgsql stable set search_path = ''
as $$
declare
  v_uid uuid := (select auth.uid());
begin
  if v_uid is null then
    raise exception using errcode = 'P0001', message = 'not_signed_in', hint = '请先登录';
  end if;
  if not exists (select 1 from rebate.members m where m.id = v_uid) then
    raise exception using errcode = 'P0001', message = 'not_member', hint = '会员不存在，请重新登录';
  end if;
  return v_uid;
end;
$$;

-- Raises unless the caller is a member with the admin role; returns the member id.
create or replace function rebate.require_admin() returns uuid
language plpgsql stable set search_path = ''
as $$
declare
  v_uid uuid := rebate.require_member();
begin
  if not exists (select 1 from rebate.members m where m.id = v_uid and m.is_admin) then
    raise exception using errcode = 'P0001', message = 'not_admin', hint = '需要管理员权限';
  end if;
  return v_uid;
end;
$$;

-- An integer from a JSON value, or null unless it is a JSON number, integral, within [min, max].
-- (JSON has no NaN; huge numbers such as 1e400 are refused by the range test before any cast.)
create or replace function rebate.json_int(p jsonb, p_min bigint, p_max bigint) returns bigint
language plpgsql immutable set search_path = ''
as $$
declare
  v numeric;
begin
  if p is null or jsonb_typeof(p) <> 'number' then
    return null;
  end if;
  v := p::numeric;
  if v < p_min or v > p_max or v <> trunc(v) then
    return null;
  end if;
  return v::bigint;
end;
$$;

-- New products get rebate on/off from settings.new_product_rebate unless given (§5.2).
create or replace function rebate.products_before_insert() returns trigger
language plpgsql set search_path = ''
as $$
begin
  if new.rebate_enabled is null then
    new.rebate_enabled := coalesce((select s.new_product_rebate from rebate.settings s where s.id = 1), true);
  end if;
  return new;
end;
$$;

create trigger products_before_insert before insert on rebate.products
  for each row execute function rebate.products_before_insert();

-- The settings as JSON for the admin page.
create or replace function public.admin_get_settings() returns jsonb
language plpgsql stable security definer set search_path = ''
as $$
begin
  perform rebate.require_admin();
  return (select to_jsonb(s) - 'id' from rebate.settings s where s.id = 1);
end;
$$;

-- Updates the given settings fields (a JSON object: field → value); validates every field.
create or replace function public.admin_update_settings(p_patch jsonb) returns jsonb
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_uid uuid := rebate.require_admin();
  v_key text;
  v_val jsonb;
  f rebate.setting_fields;
  v_cols text;
  v_vals text;
  v_ok boolean;
begin
  if p_patch is null or jsonb_typeof(p_patch) <> 'object' or p_patch = '{}'::jsonb then
    raise exception using errcode = 'P0001', message = 'invalid_settings', hint = '设置内容无效';
  end if;
  for v_key, v_val in select e.key, e.value from jsonb_each(p_patch) e loop
    select * into f from rebate.setting_fields sf where sf.name = v_key;
    if not found then
      raise exception using errcode = 'P0001', message = 'unknown_setting', hint = '未知的设置项：' || left(v_key, 40);
    end if;
    v_ok := case f.kind
        when 'boolean' then jsonb_typeof(v_val) = 'boolean'
        when 'integer' then rebate.json_int(v_val, f.min_value, f.max_value) is not null
        when 'text' then jsonb_typeof(v_val) = 'string'
                         and char_length(v_val #>> '{}') between coalesce(f.min_value, 0) and coalesce(f.max_value, 100)
                         and (v_val #>> '{}') !~ '[[:cntrl:]]'
        when 'choice' then jsonb_typeof(v_val) = 'string' and (v_val #>> '{}') = any (f.choices)
        when 'json' then jsonb_typeof(v_val) in ('object', 'array')
        when 'time' then jsonb_typeof(v_val) = 'string' and (v_val #>> '{}') ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'
        when 'timestamptz' then jsonb_typeof(v_val) = 'null'
                         or (jsonb_typeof(v_val) = 'string'
                             and (v_val #>> '{}') ~ '^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)$')
        else false
      end;
    if not coalesce(v_ok, false) then
      raise exception using errcode = 'P0001', message = 'invalid_setting',
        hint = f.label || '：取值无效';
    end if;
  end loop;

  select string_agg(format('%I', k), ', ' order by k), string_agg(format('r.%I', k), ', ' order by k)
    into v_cols, v_vals
    from jsonb_object_keys(p_patch) k;
  begin
    execute format(
      'update rebate.settings s set (%s) = (select %s from jsonb_populate_record(null::rebate.settings, $1) r), '
      'updated_at = now(), updated_by = $2 where s.id = 1',
      v_cols || ', id', v_vals || ', 1')
      using p_patch, v_uid;
  exception
    when check_violation or invalid_datetime_format or datetime_field_overflow then
      raise exception using errcode = 'P0001', message = 'invalid_setting', hint = '设置之间相互矛盾或取值超出范围';
  end;
  return (select to_jsonb(s) - 'id' from rebate.settings s where s.id = 1);
end;
$$;

-- Switches rebate on or off for one product (any kind).
create or replace function public.admin_set_product_rebate(p_product_id bigint, p_enabled boolean) returns boolean
language plpgsql volatile security definer set search_path = ''
as $$
begin
  perform rebate.require_admin();
  if p_enabled is null then
    raise exception using errcode = 'P0001', message = 'invalid_setting', hint = '请选择开启或关闭';
  end if;
  update rebate.products p set rebate_enabled = p_enabled, updated_at = now() where p.id = p_product_id;
  if not found then
    raise exception using errcode = 'P0001', message = 'product_not_found', hint = '商品不存在';
  end if;
  return p_enabled;
end;
$$;

-- §5.3 一键启用: rebate on for every existing mall, supplier and supply-chain product.
-- Returns how many products were switched on.
create or replace function public.admin_enable_all_products() returns integer
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_n integer;
begin
  perform rebate.require_admin();
  update rebate.products p set rebate_enabled = true, updated_at = now()
   where p.kind in ('self', 'supplier', 'supply_chain') and not p.rebate_enabled;
  get diagnostics v_n = row_count;
  update rebate.settings s set bulk_enabled_at = now() where s.id = 1;
  return v_n;
end;
$$;

-- What the queue pages need to know: names and display switches (§5.7, 5.8, 5.19–5.23).
create or replace function public.rebate_display_settings()
returns table (enabled boolean, display_name text, exchange_name text, show_process boolean,
               show_received boolean, show_waiting boolean, show_member_info boolean,
               show_waiting_amount boolean)
language sql stable security definer set search_path = ''
as $$
  select s.enabled, s.display_name, s.exchange_name, s.show_process, s.show_received,
         s.show_waiting, s.show_member_info, s.show_waiting_amount
    from rebate.settings s where s.id = 1
$$;

-- Products a member may order: listed mall products, or the listed products of one approved store.
create or replace function public.list_products(p_store_id bigint default null)
returns table (id bigint, kind text, store_id bigint, name text, price_fen bigint, rebate_enabled boolean)
language sql stable security definer set search_path = ''
as $$
  select p.id, p.kind, p.store_id, p.name, p.price_fen, p.rebate_enabled
    from rebate.products p
   where p.listed
     and (select auth.uid()) is not null
     and case when p_store_id is null then p.kind <> 'store'
              else p.store_id = p_store_id
                   and exists (select 1 from rebate.stores st where st.id = p.store_id and st.status = 'approved') end
   order by p.id
$$;

-- Approved stores with their cashier (for store pages and cashier payment).
create or replace function public.list_stores()
returns table (id bigint, code text, name text, cashier_id bigint, cashier_code text)
language sql stable security definer set search_path = ''
as $$
  select st.id, st.code, st.name, c.id, c.code
    from rebate.stores st
    left join rebate.cashiers c on c.store_id = st.id
   where st.status = 'approved' and (select auth.uid()) is not null
   order by st.id
$$;

-- ============================================================ policies
alter table rebate.settings enable row level security;
alter table rebate.setting_fields enable row level security;
alter table rebate.stores enable row level security;
alter table rebate.cashiers enable row level security;
alter table rebate.products enable row level security;

create policy "Signed-in members can read the settings"
  on rebate.settings for select to authenticated using (true);
create policy "Signed-in members can read approved stores"
  on rebate.stores for select to authenticated using (status = 'approved');
create policy "Signed-in members can read cashiers"
  on rebate.cashiers for select to authenticated using (true);
create policy "Signed-in members can read listed products"
  on rebate.products for select to authenticated using (listed);

-- ============================================================ grants
revoke all on rebate.settings, rebate.setting_fields, rebate.stores, rebate.cashiers, rebate.products
  from public, anon, authenticated;
grant select on rebate.settings, rebate.setting_fields, rebate.stores, rebate.cashiers, rebate.products
  to service_role;

revoke all on function rebate.valid_level_ratios(jsonb), rebate.valid_lottery_options(jsonb),
  rebate.require_member(), rebate.require_admin(), rebate.json_int(jsonb, bigint, bigint),
  rebate.products_before_insert()
  from public, anon, authenticated;

revoke all on function public.admin_get_settings(), public.admin_update_settings(jsonb),
  public.admin_set_product_rebate(bigint, boolean), public.admin_enable_all_products(),
  public.rebate_display_settings(), public.list_products(bigint), public.list_stores()
  from public, anon, authenticated, service_role;
grant execute on function public.admin_get_settings(), public.admin_update_settings(jsonb),
  public.admin_set_product_rebate(bigint, boolean), public.admin_enable_all_products(),
  public.rebate_display_settings(), public.list_products(bigint), public.list_stores()
  to authenticated;

-- ============================================================ data
insert into rebate.settings (id) values (1);

insert into rebate.setting_fields (name, kind, min_value, max_value, choices, label) values
  ('enabled',                'boolean', null, null, null, '开启排队返利'),
  ('new_product_rebate',     'boolean', null, null, null, '商品排队返利'),
  ('deduction_participates', 'boolean', null, null, null, '抵扣订单开关'),
  ('settle_event',           'choice',  null, null, array['paid', 'completed'], '结算事件'),
  ('reward_rule',            'choice',  null, null, array['queue_order', 'completed_queue_order'], '待奖励队列奖励规则'),
  ('display_name',           'text',    1, 12, null, '自定义名称'),
  ('exchange_name',          'text',    1, 8, null, '兑换自定义名称'),
  ('extraction_bps',         'integer', 0, 10000, null, '提取比例'),
  ('default_reward_bps',     'integer', 0, 100000, null, '默认奖励权益'),
  ('level_reward_bps',       'json',    null, null, null, '会员等级奖励权益'),
  ('lottery_mode',           'choice',  null, null, array['off', 'fixed', 'interval'], '抽奖方式'),
  ('lottery_options',        'json',    null, null, null, '抽奖固定比例'),
  ('lottery_min_bps',        'integer', 1, 100000, null, '抽奖区间下限'),
  ('lottery_max_bps',        'integer', 1, 100000, null, '抽奖区间上限'),
  ('points_exchange_bps',    'integer', 0, 1000000, null, '积分兑换比例'),
  ('love_exchange_bps',      'integer', 0, 1000000, null, '爱心值兑换比例'),
  ('love_exchange_frozen',   'boolean', null, null, null, '兑换爱心值冻结'),
  ('merchant_queue',         'boolean', null, null, null, '开启商家队列'),
  ('all_stores_queue',       'boolean', null, null, null, '所有门店队列'),
  ('all_cashiers_queue',     'boolean', null, null, null, '所有收银台队列'),
  ('random_return_enabled',  'boolean', null, null, null, '开启随机返'),
  ('random_cash_count',      'integer', 0, 100, null, '每组返现金人数'),
  ('random_points_count',    'integer', 0, 100, null, '每组返积分人数'),
  ('clearing_enabled',       'boolean', null, null, null, '开启队列奖励清零'),
  ('clearing_schedule',      'choice',  null, null, array['daily', 'weekly', 'monthly', 'once'], '清零周期'),
  ('clearing_time',          'time',    null, null, null, '清零时间'),
  ('clearing_weekday',       'integer', 1, 7, null, '每周清零日'),
  ('clearing_monthday',      'integer', 1, 31, null, '每月清零日'),
  ('clearing_at',            'timestamptz', null, null, null, '指定清零时间'),
  ('paused',                 'boolean', null, null, null, '队列奖励暂停'),
  ('show_process',           'boolean', null, null, null, '队列进程'),
  ('show_received',          'boolean', null, null, null, '累计奖励'),
  ('show_waiting',           'boolean', null, null, null, '待奖励'),
  ('show_member_info',       'boolean', null, null, null, '会员信息'),
  ('show_waiting_amount',    'boolean', null, null, null, '待奖励金额');
