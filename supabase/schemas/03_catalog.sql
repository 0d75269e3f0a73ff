-- Catalog and settings: base settings (基础设置), products, stores, cashiers and the rule columns they share
-- SPEC §3, §5.
-- The source of truth (docs/database.md): edit here, then `npm run db:diff -- <name>` writes the migration.

-- ============================================================ functions the rule checks use

-- Per-member-level reward ratios: {"<level id>": <bps>, …}.
CREATE OR REPLACE FUNCTION rebate.valid_level_ratios (
  p jsonb
)
  RETURNS boolean
  LANGUAGE sql
  IMMUTABLE
  SET search_path TO ''
  AS $function$
  select jsonb_typeof(p) = 'object'
     and not exists (
       select 1 from jsonb_each(p) e
        where e.key !~ '^[0-9]{1,4}$'
           or jsonb_typeof(e.value) <> 'number'
           or (e.value)::numeric <> trunc((e.value)::numeric)
           or (e.value)::numeric < 0 or (e.value)::numeric > 100000)
$function$;
comment on function rebate.valid_level_ratios(p jsonb) is 'Per-member-level reward ratios: {"<level id>": <bps>, …}.';
revoke all on function rebate.valid_level_ratios(p jsonb) from public, anon, authenticated, service_role;

-- Fixed lottery options: [{"bps": <1..100000>, "weight": <1..1000000>}, …], at most 20.
CREATE OR REPLACE FUNCTION rebate.valid_lottery_options (
  p jsonb
)
  RETURNS boolean
  LANGUAGE sql
  IMMUTABLE
  SET search_path TO ''
  AS $function$
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
$function$;
comment on function rebate.valid_lottery_options(p jsonb) is 'Fixed lottery options: [{"bps": <1..100000>, "weight": <1..1000000>}, …], at most 20.';
revoke all on function rebate.valid_lottery_options(p jsonb) from public, anon, authenticated, service_role;

-- Cumulative-spend tiers: [{"days": 1..3660, "min_fen": 1..10^11, "bps": 0..100000}, …], at most 10.
CREATE OR REPLACE FUNCTION rebate.valid_tiers (
  p jsonb
)
  RETURNS boolean
  LANGUAGE sql
  IMMUTABLE
  SET search_path TO ''
  AS $function$
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
$function$;
comment on function rebate.valid_tiers(p jsonb) is 'Cumulative-spend tiers: [{"days": 1..3660, "min_fen": 1..10^11, "bps": 0..100000}, …], at most 10.';
revoke all on function rebate.valid_tiers(p jsonb) from public, anon, authenticated, service_role;

-- Reward time windows: [{"start": "HH:MM", "end": "HH:MM"}, …] daily in Asia/Shanghai
-- (start inclusive, end exclusive; end "24:00" allowed; start > end crosses midnight), or
-- [{"from": "<timestamp with offset>", "to": "<timestamp with offset>"}, …] absolute periods
-- (from inclusive, to exclusive). At most 10; [] = no restriction.
CREATE OR REPLACE FUNCTION rebate.valid_windows (
  p jsonb
)
  RETURNS boolean
  LANGUAGE plpgsql
  IMMUTABLE
  SET search_path TO ''
  AS $function$
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
$function$;
comment on function rebate.valid_windows(p jsonb) is 'Reward time windows: [{"start": "HH:MM", "end": "HH:MM"}, …] daily in Asia/Shanghai (start inclusive, end exclusive; end "24:00" allowed; start > end crosses midnight), or [{"from": "<timestamp with offset>", "to": "<timestamp with offset>"}, …] absolute periods (from inclusive, to exclusive). At most 10; [] = no restriction.';
revoke all on function rebate.valid_windows(p jsonb) from public, anon, authenticated, service_role;

-- ============================================================ tables

-- The rule columns products, stores and cashiers share (独立设置: SPEC §4 ratios, §5 switches,
-- §6 lottery, reward windows and limits), declared once with their checks: each of the three
-- tables takes them with LIKE … INCLUDING DEFAULTS INCLUDING CONSTRAINTS. Never holds a row.
-- What the back office may set, and how a value is validated, is rebate.rule_fields.
CREATE TABLE "rebate"."rule_columns" (
  "rebate_enabled"   boolean NOT NULL DEFAULT true,     -- 排队返利 on/off
  "extraction_bps"   integer,                           -- 提取比例; null: the next level's
  "reward_bps"       integer,                           -- 独立/默认奖励比例; null: the next level's
  "level_reward_bps" jsonb   NOT NULL DEFAULT '{}'::jsonb,  -- 会员等级奖励比例 {"<level id>": bps}
  "tiers"            jsonb   NOT NULL DEFAULT '[]'::jsonb,  -- 累计消费阶梯 [{days, min_fen, bps}]
  "lottery_mode"     text    NOT NULL DEFAULT 'off'::text,
  "lottery_options"  jsonb   NOT NULL DEFAULT '[]'::jsonb,  -- [{bps, weight}]
  "lottery_min_bps"  integer NOT NULL DEFAULT 1000,
  "lottery_max_bps"  integer NOT NULL DEFAULT 10000,
  "reward_windows"   jsonb   NOT NULL DEFAULT '[]'::jsonb,  -- 奖励时间段
  "daily_limit"      integer,                           -- 每人每日奖励次数; null: no limit
  "total_limit"      integer,                           -- 每人累计奖励次数; null: no limit
  CONSTRAINT "rule_extraction_bps" CHECK (((extraction_bps >= 0) AND (extraction_bps <= 10000))),
  CONSTRAINT "rule_reward_bps" CHECK (((reward_bps >= 0) AND (reward_bps <= 100000))),
  CONSTRAINT "rule_level_reward_bps" CHECK (rebate.valid_level_ratios(level_reward_bps)),
  CONSTRAINT "rule_tiers" CHECK (rebate.valid_tiers(tiers)),
  CONSTRAINT "rule_lottery_mode" CHECK ((lottery_mode = ANY (ARRAY['off'::text, 'fixed'::text, 'interval'::text]))),
  CONSTRAINT "rule_lottery_options" CHECK (rebate.valid_lottery_options(lottery_options)),
  CONSTRAINT "rule_lottery_fixed" CHECK (((lottery_mode <> 'fixed'::text) OR (jsonb_array_length(lottery_options) > 0))),
  CONSTRAINT "rule_lottery_range"
    CHECK (((lottery_min_bps >= 1) AND (lottery_min_bps <= 100000) AND (lottery_max_bps >= 1) AND (lottery_max_bps <= 100000) AND (lottery_min_bps <= lottery_max_bps))),
  CONSTRAINT "rule_reward_windows" CHECK (rebate.valid_windows(reward_windows)),
  CONSTRAINT "rule_limits" CHECK (((daily_limit >= 0) AND (daily_limit <= 1000000) AND (total_limit >= 0) AND (total_limit <= 1000000)))
);

ALTER TABLE "rebate"."rule_columns"
  ENABLE ROW LEVEL SECURITY;

-- Random return (随机返, SPEC §7) overrides of stores and cashiers, declared once likewise.
CREATE TABLE "rebate"."random_return_columns" (
  "random_return"       text     NOT NULL DEFAULT 'inherit'::text,  -- inherit | on | off
  "random_cash_count"   smallint NOT NULL DEFAULT 1,                -- 每组返现金人数
  "random_points_count" smallint NOT NULL DEFAULT 0,                -- 每组返积分人数
  CONSTRAINT "random_return_mode" CHECK ((random_return = ANY (ARRAY['inherit'::text, 'on'::text, 'off'::text]))),
  CONSTRAINT "random_return_group"
    CHECK (((random_cash_count >= 0) AND (random_cash_count <= 100) AND (random_points_count >= 0) AND (random_points_count <= 100)
            AND ((random_cash_count + random_points_count) >= 1) AND ((random_cash_count + random_points_count) <= 100)))
);

ALTER TABLE "rebate"."random_return_columns"
  ENABLE ROW LEVEL SECURITY;

-- What the back office may set on a product, store or cashier (admin_update_rule_settings,
-- admin_update_store, admin_update_cashier), and how each value is checked
-- (rebate.rule_value_ok): the one validator of the rule columns.
CREATE TABLE "rebate"."rule_fields" (
  "name"        text    NOT NULL,
  "kind"        text    NOT NULL,
  "min_value"   bigint,
  "max_value"   bigint,
  "nullable"    boolean NOT NULL DEFAULT false,     -- null means: inherit, or no limit
  "choices"     text[],
  "label"       text    NOT NULL,
  "random_only" boolean NOT NULL DEFAULT false,     -- stores and cashiers only
  "targets"     text[],                             -- only these targets (product, store, cashier); null: the rule columns every target has
  CONSTRAINT "rule_fields_pkey" PRIMARY KEY (name),
  CONSTRAINT "rule_fields_kind" CHECK ((kind = ANY (ARRAY['boolean'::text, 'integer'::text, 'choice'::text, 'levels'::text, 'tiers'::text, 'lottery_options'::text, 'windows'::text])))
);

ALTER TABLE "rebate"."rule_fields"
  ENABLE ROW LEVEL SECURITY;

-- SPEC §5: one validated row. Fields for behaviour that later issues implement (lottery,
-- exchange, random return, clearing) exist already with their defaults.
CREATE TABLE "rebate"."settings" (
  "id"                     smallint                 NOT NULL DEFAULT 1,
  "enabled"                boolean                  NOT NULL DEFAULT false,  -- §5.1 开启排队返利
  "new_product_rebate"     boolean                  NOT NULL DEFAULT true,  -- §5.2 商品排队返利
  "deduction_participates" boolean                  NOT NULL DEFAULT true,  -- §5.4 抵扣订单开关
  "settle_event"           text                     NOT NULL DEFAULT 'paid'::text,  -- §5.5 结算事件
  "reward_rule"            text                     NOT NULL DEFAULT 'queue_order'::text,  -- §5.6 待奖励队列奖励规则
  "display_name"           text                     NOT NULL DEFAULT '排队返利'::text,  -- §5.7
  "exchange_name"          text                     NOT NULL DEFAULT '兑换'::text,  -- §5.8
  "extraction_bps"         integer                  NOT NULL DEFAULT 1000,  -- §5.9
  "default_reward_bps"     integer                  NOT NULL DEFAULT 10000,  -- §5.10
  "level_reward_bps"       jsonb                    NOT NULL DEFAULT '{}'::jsonb,  -- §5.10
  "lottery_mode"           text                     NOT NULL DEFAULT 'off'::text,  -- §5.11
  "lottery_options"        jsonb                    NOT NULL DEFAULT '[]'::jsonb,
  "lottery_min_bps"        integer                  NOT NULL DEFAULT 1000,
  "lottery_max_bps"        integer                  NOT NULL DEFAULT 10000,
  "points_exchange_bps"    integer                  NOT NULL DEFAULT 10000,  -- §5.12
  "love_exchange_bps"      integer                  NOT NULL DEFAULT 10000,
  "love_exchange_frozen"   boolean                  NOT NULL DEFAULT false,
  "merchant_queue"         boolean                  NOT NULL DEFAULT false,  -- §5.13 开启商家队列
  "all_stores_queue"       boolean                  NOT NULL DEFAULT false,  -- §5.14 所有门店队列
  "all_cashiers_queue"     boolean                  NOT NULL DEFAULT false,  -- §5.15 所有收银台队列
  "random_return_enabled"  boolean                  NOT NULL DEFAULT false,  -- §5.16 开启随机返
  "random_cash_count"      smallint                 NOT NULL DEFAULT 1,
  "random_points_count"    smallint                 NOT NULL DEFAULT 0,
  "clearing_enabled"       boolean                  NOT NULL DEFAULT false,  -- §5.17 开启队列奖励清零
  "clearing_schedule"      text                     NOT NULL DEFAULT 'daily'::text,
  "clearing_time"          time without time zone   NOT NULL DEFAULT '00:00:00'::time WITHOUT time zone,  -- Asia/Shanghai wall clock
  "clearing_weekday"       smallint                 NOT NULL DEFAULT 1,  -- ISO, 1 = Monday
  "clearing_monthday"      smallint                 NOT NULL DEFAULT 1,  -- clamped to month end
  "clearing_at"            timestamp with time zone,  -- for 'once'
  "paused"                 boolean                  NOT NULL DEFAULT false,  -- §5.18 队列奖励暂停
  "show_process"           boolean                  NOT NULL DEFAULT true,  -- §5.19 队列进程
  "show_received"          boolean                  NOT NULL DEFAULT true,  -- §5.20 累计奖励
  "show_waiting"           boolean                  NOT NULL DEFAULT true,  -- §5.21 待奖励
  "show_member_info"       boolean                  NOT NULL DEFAULT true,  -- §5.22 会员信息
  "show_waiting_amount"    boolean                  NOT NULL DEFAULT true,  -- §5.23 待奖励金额
  "bulk_enabled_at"        timestamp with time zone,  -- §5.3 一键启用, last run
  "updated_at"             timestamp with time zone NOT NULL DEFAULT now(),
  "updated_by"             uuid,
  "clearing_since"         timestamp with time zone NOT NULL DEFAULT now(),
  "referral_direct_bps"    integer                  NOT NULL DEFAULT 0,  -- 直推奖励
  "referral_indirect_bps"  integer                  NOT NULL DEFAULT 0,  -- 间推奖励
  "level_diff_cap_bps"     integer                  NOT NULL DEFAULT 0,  -- 级差 per-order cap (0 = off)
  "level_diff_max_depth"   smallint                 NOT NULL DEFAULT 10,  -- 级差 levels up
  "dividend_bps"           integer                  NOT NULL DEFAULT 0,  -- 股东分红 pool share
  "dividend_period"        text                     NOT NULL DEFAULT 'monthly'::text,
  "merchant_recruit_bps"   integer                  NOT NULL DEFAULT 0,  -- 招商奖励
  "payout_cap_bps"         integer                  NOT NULL DEFAULT 10000,  -- 提取+奖励上限
  "withdraw_min_fen"       bigint                   NOT NULL DEFAULT 100,
  "withdraw_fee_bps"       integer                  NOT NULL DEFAULT 0,
  "withdraw_daily_limit"   smallint                 NOT NULL DEFAULT 3,
  "programme_mode"         text                     NOT NULL DEFAULT 'classic'::text,  -- §13 运营模式: classic | union
  "union_quota_bps"        integer                  NOT NULL DEFAULT 11000,  -- §13.2 分红额度比例
  "union_pool_bps"         integer                  NOT NULL DEFAULT 6000,  -- §13.4 净利润入池比例
  "union_accel_bps"        integer                  NOT NULL DEFAULT 0,  -- §13.5 推广加速比例
  "union_payout_time"      time without time zone   NOT NULL DEFAULT '00:10:00'::time WITHOUT time zone,  -- §13.6 Asia/Shanghai wall clock
  CONSTRAINT "settings_clearing_monthday_check" CHECK (((clearing_monthday >= 1) AND (clearing_monthday <= 31))),
  CONSTRAINT "settings_clearing_once" CHECK (((clearing_schedule <> 'once'::text) OR (clearing_at IS NOT NULL))),
  CONSTRAINT "settings_clearing_schedule_check" CHECK ((clearing_schedule = ANY (ARRAY['daily'::text, 'weekly'::text, 'monthly'::text, 'once'::text]))),
  CONSTRAINT "settings_clearing_weekday_check" CHECK (((clearing_weekday >= 1) AND (clearing_weekday <= 7))),
  CONSTRAINT "settings_default_reward_bps_check" CHECK (((default_reward_bps >= 0) AND (default_reward_bps <= 100000))),
  CONSTRAINT "settings_display_name_check" CHECK (((char_length(display_name) >= 1) AND (char_length(display_name) <= 12))),
  CONSTRAINT "settings_dividend_bps_check" CHECK (((dividend_bps >= 0) AND (dividend_bps <= 10000))),
  CONSTRAINT "settings_dividend_period_check" CHECK ((dividend_period = ANY (ARRAY['daily'::text, 'weekly'::text, 'monthly'::text]))),
  CONSTRAINT "settings_exchange_name_check" CHECK (((char_length(exchange_name) >= 1) AND (char_length(exchange_name) <= 8))),
  CONSTRAINT "settings_extraction_bps_check" CHECK (((extraction_bps >= 0) AND (extraction_bps <= 10000))),
  CONSTRAINT "settings_id_check" CHECK ((id = 1)),
  CONSTRAINT "settings_level_diff_cap_bps_check" CHECK (((level_diff_cap_bps >= 0) AND (level_diff_cap_bps <= 10000))),
  CONSTRAINT "settings_level_diff_max_depth_check" CHECK (((level_diff_max_depth >= 1) AND (level_diff_max_depth <= 50))),
  CONSTRAINT "settings_lottery_fixed" CHECK (((lottery_mode <> 'fixed'::text) OR (jsonb_array_length(lottery_options) > 0))),
  CONSTRAINT "settings_lottery_interval" CHECK ((lottery_min_bps <= lottery_max_bps)),
  CONSTRAINT "settings_lottery_max_bps_check" CHECK (((lottery_max_bps >= 1) AND (lottery_max_bps <= 100000))),
  CONSTRAINT "settings_lottery_min_bps_check" CHECK (((lottery_min_bps >= 1) AND (lottery_min_bps <= 100000))),
  CONSTRAINT "settings_lottery_mode_check" CHECK ((lottery_mode = ANY (ARRAY['off'::text, 'fixed'::text, 'interval'::text]))),
  CONSTRAINT "settings_love_exchange_bps_check" CHECK (((love_exchange_bps >= 0) AND (love_exchange_bps <= 1000000))),
  CONSTRAINT "settings_merchant_recruit_bps_check" CHECK (((merchant_recruit_bps >= 0) AND (merchant_recruit_bps <= 10000))),
  CONSTRAINT "settings_payout_cap_bps_check" CHECK (((payout_cap_bps >= 0) AND (payout_cap_bps <= 10000))),
  CONSTRAINT "settings_pkey" PRIMARY KEY (id),
  CONSTRAINT "settings_points_exchange_bps_check" CHECK (((points_exchange_bps >= 0) AND (points_exchange_bps <= 1000000))),
  CONSTRAINT "settings_random_cash_count_check" CHECK (((random_cash_count >= 0) AND (random_cash_count <= 100))),
  CONSTRAINT "settings_random_group" CHECK ((((random_cash_count + random_points_count) >= 1) AND ((random_cash_count + random_points_count) <= 100))),
  CONSTRAINT "settings_random_points_count_check" CHECK (((random_points_count >= 0) AND (random_points_count <= 100))),
  CONSTRAINT "settings_referral_direct_bps_check" CHECK (((referral_direct_bps >= 0) AND (referral_direct_bps <= 10000))),
  CONSTRAINT "settings_referral_indirect_bps_check" CHECK (((referral_indirect_bps >= 0) AND (referral_indirect_bps <= 10000))),
  CONSTRAINT "settings_reward_rule_check" CHECK ((reward_rule = ANY (ARRAY['queue_order'::text, 'completed_queue_order'::text]))),
  CONSTRAINT "settings_settle_event_check" CHECK ((settle_event = ANY (ARRAY['paid'::text, 'completed'::text]))),
  CONSTRAINT "settings_updated_by_fkey" FOREIGN KEY (updated_by) REFERENCES rebate.members(id),
  CONSTRAINT "settings_programme_mode_check" CHECK ((programme_mode = ANY (ARRAY['classic'::text, 'union'::text]))),
  CONSTRAINT "settings_union_quota_bps_check" CHECK (((union_quota_bps >= 1) AND (union_quota_bps <= 100000))),
  CONSTRAINT "settings_union_pool_bps_check" CHECK (((union_pool_bps >= 0) AND (union_pool_bps <= 10000))),
  CONSTRAINT "settings_union_accel_bps_check" CHECK (((union_accel_bps >= 0) AND (union_accel_bps <= 10000))),
  CONSTRAINT "settings_withdraw_daily_limit_check" CHECK (((withdraw_daily_limit >= 1) AND (withdraw_daily_limit <= 100))),
  CONSTRAINT "settings_withdraw_fee_bps_check" CHECK (((withdraw_fee_bps >= 0) AND (withdraw_fee_bps <= 5000))),
  CONSTRAINT "settings_withdraw_min_fen_check" CHECK (((withdraw_min_fen >= 1) AND (withdraw_min_fen <= 100000000)))
);

ALTER TABLE "rebate"."settings"
  ENABLE ROW LEVEL SECURITY;

-- the foreign key's index (deleting or re-keying the referenced row, and lookups by it)
CREATE INDEX settings_updated_by_idx ON rebate.settings USING btree (updated_by) WHERE (updated_by IS NOT NULL);

-- What admin_update_settings accepts: one row per settable field, with its type and range.
-- Later issues add their fields with one insert here.
CREATE TABLE "rebate"."setting_fields" (
  "name"      text   NOT NULL,
  "kind"      text   NOT NULL,
  "min_value" bigint,
  "max_value" bigint,
  "choices"   text[],
  "label"     text   NOT NULL,
  CONSTRAINT "setting_fields_kind_check"
    CHECK ((kind = ANY (ARRAY['boolean'::text, 'integer'::text, 'text'::text, 'choice'::text, 'json'::text, 'time'::text, 'timestamptz'::text]))),
  CONSTRAINT "setting_fields_pkey" PRIMARY KEY (name)
);

ALTER TABLE "rebate"."setting_fields"
  ENABLE ROW LEVEL SECURITY;

CREATE TABLE "rebate"."stores" (
  "id"                  bigint                   GENERATED BY DEFAULT AS IDENTITY NOT NULL,
  "code"                text                     NOT NULL,
  "name"                text                     NOT NULL,
  "status"              text                     NOT NULL DEFAULT 'pending'::text,
  "owner_member_id"     uuid,
  "created_at"          timestamp with time zone NOT NULL DEFAULT now(),
  "recruiter_member_id" uuid,  -- who invited the merchant (招商)
  "application_id"      bigint,
  LIKE rebate.rule_columns INCLUDING DEFAULTS INCLUDING CONSTRAINTS,
  LIKE rebate.random_return_columns INCLUDING DEFAULTS INCLUDING CONSTRAINTS,
  "commission_bps"      integer                  NOT NULL DEFAULT 0,  -- 平台抽成 (SPEC §13.3): the platform's share of a sale
  CONSTRAINT "stores_commission_bps_check" CHECK (((commission_bps >= 0) AND (commission_bps <= 10000))),
  CONSTRAINT "stores_code_check" CHECK ((code ~ '^[A-Z0-9]{4,16}$'::text)),
  CONSTRAINT "stores_code_key" UNIQUE (code),
  CONSTRAINT "stores_name_check" CHECK (((char_length(name) >= 1) AND (char_length(name) <= 40))),
  CONSTRAINT "stores_owner_member_id_fkey" FOREIGN KEY (owner_member_id) REFERENCES rebate.members(id),
  CONSTRAINT "stores_pkey" PRIMARY KEY (id),
  CONSTRAINT "stores_recruiter_member_id_fkey" FOREIGN KEY (recruiter_member_id) REFERENCES rebate.members(id),
  CONSTRAINT "stores_status_check" CHECK ((status = ANY (ARRAY['pending'::text, 'approved'::text, 'suspended'::text])))
);

ALTER TABLE "rebate"."stores"
  ENABLE ROW LEVEL SECURITY;

-- the foreign key's index (deleting or re-keying the referenced row, and lookups by it)
CREATE INDEX stores_application_id_idx ON rebate.stores USING btree (application_id) WHERE (application_id IS NOT NULL);

CREATE INDEX stores_owner_idx ON rebate.stores USING btree (owner_member_id)
  WHERE (owner_member_id IS NOT NULL);

CREATE INDEX stores_recruiter_idx ON rebate.stores USING btree (recruiter_member_id)
  WHERE (recruiter_member_id IS NOT NULL);

CREATE TABLE "rebate"."products" (
  "id"               bigint                   GENERATED BY DEFAULT AS IDENTITY NOT NULL,
  "sku"              text,
  "kind"             text                     NOT NULL,
  "store_id"         bigint,
  "name"             text                     NOT NULL,
  "price_fen"        bigint                   NOT NULL,
  "listed"           boolean                  NOT NULL DEFAULT true,
  "created_at"       timestamp with time zone NOT NULL DEFAULT now(),
  "updated_at"       timestamp with time zone NOT NULL DEFAULT now(),
  LIKE rebate.rule_columns INCLUDING DEFAULTS INCLUDING CONSTRAINTS,
  "cost_fen"         bigint                   NOT NULL DEFAULT 0,  -- 采购成本 per unit (self-operated, supply chain; SPEC §13.3)
  "supply_price_fen" bigint                   NOT NULL DEFAULT 0,  -- 供货价 per unit (supplier products; SPEC §13.3)
  -- the product's picture: a file shipped with the mini-program (/assets/products/…) or an https URL
  "image_path"       text,
  CONSTRAINT "products_image_path_check" CHECK (((char_length(image_path) <= 500) AND (image_path ~ '^(/assets/products/[a-z0-9-]{1,40}\.(png|jpg)|https://[^[:space:]]+)$'::text))),
  CONSTRAINT "products_cost_fen_check" CHECK (((cost_fen >= 0) AND (cost_fen <= 100000000))),
  CONSTRAINT "products_supply_price_fen_check" CHECK (((supply_price_fen >= 0) AND (supply_price_fen <= 100000000))),
  CONSTRAINT "products_kind_check" CHECK ((kind = ANY (ARRAY['self'::text, 'supplier'::text, 'supply_chain'::text, 'store'::text]))),
  CONSTRAINT "products_name_check" CHECK (((char_length(name) >= 1) AND (char_length(name) <= 60))),
  CONSTRAINT "products_pkey" PRIMARY KEY (id),
  CONSTRAINT "products_price_fen_check" CHECK (((price_fen >= 1) AND (price_fen <= 100000000))),
  CONSTRAINT "products_sku_check" CHECK ((sku ~ '^[A-Za-z0-9_-]{1,32}$'::text)),
  CONSTRAINT "products_sku_key" UNIQUE (sku),
  CONSTRAINT "products_store_kind" CHECK (((kind = 'store'::text) = (store_id IS NOT NULL))),
  CONSTRAINT "products_store_id_fkey" FOREIGN KEY (store_id) REFERENCES rebate.stores(id)
);

-- a new product's rebate switch comes from settings.new_product_rebate (products_before_insert)
ALTER TABLE "rebate"."products"
  ALTER COLUMN rebate_enabled DROP DEFAULT;

ALTER TABLE "rebate"."products"
  ENABLE ROW LEVEL SECURITY;

CREATE INDEX products_mall_idx ON rebate.products USING btree (id)
  WHERE (kind <> 'store'::text);

CREATE INDEX products_store_idx ON rebate.products USING btree (store_id)
  WHERE (store_id IS NOT NULL);

-- Each store has exactly one cashier (收银台), created with it.
CREATE TABLE "rebate"."cashiers" (
  "id"                  bigint                   GENERATED BY DEFAULT AS IDENTITY NOT NULL,
  "store_id"            bigint                   NOT NULL,
  "code"                text                     NOT NULL,
  "created_at"          timestamp with time zone NOT NULL DEFAULT now(),
  LIKE rebate.rule_columns INCLUDING DEFAULTS INCLUDING CONSTRAINTS,
  LIKE rebate.random_return_columns INCLUDING DEFAULTS INCLUDING CONSTRAINTS,
  CONSTRAINT "cashiers_code_check" CHECK ((code ~ '^[A-Z0-9]{4,20}$'::text)),
  CONSTRAINT "cashiers_code_key" UNIQUE (code),
  CONSTRAINT "cashiers_pkey" PRIMARY KEY (id),
  CONSTRAINT "cashiers_store_id_key" UNIQUE (store_id),
  CONSTRAINT "cashiers_store_id_fkey" FOREIGN KEY (store_id) REFERENCES rebate.stores(id)
);

ALTER TABLE "rebate"."cashiers"
  ENABLE ROW LEVEL SECURITY;

-- ============================================================ functions

-- Whether a JSON value is a valid value of a rule field (rebate.rule_fields): the one validator
-- of the rule columns of products, stores and cashiers.
CREATE OR REPLACE FUNCTION rebate.rule_value_ok (
  f rebate.rule_fields,
  v jsonb
)
  RETURNS boolean
  LANGUAGE plpgsql
  STABLE
  SET search_path TO ''
  AS $function$
begin
  if v is null or jsonb_typeof(v) = 'null' then
    return f.nullable;
  end if;
  return coalesce(case f.kind
    when 'boolean' then jsonb_typeof(v) = 'boolean'
    when 'integer' then rebate.json_int(v, f.min_value, f.max_value) is not null
    when 'choice' then jsonb_typeof(v) = 'string' and (v #>> '{}') = any (f.choices)
    when 'levels' then rebate.valid_level_ratios(v)
         and not exists (select 1 from jsonb_object_keys(v) k
                          where not exists (select 1 from rebate.member_levels l where l.id::text = k))
    when 'tiers' then rebate.valid_tiers(v)
    when 'lottery_options' then rebate.valid_lottery_options(v)
    when 'windows' then rebate.valid_windows(v)
  end, false);
end;
$function$;
comment on function rebate.rule_value_ok(f rebate.rule_fields, v jsonb) is 'Whether a JSON value is valid for a rule field (rebate.rule_fields): the one validator of the rule columns of products, stores and cashiers.';
revoke all on function rebate.rule_value_ok(f rebate.rule_fields, v jsonb) from public, anon, authenticated, service_role;

-- Checks every field of a patch of rule settings for a product, store or cashier: an unknown
-- field (or a random-return field on a product, or a field of another target: rule_fields.targets)
-- raises unknown_setting, a bad value
-- invalid_setting with the field's Chinese label (after p_label_prefix, e.g. 门店).
CREATE OR REPLACE FUNCTION rebate.check_rule_patch (
  p_target       text,
  p_patch        jsonb,
  p_label_prefix text DEFAULT ''::text
)
  RETURNS void
  LANGUAGE plpgsql
  STABLE
  SET search_path TO ''
  AS $function$
declare
  v_key text;
  v_val jsonb;
  f rebate.rule_fields;
begin
  for v_key, v_val in select e.key, e.value from jsonb_each(p_patch) e loop
    select * into f from rebate.rule_fields x where x.name = v_key;
    if not found or (f.random_only and p_target = 'product')
       or (f.targets is not null and not (p_target = any (f.targets))) then
      raise exception using errcode = 'P0001', message = 'unknown_setting', hint = '未知的设置项：' || left(v_key, 40);
    end if;
    if not rebate.rule_value_ok(f, v_val) then
      raise exception using errcode = 'P0001', message = 'invalid_setting',
        hint = coalesce(p_label_prefix, '') || f.label || '：取值无效';
    end if;
  end loop;
end;
$function$;
comment on function rebate.check_rule_patch(p_target text, p_patch jsonb, p_label_prefix text) is 'Checks a patch of rule settings (field → value) against rebate.rule_fields: unknown_setting or invalid_setting with the field''s Chinese label.';
revoke all on function rebate.check_rule_patch(p_target text, p_patch jsonb, p_label_prefix text) from public, anon, authenticated, service_role;

-- Level keys of a ratio map must be existing member levels.
CREATE OR REPLACE FUNCTION rebate.check_level_keys()
  RETURNS TRIGGER
  LANGUAGE plpgsql
  SET search_path TO ''
  AS $function$
begin
  if exists (select 1 from jsonb_object_keys(new.level_reward_bps) k
              where not exists (select 1 from rebate.member_levels l where l.id = k::smallint)) then
    raise exception using errcode = 'check_violation', message = 'unknown_member_level',
      hint = '会员等级不存在';
  end if;
  return new;
end;
$function$;
comment on function rebate.check_level_keys() is 'Level keys of a ratio map must be existing member levels.';
revoke all on function rebate.check_level_keys() from public, anon, authenticated, service_role;

-- A product / store / cashier extraction ratio must leave room for the rewards.
CREATE OR REPLACE FUNCTION rebate.extraction_guardrail()
  RETURNS TRIGGER
  LANGUAGE plpgsql
  SET search_path TO ''
  AS $function$
declare
  s rebate.settings;
begin
  if new.extraction_bps is null then
    return new;
  end if;
  select * into s from rebate.settings x where x.id = 1;
  if found and new.extraction_bps + rebate.reward_share_bps(s) > s.payout_cap_bps then
    raise exception using errcode = 'P0001', message = 'payout_cap_exceeded',
      hint = '提取比例' || rebate.bps_text(new.extraction_bps) || '与各项奖励比例之和（'
             || rebate.bps_text(rebate.reward_share_bps(s)) || '）不能超过上限' || rebate.bps_text(s.payout_cap_bps);
  end if;
  return new;
end;
$function$;
comment on function rebate.extraction_guardrail() is 'A product / store / cashier extraction ratio must leave room for the rewards.';
revoke all on function rebate.extraction_guardrail() from public, anon, authenticated, service_role;

-- New products get rebate on/off from settings.new_product_rebate unless given (§5.2).
CREATE OR REPLACE FUNCTION rebate.products_before_insert()
  RETURNS TRIGGER
  LANGUAGE plpgsql
  SET search_path TO ''
  AS $function$
begin
  if new.rebate_enabled is null then
    new.rebate_enabled := coalesce((select s.new_product_rebate from rebate.settings s where s.id = 1), true);
  end if;
  return new;
end;
$function$;
comment on function rebate.products_before_insert() is 'New products get rebate on/off from settings.new_product_rebate unless given (§5.2).';
revoke all on function rebate.products_before_insert() from public, anon, authenticated, service_role;

-- Clearing: a new schedule counts from when it was configured.
CREATE OR REPLACE FUNCTION rebate.settings_clearing_since()
  RETURNS TRIGGER
  LANGUAGE plpgsql
  SET search_path TO ''
  AS $function$
begin
  if (new.clearing_enabled, new.clearing_schedule, new.clearing_time, new.clearing_weekday, new.clearing_monthday,
      new.clearing_at)
     is distinct from
     (old.clearing_enabled, old.clearing_schedule, old.clearing_time, old.clearing_weekday, old.clearing_monthday,
      old.clearing_at)
     and new.clearing_since is not distinct from old.clearing_since then
    new.clearing_since := now();
  end if;
  return new;
end;
$function$;
comment on function rebate.settings_clearing_since() is 'Clearing: a new schedule counts from when it was configured.';
revoke all on function rebate.settings_clearing_since() from public, anon, authenticated, service_role;

-- The guardrail (SPEC §11): extraction + all rewards ≤ payout_cap_bps of the paid amount.
-- Checked when settings change (against the highest extraction ratio anywhere) and when a
-- product, store or cashier gets its own extraction ratio. Settlement also clips at run time.
CREATE OR REPLACE FUNCTION rebate.settings_guardrail()
  RETURNS TRIGGER
  LANGUAGE plpgsql
  SET search_path TO ''
  AS $function$
declare
  v_ext integer;
begin
  v_ext := greatest(new.extraction_bps,
                    (select max(p.extraction_bps) from rebate.products p),
                    (select max(s.extraction_bps) from rebate.stores s),
                    (select max(c.extraction_bps) from rebate.cashiers c));
  if v_ext + rebate.reward_share_bps(new) > new.payout_cap_bps then
    raise exception using errcode = 'P0001', message = 'payout_cap_exceeded',
      hint = '提取比例（最高' || rebate.bps_text(v_ext) || '）与各项奖励比例之和（'
             || rebate.bps_text(rebate.reward_share_bps(new)) || '）不能超过上限'
             || rebate.bps_text(new.payout_cap_bps);
  end if;
  return new;
end;
$function$;
comment on function rebate.settings_guardrail() is 'The guardrail (SPEC §11): extraction + all rewards ≤ payout_cap_bps of the paid amount. Checked when settings change (against the highest extraction ratio anywhere) and when a product, store or cashier gets its own extraction ratio. Settlement also clips at run time.';
revoke all on function rebate.settings_guardrail() from public, anon, authenticated, service_role;

-- §5.3 一键启用: rebate on for every existing mall, supplier and supply-chain product.
-- Returns how many products were switched on.
CREATE OR REPLACE FUNCTION public.admin_enable_all_products()
  RETURNS integer
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_n integer;
begin
  perform rebate.require_role('operations');
  update rebate.products p set rebate_enabled = true, updated_at = now()
   where p.kind in ('self', 'supplier', 'supply_chain') and not p.rebate_enabled;
  get diagnostics v_n = row_count;
  update rebate.settings s set bulk_enabled_at = now() where s.id = 1;
  perform rebate.audit('products.enable_all', 'settings', '1', null, jsonb_build_object('enabled_products', v_n), null);
  return v_n;
end;
$function$;
comment on function public.admin_enable_all_products() is '§5.3 一键启用: rebate on for every existing mall, supplier and supply-chain product. Returns how many products were switched on.';
revoke all on function public.admin_enable_all_products() from public, anon, authenticated, service_role;
grant execute on function public.admin_enable_all_products() to authenticated;

-- The settings as JSON for the admin page.
CREATE OR REPLACE FUNCTION public.admin_get_settings()
  RETURNS jsonb
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
begin
  perform rebate.require_role('operations', 'finance');
  return (select to_jsonb(s) - 'id' from rebate.settings s where s.id = 1);
end;
$function$;
comment on function public.admin_get_settings() is 'The settings as JSON for the admin page.';
revoke all on function public.admin_get_settings() from public, anon, authenticated, service_role;
grant execute on function public.admin_get_settings() to authenticated;

-- Switches rebate on or off for one product (any kind).
CREATE OR REPLACE FUNCTION public.admin_set_product_rebate (
  p_product_id bigint,
  p_enabled    boolean
)
  RETURNS boolean
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
begin
  perform rebate.require_role('operations');
  if p_enabled is null then
    raise exception using errcode = 'P0001', message = 'invalid_setting', hint = '请选择开启或关闭';
  end if;
  update rebate.products p set rebate_enabled = p_enabled, updated_at = now() where p.id = p_product_id;
  if not found then
    raise exception using errcode = 'P0001', message = 'product_not_found', hint = '商品不存在';
  end if;
  perform rebate.audit('product.set_rebate', 'product', p_product_id::text, null, jsonb_build_object('rebate_enabled', p_enabled), null);
  return p_enabled;
end;
$function$;
comment on function public.admin_set_product_rebate(p_product_id bigint, p_enabled boolean) is 'Switches rebate on or off for one product (any kind).';
revoke all on function public.admin_set_product_rebate(p_product_id bigint, p_enabled boolean) from public, anon, authenticated, service_role;
grant execute on function public.admin_set_product_rebate(p_product_id bigint, p_enabled boolean) to authenticated;

-- Updates the given settings fields (a JSON object: field → value); validates every field.
-- Any data error a check or trigger raises on a malformed value (e.g. a level key that is not
-- a number) comes back as invalid_setting, never as a raw SQLSTATE.
CREATE OR REPLACE FUNCTION public.admin_update_settings (
  p_patch  jsonb,
  p_reason text DEFAULT NULL::text
)
  RETURNS jsonb
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_uid uuid := rebate.require_role('operations');
  v_key text;
  v_val jsonb;
  f rebate.setting_fields;
  v_cols text;
  v_vals text;
  v_ok boolean;
  v_before jsonb;
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
  select to_jsonb(s) into v_before from rebate.settings s where s.id = 1 for update;
  begin
    execute format(
      'update rebate.settings s set (%s) = (select %s from jsonb_populate_record(null::rebate.settings, $1) r), '
      'updated_at = now(), updated_by = $2 where s.id = 1',
      v_cols || ', id', v_vals || ', 1')
      using p_patch, v_uid;
  exception
    when check_violation or data_exception then
      raise exception using errcode = 'P0001', message = 'invalid_setting', hint = '设置之间相互矛盾或取值超出范围';
  end;
  perform rebate.audit('settings.update', 'settings', '1',
                       (select jsonb_object_agg(k, v_before -> k) from jsonb_object_keys(p_patch) k),
                       (select jsonb_object_agg(k, to_jsonb(x) -> k) from jsonb_object_keys(p_patch) k, rebate.settings x where x.id = 1),
                       nullif(btrim(coalesce(p_reason, '')), ''));
  return (select to_jsonb(s) - 'id' from rebate.settings s where s.id = 1);
end;
$function$;
comment on function public.admin_update_settings(p_patch jsonb, p_reason text) is 'Updates the given settings fields (a JSON object: field → value; operations or admin); validates every field; audited with the changed fields before and after and the optional reason. Any data error a check or trigger raises on a malformed value comes back as invalid_setting, never as a raw SQLSTATE.';
revoke all on function public.admin_update_settings(p_patch jsonb, p_reason text) from public, anon, authenticated, service_role;
grant execute on function public.admin_update_settings(p_patch jsonb, p_reason text) to authenticated;

-- Products a member may order: listed mall products, or the listed products of one approved store,
-- with their picture (image_path: a file shipped with the mini-program or an https URL; null: none).
CREATE OR REPLACE FUNCTION public.list_products (
  p_store_id bigint DEFAULT NULL::bigint
)
  RETURNS TABLE (
    id             bigint,
    kind           text,
    store_id       bigint,
    name           text,
    price_fen      bigint,
    rebate_enabled boolean,
    image_path     text
  )
  LANGUAGE sql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
  select p.id, p.kind, p.store_id, p.name, p.price_fen, p.rebate_enabled, p.image_path
    from rebate.products p
   where p.listed
     and (select auth.uid()) is not null
     and case when p_store_id is null then p.kind <> 'store'
              else p.store_id = p_store_id
                   and exists (select 1 from rebate.stores st where st.id = p.store_id and st.status = 'approved') end
   order by p.id
$function$;
comment on function public.list_products(p_store_id bigint) is 'Products a member may order: listed mall products, or the listed products of one approved store, with their picture (image_path: a file shipped with the mini-program or an https URL; null: none).';
revoke all on function public.list_products(p_store_id bigint) from public, anon, authenticated, service_role;
grant execute on function public.list_products(p_store_id bigint) to authenticated;

-- Approved stores with their cashier (for store pages and cashier payment).
CREATE OR REPLACE FUNCTION public.list_stores()
  RETURNS TABLE (
    id           bigint,
    code         text,
    name         text,
    cashier_id   bigint,
    cashier_code text
  )
  LANGUAGE sql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
  select st.id, st.code, st.name, c.id, c.code
    from rebate.stores st
    left join rebate.cashiers c on c.store_id = st.id
   where st.status = 'approved' and (select auth.uid()) is not null
   order by st.id
$function$;
comment on function public.list_stores() is 'Approved stores with their cashier (for store pages and cashier payment).';
revoke all on function public.list_stores() from public, anon, authenticated, service_role;
grant execute on function public.list_stores() to authenticated;

-- What the queue pages need to know: names and display switches (§5.7, 5.8, 5.19–5.23).
CREATE OR REPLACE FUNCTION public.rebate_display_settings()
  RETURNS TABLE (
    enabled             boolean,
    display_name        text,
    exchange_name       text,
    show_process        boolean,
    show_received       boolean,
    show_waiting        boolean,
    show_member_info    boolean,
    show_waiting_amount boolean
  )
  LANGUAGE sql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
  select s.enabled, s.display_name, s.exchange_name, s.show_process, s.show_received,
         s.show_waiting, s.show_member_info, s.show_waiting_amount
    from rebate.settings s where s.id = 1
$function$;
comment on function public.rebate_display_settings() is 'What the queue pages need to know: names and display switches (§5.7, 5.8, 5.19–5.23).';
revoke all on function public.rebate_display_settings() from public, anon, authenticated, service_role;
grant execute on function public.rebate_display_settings() to authenticated;

-- ============================================================ triggers

CREATE TRIGGER cashiers_check_level_keys
  BEFORE INSERT OR UPDATE OF level_reward_bps ON rebate.cashiers
  FOR EACH ROW
  WHEN ((new.level_reward_bps <> '{}'::jsonb))
  EXECUTE FUNCTION rebate.check_level_keys();

CREATE TRIGGER cashiers_extraction_guardrail
  BEFORE INSERT OR UPDATE OF extraction_bps ON rebate.cashiers
  FOR EACH ROW
  EXECUTE FUNCTION rebate.extraction_guardrail();

CREATE TRIGGER products_before_insert
  BEFORE INSERT ON rebate.products
  FOR EACH ROW
  EXECUTE FUNCTION rebate.products_before_insert();

CREATE TRIGGER products_check_level_keys
  BEFORE INSERT OR UPDATE OF level_reward_bps ON rebate.products
  FOR EACH ROW
  WHEN ((new.level_reward_bps <> '{}'::jsonb))
  EXECUTE FUNCTION rebate.check_level_keys();

CREATE TRIGGER products_extraction_guardrail
  BEFORE INSERT OR UPDATE OF extraction_bps ON rebate.products
  FOR EACH ROW
  EXECUTE FUNCTION rebate.extraction_guardrail();

CREATE TRIGGER settings_check_level_keys
  BEFORE INSERT OR UPDATE OF level_reward_bps ON rebate.settings
  FOR EACH ROW
  EXECUTE FUNCTION rebate.check_level_keys();

CREATE TRIGGER settings_clearing_since
  BEFORE UPDATE ON rebate.settings
  FOR EACH ROW
  EXECUTE FUNCTION rebate.settings_clearing_since();

CREATE TRIGGER settings_guardrail
  BEFORE UPDATE ON rebate.settings
  FOR EACH ROW
  WHEN
    ((((((((new.extraction_bps IS DISTINCT FROM old.extraction_bps) OR (new.referral_direct_bps IS DISTINCT FROM old.referral_direct_bps)) OR (new.referral_indirect_bps IS DISTINCT
    FROM old.referral_indirect_bps)) OR (new.level_diff_cap_bps IS DISTINCT FROM old.level_diff_cap_bps)) OR (new.dividend_bps IS DISTINCT FROM old.dividend_bps)) OR
    (new.merchant_recruit_bps IS DISTINCT FROM old.merchant_recruit_bps)) OR (new.payout_cap_bps IS DISTINCT FROM old.payout_cap_bps)))
  EXECUTE FUNCTION rebate.settings_guardrail();

CREATE TRIGGER stores_check_level_keys
  BEFORE INSERT OR UPDATE OF level_reward_bps ON rebate.stores
  FOR EACH ROW
  WHEN ((new.level_reward_bps <> '{}'::jsonb))
  EXECUTE FUNCTION rebate.check_level_keys();

CREATE TRIGGER stores_extraction_guardrail
  BEFORE INSERT OR UPDATE OF extraction_bps ON rebate.stores
  FOR EACH ROW
  EXECUTE FUNCTION rebate.extraction_guardrail();

-- ============================================================ constraints

ALTER TABLE "rebate"."settings"
  ADD CONSTRAINT "settings_level_reward_bps_check" CHECK (rebate.valid_level_ratios(level_reward_bps));

ALTER TABLE "rebate"."settings"
  ADD CONSTRAINT "settings_lottery_options_check" CHECK (rebate.valid_lottery_options(lottery_options));

-- ============================================================ policies

CREATE POLICY "Signed-in members can read the settings" ON "rebate"."settings"
  FOR SELECT
  TO "authenticated"
  USING (true);

CREATE POLICY "Signed-in members can read approved stores" ON "rebate"."stores"
  FOR SELECT
  TO "authenticated"
  USING ((status = 'approved'::text));

CREATE POLICY "Store owners can read their own stores" ON "rebate"."stores"
  FOR SELECT
  TO "authenticated"
  USING ((owner_member_id = ( SELECT auth.uid() AS uid)));

CREATE POLICY "Signed-in members can read listed products" ON "rebate"."products"
  FOR SELECT
  TO "authenticated"
  USING (listed);

CREATE POLICY "Signed-in members can read cashiers" ON "rebate"."cashiers"
  FOR SELECT
  TO "authenticated"
  USING (true);

-- ============================================================ grants

GRANT SELECT ON TABLE "rebate"."rule_columns" TO "service_role";

GRANT SELECT ON TABLE "rebate"."random_return_columns" TO "service_role";

GRANT SELECT ON TABLE "rebate"."rule_fields" TO "service_role";

GRANT SELECT ON TABLE "rebate"."settings" TO "service_role";

GRANT SELECT ON TABLE "rebate"."setting_fields" TO "service_role";

GRANT SELECT ON TABLE "rebate"."stores" TO "service_role";

GRANT SELECT ON TABLE "rebate"."products" TO "service_role";

GRANT SELECT ON TABLE "rebate"."cashiers" TO "service_role";

-- ============================================================ data
insert into rebate.setting_fields (name, kind, min_value, max_value, choices, label) values
  ('enabled', 'boolean', null, null, null, '开启排队返利'),
  ('new_product_rebate', 'boolean', null, null, null, '商品排队返利'),
  ('deduction_participates', 'boolean', null, null, null, '抵扣订单开关'),
  ('settle_event', 'choice', null, null, '{paid,completed}'::text[], '结算事件'),
  ('reward_rule', 'choice', null, null, '{queue_order,completed_queue_order}'::text[], '待奖励队列奖励规则'),
  ('display_name', 'text', 1, 12, null, '自定义名称'),
  ('exchange_name', 'text', 1, 8, null, '兑换自定义名称'),
  ('extraction_bps', 'integer', 0, 10000, null, '提取比例'),
  ('default_reward_bps', 'integer', 0, 100000, null, '默认奖励权益'),
  ('level_reward_bps', 'json', null, null, null, '会员等级奖励权益'),
  ('lottery_mode', 'choice', null, null, '{off,fixed,interval}'::text[], '抽奖方式'),
  ('lottery_options', 'json', null, null, null, '抽奖固定比例'),
  ('lottery_min_bps', 'integer', 1, 100000, null, '抽奖区间下限'),
  ('lottery_max_bps', 'integer', 1, 100000, null, '抽奖区间上限'),
  ('points_exchange_bps', 'integer', 0, 1000000, null, '积分兑换比例'),
  ('love_exchange_bps', 'integer', 0, 1000000, null, '爱心值兑换比例'),
  ('love_exchange_frozen', 'boolean', null, null, null, '兑换爱心值冻结'),
  ('merchant_queue', 'boolean', null, null, null, '开启商家队列'),
  ('all_stores_queue', 'boolean', null, null, null, '所有门店队列'),
  ('all_cashiers_queue', 'boolean', null, null, null, '所有收银台队列'),
  ('random_return_enabled', 'boolean', null, null, null, '开启随机返'),
  ('random_cash_count', 'integer', 0, 100, null, '每组返现金人数'),
  ('random_points_count', 'integer', 0, 100, null, '每组返积分人数'),
  ('clearing_enabled', 'boolean', null, null, null, '开启队列奖励清零'),
  ('clearing_schedule', 'choice', null, null, '{daily,weekly,monthly,once}'::text[], '清零周期'),
  ('clearing_time', 'time', null, null, null, '清零时间'),
  ('clearing_weekday', 'integer', 1, 7, null, '每周清零日'),
  ('clearing_monthday', 'integer', 1, 31, null, '每月清零日'),
  ('clearing_at', 'timestamptz', null, null, null, '指定清零时间'),
  ('paused', 'boolean', null, null, null, '队列奖励暂停'),
  ('show_process', 'boolean', null, null, null, '队列进程'),
  ('show_received', 'boolean', null, null, null, '累计奖励'),
  ('show_waiting', 'boolean', null, null, null, '待奖励'),
  ('show_member_info', 'boolean', null, null, null, '会员信息'),
  ('show_waiting_amount', 'boolean', null, null, null, '待奖励金额'),
  ('referral_direct_bps', 'integer', 0, 10000, null, '直推奖励比例'),
  ('referral_indirect_bps', 'integer', 0, 10000, null, '间推奖励比例'),
  ('level_diff_cap_bps', 'integer', 0, 10000, null, '级差奖励每单上限'),
  ('level_diff_max_depth', 'integer', 1, 50, null, '级差奖励最多层数'),
  ('dividend_bps', 'integer', 0, 10000, null, '股东分红比例'),
  ('dividend_period', 'choice', null, null, '{daily,weekly,monthly}'::text[], '股东分红周期'),
  ('merchant_recruit_bps', 'integer', 0, 10000, null, '招商奖励比例'),
  ('payout_cap_bps', 'integer', 0, 10000, null, '提取与奖励合计上限'),
  ('withdraw_min_fen', 'integer', 1, 100000000, null, '最低提现金额'),
  ('withdraw_fee_bps', 'integer', 0, 5000, null, '提现手续费比例'),
  ('withdraw_daily_limit', 'integer', 1, 100, null, '每日提现次数'),
  ('programme_mode', 'choice', null, null, '{classic,union}'::text[], '运营模式'),
  ('union_quota_bps', 'integer', 1, 100000, null, '分红额度比例'),
  ('union_pool_bps', 'integer', 0, 10000, null, '净利润入池比例'),
  ('union_accel_bps', 'integer', 0, 10000, null, '推广加速比例'),
  ('union_payout_time', 'time', null, null, null, '每日分红时间')
on conflict (name) do nothing;

insert into rebate.settings (id) values (1) on conflict (id) do nothing;

insert into rebate.rule_fields (name, kind, min_value, max_value, nullable, choices, label, random_only) values
  ('rebate_enabled',      'boolean',         null, null,    false, null, '排队返利开关', false),
  ('reward_bps',          'integer',         0,    100000,  true,  null, '独立/默认奖励比例', false),
  ('extraction_bps',      'integer',         0,    10000,   true,  null, '提取比例', false),
  ('level_reward_bps',    'levels',          null, null,    false, null, '会员等级奖励比例', false),
  ('tiers',               'tiers',           null, null,    false, null, '累计消费阶梯', false),
  ('lottery_mode',        'choice',          null, null,    false, '{off,fixed,interval}', '抽奖方式', false),
  ('lottery_options',     'lottery_options', null, null,    false, null, '抽奖固定比例', false),
  ('lottery_min_bps',     'integer',         1,    100000,  false, null, '抽奖区间下限', false),
  ('lottery_max_bps',     'integer',         1,    100000,  false, null, '抽奖区间上限', false),
  ('reward_windows',      'windows',         null, null,    false, null, '奖励时间段', false),
  ('daily_limit',         'integer',         0,    1000000, true,  null, '每人每日奖励次数', false),
  ('total_limit',         'integer',         0,    1000000, true,  null, '每人累计奖励次数', false),
  ('random_return',       'choice',          null, null,    false, '{inherit,on,off}', '随机返', true),
  ('random_cash_count',   'integer',         0,    100,     false, null, '每组返现金人数', true),
  ('random_points_count', 'integer',         0,    100,     false, null, '每组返积分人数', true)
on conflict (name) do nothing;

-- union mode (SPEC §13.3): what a product cost the platform, and a store's commission
insert into rebate.rule_fields (name, kind, min_value, max_value, nullable, choices, label, random_only, targets) values
  ('cost_fen',         'integer', 0, 100000000, false, null, '采购成本', false, '{product}'),
  ('supply_price_fen', 'integer', 0, 100000000, false, null, '供货价', false, '{product}'),
  ('commission_bps',   'integer', 0, 10000,     false, null, '平台抽成比例', false, '{store}')
on conflict (name) do nothing;
