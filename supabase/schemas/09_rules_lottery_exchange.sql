-- Lottery (抽奖), exchange to points or love value, points transfer
-- SPEC §6, §9.
-- The source of truth (docs/database.md): edit here, then `npm run db:diff -- <name>` writes the migration.


-- ============================================================ types

-- A points transfer (transfer_points).
create type public.points_transfer_result as (
  transfer_id bigint,
  points bigint,
  points_balance bigint,
  balance_after bigint,
  to_member_code text,
  to_nickname_masked text,
  to_nickname text
);
comment on type public.points_transfer_result is 'A points transfer (transfer_points).';

-- Who a points transfer would go to, shown before the sender confirms (transfer_recipient).
create type public.transfer_recipient_info as (
  member_code text,
  nickname_masked text
);
comment on type public.transfer_recipient_info is 'Who a points transfer would go to, shown before the sender confirms (transfer_recipient).';

-- An exchange of an entry (exchange_entry).
create type public.exchange_result as (
  entry_id bigint,
  target text,
  remaining_fen bigint,
  ratio_bps integer,
  exchange_bps integer,
  amount bigint,
  asset text,
  frozen boolean,
  exchange_id bigint,
  status text,
  entry_status text,
  balance_after bigint,
  exchanged_at timestamptz
);
comment on type public.exchange_result is 'An exchange of an entry (exchange_entry).';

-- What exchanging an entry would credit (preview_exchange).
create type public.exchange_preview as (
  entry_id bigint,
  target text,
  remaining_fen bigint,
  ratio_bps integer,
  exchange_bps integer,
  amount bigint,
  asset text,
  frozen boolean
);
comment on type public.exchange_preview is 'What exchanging an entry would credit (preview_exchange).';

-- The result of a lottery draw (draw_lottery).
create type public.lottery_draw_result as (
  entry_id bigint,
  mode text,
  drawn_bps integer,
  previous_bps integer,
  previous_entitlement_fen bigint,
  entitlement_fen bigint,
  entitlement bigint,
  remaining_fen bigint,
  rule_code text,
  rule_label text,
  config jsonb,
  options jsonb,
  min_bps integer,
  max_bps integer,
  drawn_at timestamptz
);
comment on type public.lottery_draw_result is 'The result of a lottery draw (draw_lottery).';

-- ============================================================ tables

CREATE TABLE "rebate"."lottery_draws" (
  "id"                       bigint                   GENERATED ALWAYS AS IDENTITY NOT NULL,
  "entry_id"                 bigint                   NOT NULL,  -- once per entry
  "member_id"                uuid                     NOT NULL,
  "queue_id"                 bigint                   NOT NULL,
  "rule_code"                text                     NOT NULL,
  "mode"                     text                     NOT NULL,
  "config"                   jsonb                    NOT NULL,  -- the configuration drawn from (options, or min/max)
  "random_value"             bigint                   NOT NULL,  -- the uniform draw behind the result
  "previous_bps"             integer                  NOT NULL,
  "drawn_bps"                integer                  NOT NULL,
  "previous_entitlement_fen" bigint                   NOT NULL,
  "entitlement_fen"          bigint                   NOT NULL,
  "drawn_at"                 timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT "lottery_draws_drawn_bps_check" CHECK (((drawn_bps >= 1) AND (drawn_bps <= 100000))),
  CONSTRAINT "lottery_draws_entitlement_fen_check" CHECK ((entitlement_fen >= 1)),
  CONSTRAINT "lottery_draws_entry_id_fkey" FOREIGN KEY (entry_id) REFERENCES rebate.entries(id),
  CONSTRAINT "lottery_draws_entry_id_key" UNIQUE (entry_id),
  CONSTRAINT "lottery_draws_mode_check" CHECK ((mode = ANY (ARRAY['fixed'::text, 'interval'::text]))),
  CONSTRAINT "lottery_draws_pkey" PRIMARY KEY (id),
  CONSTRAINT "lottery_draws_previous_bps_check" CHECK (((previous_bps >= 0) AND (previous_bps <= 100000))),
  CONSTRAINT "lottery_draws_previous_entitlement_fen_check" CHECK ((previous_entitlement_fen >= 1)),
  CONSTRAINT "lottery_draws_random_value_check" CHECK ((random_value >= 0))
);

ALTER TABLE "rebate"."lottery_draws"
  ENABLE ROW LEVEL SECURITY;

CREATE INDEX lottery_draws_member_idx ON rebate.lottery_draws USING btree (member_id, id);

CREATE TABLE "rebate"."exchanges" (
  "id"            bigint                   GENERATED ALWAYS AS IDENTITY NOT NULL,
  "entry_id"      bigint                   NOT NULL,
  "member_id"     uuid                     NOT NULL,
  "queue_id"      bigint                   NOT NULL,
  "target"        text                     NOT NULL,
  "asset"         text                     NOT NULL,
  "remaining_fen" bigint                   NOT NULL,  -- the entitlement given up
  "ratio_bps"     integer                  NOT NULL,
  "amount"        bigint                   NOT NULL,  -- points, or love value in fen units
  "created_at"    timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT "exchanges_amount_check" CHECK ((amount >= 1)),
  CONSTRAINT "exchanges_asset_check" CHECK ((asset = ANY (ARRAY['points'::text, 'love'::text, 'love_frozen'::text]))),
  CONSTRAINT "exchanges_asset" CHECK (((target = 'points'::text) = (asset = 'points'::text))),
  CONSTRAINT "exchanges_entry_id_fkey" FOREIGN KEY (entry_id) REFERENCES rebate.entries(id),
  CONSTRAINT "exchanges_entry_id_key" UNIQUE (entry_id),
  CONSTRAINT "exchanges_pkey" PRIMARY KEY (id),
  CONSTRAINT "exchanges_ratio_bps_check" CHECK (((ratio_bps >= 1) AND (ratio_bps <= 1000000))),
  CONSTRAINT "exchanges_remaining_fen_check" CHECK ((remaining_fen >= 1)),
  CONSTRAINT "exchanges_target_check" CHECK ((target = ANY (ARRAY['points'::text, 'love'::text])))
);

ALTER TABLE "rebate"."exchanges"
  ENABLE ROW LEVEL SECURITY;

CREATE INDEX exchanges_member_idx ON rebate.exchanges USING btree (member_id, id);

CREATE TABLE "rebate"."points_transfers" (
  "id"             bigint                   GENERATED ALWAYS AS IDENTITY NOT NULL,
  "from_member_id" uuid                     NOT NULL,
  "to_member_id"   uuid                     NOT NULL,
  "points"         bigint                   NOT NULL,
  "created_at"     timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT "points_transfers_from_member_id_fkey" FOREIGN KEY (from_member_id) REFERENCES rebate.members(id),
  CONSTRAINT "points_transfers_not_self" CHECK ((from_member_id <> to_member_id)),
  CONSTRAINT "points_transfers_pkey" PRIMARY KEY (id),
  CONSTRAINT "points_transfers_points_check" CHECK (((points >= 1) AND (points <= 100000000))),
  CONSTRAINT "points_transfers_to_member_id_fkey" FOREIGN KEY (to_member_id) REFERENCES rebate.members(id)
);

ALTER TABLE "rebate"."points_transfers"
  ENABLE ROW LEVEL SECURITY;

CREATE INDEX points_transfers_from_idx ON rebate.points_transfers USING btree (from_member_id, id);

CREATE INDEX points_transfers_to_idx ON rebate.points_transfers USING btree (to_member_id, id);

-- ============================================================ functions

-- Checks a member may exchange this entry into p_target; raises the refusal otherwise.
CREATE OR REPLACE FUNCTION rebate.check_exchange (
  p_entry    rebate.entries,
  p_target   text,
  p_settings rebate.settings
)
  RETURNS void
  LANGUAGE plpgsql
  IMMUTABLE
  SET search_path TO ''
  AS $function$
begin
  if p_entry.status <> 'waiting' then
    raise exception using errcode = 'P0001', message = 'entry_not_waiting', hint = '该排队名额已不在排队中，不能兑换';
  end if;
  if (case p_target when 'points' then p_settings.points_exchange_bps else p_settings.love_exchange_bps end) = 0 then
    raise exception using errcode = 'P0001', message = 'exchange_off',
      hint = case p_target when 'points' then '暂不支持兑换积分' else '暂不支持兑换爱心值' end;
  end if;
  if rebate.bps_of(p_entry.entitlement_fen - p_entry.received_fen,
                   case p_target when 'points' then p_settings.points_exchange_bps else p_settings.love_exchange_bps end) = 0 then
    raise exception using errcode = 'P0001', message = 'exchange_amount_zero', hint = '可兑换数量为 0';
  end if;
end;
$function$;
comment on function rebate.check_exchange(p_entry rebate.entries, p_target text, p_settings rebate.settings) is 'Checks a member may exchange this entry into p_target; raises the refusal otherwise.';
revoke all on function rebate.check_exchange(p_entry rebate.entries, p_target text, p_settings rebate.settings) from public, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION rebate.check_exchange_target (
  p_target text
)
  RETURNS void
  LANGUAGE plpgsql
  IMMUTABLE
  SET search_path TO ''
  AS $function$
begin
  if p_target is null or p_target not in ('points', 'love') then
    raise exception using errcode = 'P0001', message = 'invalid_exchange_target', hint = '请选择兑换积分或爱心值';
  end if;
end;
$function$;
comment on function rebate.check_exchange_target(p_target text) is 'Raises invalid_target unless the exchange target is points or love.';
revoke all on function rebate.check_exchange_target(p_target text) from public, anon, authenticated, service_role;

-- The configuration a draw on this entry uses now: that of the rule that gave its ratio
-- (product / store product, store, cashier, or the plugin); null when the entry's ratio did
-- not come from a lottery rule, or that lottery has been switched off since.
CREATE OR REPLACE FUNCTION rebate.entry_lottery_config (
  p_entry rebate.entries
)
  RETURNS jsonb
  LANGUAGE plpgsql
  STABLE
  SET search_path TO ''
  AS $function$
declare
  v jsonb;
begin
  case p_entry.rule_code
    when 'plugin_lottery' then
      select rebate.lottery_config(s.lottery_mode, s.lottery_options, s.lottery_min_bps, s.lottery_max_bps)
        into v from rebate.settings s where s.id = 1;
    when 'product_lottery', 'store_product_lottery' then
      select rebate.lottery_config(p.lottery_mode, p.lottery_options, p.lottery_min_bps, p.lottery_max_bps)
        into v from rebate.order_lines l join rebate.products p on p.id = l.product_id where l.id = p_entry.line_id;
    when 'store_lottery' then
      select rebate.lottery_config(st.lottery_mode, st.lottery_options, st.lottery_min_bps, st.lottery_max_bps)
        into v from rebate.orders o join rebate.stores st on st.id = o.store_id where o.id = p_entry.order_id;
    when 'cashier_lottery' then
      select rebate.lottery_config(c.lottery_mode, c.lottery_options, c.lottery_min_bps, c.lottery_max_bps)
        into v from rebate.orders o join rebate.cashiers c on c.id = o.cashier_id where o.id = p_entry.order_id;
    else
      v := null;
  end case;
  return v;
end;
$function$;
comment on function rebate.entry_lottery_config(p_entry rebate.entries) is 'The configuration a draw on this entry uses now: that of the rule that gave its ratio (product / store product, store, cashier, or the plugin); null when the entry''s ratio did not come from a lottery rule, or that lottery has been switched off since.';
revoke all on function rebate.entry_lottery_config(p_entry rebate.entries) from public, anon, authenticated, service_role;

-- The terms of exchanging this entry's remaining entitlement into p_target now.
CREATE OR REPLACE FUNCTION rebate.exchange_terms (
  p_entry    rebate.entries,
  p_target   text,
  p_settings rebate.settings,
  OUT        remaining_fen bigint,
  OUT        ratio_bps integer,
  OUT        amount bigint,
  OUT        asset text,
  OUT        frozen boolean
)
  RETURNS record
  LANGUAGE plpgsql
  IMMUTABLE
  SET search_path TO ''
  AS $function$
begin
  remaining_fen := p_entry.entitlement_fen - p_entry.received_fen;
  if p_target = 'points' then
    ratio_bps := p_settings.points_exchange_bps;
    asset := 'points';
    frozen := false;
  else
    ratio_bps := p_settings.love_exchange_bps;
    frozen := p_settings.love_exchange_frozen;
    asset := case when frozen then 'love_frozen' else 'love' end;
  end if;
  amount := rebate.bps_of(remaining_fen, ratio_bps);
end;
$function$;
comment on function rebate.exchange_terms(p_entry rebate.entries, p_target text, p_settings rebate.settings, OUT remaining_fen bigint, OUT ratio_bps integer, OUT amount bigint, OUT asset text, OUT frozen boolean) is 'The terms of exchanging this entry''s remaining entitlement into p_target now.';
revoke all on function rebate.exchange_terms(p_entry rebate.entries, p_target text, p_settings rebate.settings, OUT remaining_fen bigint, OUT ratio_bps integer, OUT amount bigint, OUT asset text, OUT frozen boolean) from public, anon, authenticated, service_role;

-- The lottery configuration as JSON, or null when the mode is off:
--   {"mode": "fixed", "options": [{"bps", "weight"}, …]}  or  {"mode": "interval", "min_bps", "max_bps"}
CREATE OR REPLACE FUNCTION rebate.lottery_config (
  p_mode    text,
  p_options jsonb,
  p_min     integer,
  p_max     integer
)
  RETURNS jsonb
  LANGUAGE sql
  IMMUTABLE
  SET search_path TO ''
  AS $function$
  select case p_mode
           when 'fixed' then pg_catalog.jsonb_build_object('mode', 'fixed', 'options', p_options)
           when 'interval' then pg_catalog.jsonb_build_object('mode', 'interval', 'min_bps', p_min, 'max_bps', p_max)
         end
$function$;
comment on function rebate.lottery_config(p_mode text, p_options jsonb, p_min integer, p_max integer) is 'The lottery configuration as JSON, or null when the mode is off:   {"mode": "fixed", "options": [{"bps", "weight"}, …]}  or  {"mode": "interval", "min_bps", "max_bps"}';
revoke all on function rebate.lottery_config(p_mode text, p_options jsonb, p_min integer, p_max integer) from public, anon, authenticated, service_role;

-- One draw from a configuration: the drawn ratio and the uniform value behind it.
-- Fixed: u uniform in [0, Σ weights), the option whose cumulative weight range holds u.
-- Interval: u uniform in [0, max − min], ratio min + u.
CREATE OR REPLACE FUNCTION rebate.lottery_pick (
  p_config jsonb,
  OUT      drawn_bps integer,
  OUT      random_value bigint
)
  RETURNS record
  LANGUAGE plpgsql
  SET search_path TO ''
  AS $function$
declare
  v_total bigint;
begin
  if p_config ->> 'mode' = 'fixed' then
    select sum((o ->> 'weight')::bigint) into v_total from jsonb_array_elements(p_config -> 'options') o;
    random_value := rebate.random_below(v_total);
    select x.bps into drawn_bps
      from (select (o ->> 'bps')::integer as bps,
                   sum((o ->> 'weight')::bigint) over (order by i) as upto
              from jsonb_array_elements(p_config -> 'options') with ordinality t(o, i)) x
     where x.upto > random_value
     order by x.upto
     limit 1;
  elsif p_config ->> 'mode' = 'interval' then
    random_value := rebate.random_below((p_config ->> 'max_bps')::bigint - (p_config ->> 'min_bps')::bigint + 1);
    drawn_bps := (p_config ->> 'min_bps')::integer + random_value::integer;
  else
    raise exception using errcode = 'P0001', message = 'lottery_off', hint = '抽奖活动未开启';
  end if;
end;
$function$;
comment on function rebate.lottery_pick(p_config jsonb, OUT drawn_bps integer, OUT random_value bigint) is 'One draw from a configuration: the drawn ratio and the uniform value behind it. Fixed: u uniform in [0, Σ weights), the option whose cumulative weight range holds u. Interval: u uniform in [0, max − min], ratio min + u.';
revoke all on function rebate.lottery_pick(p_config jsonb, OUT drawn_bps integer, OUT random_value bigint) from public, anon, authenticated, service_role;

-- The member draws for one of their entries (SPEC §6). Locks the entry's queue first (as
-- settlement does), re-reads the entry under it, and refuses with a stable code:
-- entry_not_found, lottery_not_available (ratio not from a lottery rule), lottery_already_drawn,
-- entry_not_waiting, entry_already_received, lottery_off (that lottery is switched off now).
-- New entitlement = line paid amount × drawn ratio, half-up to the fen (at least 1 fen).
CREATE OR REPLACE FUNCTION public.draw_lottery (
  p_entry_id bigint
)
  RETURNS public.lottery_draw_result
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_uid uuid := rebate.require_member();
  e rebate.entries;
  d rebate.lottery_draws;
  v_config jsonb;
  v_pick record;
  v_ent bigint;
  v_name text;
begin
  select * into e from rebate.entries x where x.id = p_entry_id and x.member_id = v_uid;
  if not found then
    raise exception using errcode = 'P0001', message = 'entry_not_found', hint = '排队名额不存在';
  end if;
  -- the queue's lock first (same order as settlement), then the entry as it is now
  perform 1 from rebate.queues q where q.id = e.queue_id for update;
  select * into e from rebate.entries x where x.id = p_entry_id for update;
  if e.rule_code not like '%\_lottery' then
    raise exception using errcode = 'P0001', message = 'lottery_not_available', hint = '该排队名额不能抽奖';
  end if;
  if exists (select 1 from rebate.lottery_draws x where x.entry_id = e.id) then
    raise exception using errcode = 'P0001', message = 'lottery_already_drawn', hint = '该排队名额已经抽过奖了';
  end if;
  if e.status <> 'waiting' then
    raise exception using errcode = 'P0001', message = 'entry_not_waiting', hint = '该排队名额已不在排队中，不能抽奖';
  end if;
  if e.received_fen > 0 then
    raise exception using errcode = 'P0001', message = 'entry_already_received', hint = '该排队名额已开始返利，不能再抽奖';
  end if;
  v_config := rebate.entry_lottery_config(e);
  if v_config is null then
    raise exception using errcode = 'P0001', message = 'lottery_off', hint = '抽奖活动未开启';
  end if;

  select * into v_pick from rebate.lottery_pick(v_config);
  v_ent := greatest(1, rebate.bps_of(e.base_fen, v_pick.drawn_bps));

  update rebate.entries x set reward_bps = v_pick.drawn_bps, entitlement_fen = v_ent where x.id = e.id;
  update rebate.order_lines l set reward_bps = v_pick.drawn_bps, entitlement_fen = v_ent where l.id = e.line_id;
  update rebate.queues q set total_entitlement_fen = q.total_entitlement_fen + (v_ent - e.entitlement_fen)
   where q.id = e.queue_id;
  insert into rebate.lottery_draws (entry_id, member_id, queue_id, rule_code, mode, config, random_value, previous_bps,
                                    drawn_bps, previous_entitlement_fen, entitlement_fen)
  values (e.id, e.member_id, e.queue_id, e.rule_code, v_config ->> 'mode', v_config, v_pick.random_value, e.reward_bps,
          v_pick.drawn_bps, e.entitlement_fen, v_ent)
  returning * into d;

  select s.display_name into v_name from rebate.settings s where s.id = 1;
  insert into rebate.messages (member_id, kind, title, body, entry_id, order_id, amount_fen)
  values (e.member_id, 'lottery_drawn', v_name || '抽奖结果',
          '抽中奖励比例' || rebate.bps_text(d.drawn_bps) || '，待返权益' || rebate.fen_text(v_ent),
          e.id, e.order_id, v_ent);

  return jsonb_populate_record(null::public.lottery_draw_result, jsonb_build_object(
    'entry_id', e.id, 'mode', d.mode, 'drawn_bps', d.drawn_bps, 'previous_bps', d.previous_bps,
    'previous_entitlement_fen', d.previous_entitlement_fen, 'entitlement_fen', d.entitlement_fen,
    'entitlement', d.entitlement_fen, 'remaining_fen', d.entitlement_fen, 'rule_code', e.rule_code,
    'rule_label', e.rule_label, 'config', d.config, 'options', d.config -> 'options',
    'min_bps', d.config -> 'min_bps', 'max_bps', d.config -> 'max_bps', 'drawn_at', d.drawn_at));
end;
$function$;
comment on function public.draw_lottery(p_entry_id bigint) is 'The member draws for one of their entries (SPEC §6). Locks the entry''s queue first (as settlement does), re-reads the entry under it, and refuses with a stable code: entry_not_found, lottery_not_available (ratio not from a lottery rule), lottery_already_drawn, entry_not_waiting, entry_already_received, lottery_off (that lottery is switched off now). New entitlement = line paid amount × drawn ratio, half-up to the fen (at least 1 fen).';
revoke all on function public.draw_lottery(p_entry_id bigint) from public, anon, authenticated, service_role;
grant execute on function public.draw_lottery(p_entry_id bigint) to authenticated;

-- Exchanges one of my waiting entries (final). → the preview's fields plus
-- {exchange_id, status: 'exchanged', entry_status, balance_after, exchanged_at}
CREATE OR REPLACE FUNCTION public.exchange_entry (
  p_entry_id bigint,
  p_target   text
)
  RETURNS public.exchange_result
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_uid uuid := rebate.require_member();
  e rebate.entries;
  s rebate.settings;
  t record;
  x rebate.exchanges;
  v_after bigint;
begin
  perform rebate.check_exchange_target(p_target);
  select * into e from rebate.entries y where y.id = p_entry_id and y.member_id = v_uid;
  if not found then
    raise exception using errcode = 'P0001', message = 'entry_not_found', hint = '排队名额不存在';
  end if;
  -- the queue's lock first, as every distribution takes it; then the entry as it is now
  perform 1 from rebate.queues q where q.id = e.queue_id for update;
  select * into e from rebate.entries y where y.id = p_entry_id for update;
  select * into s from rebate.settings y where y.id = 1;
  perform rebate.check_exchange(e, p_target, s);
  select * into t from rebate.exchange_terms(e, p_target, s);

  update rebate.entries y set status = 'exchanged', closed_fen = t.remaining_fen, ended_at = now() where y.id = e.id;
  insert into rebate.exchanges (entry_id, member_id, queue_id, target, asset, remaining_fen, ratio_bps, amount)
  values (e.id, e.member_id, e.queue_id, p_target, t.asset, t.remaining_fen, t.ratio_bps, t.amount)
  returning * into x;
  v_after := (rebate.post_ledger(e.member_id, t.asset, t.amount, 'entry_exchange', e.order_id, e.id)).balance_after;
  insert into rebate.messages (member_id, kind, title, body, entry_id, order_id, amount_fen)
  values (e.member_id, 'entry_exchanged', s.display_name || s.exchange_name || '成功',
          '排队名额剩余' || rebate.fen_text(t.remaining_fen) || '已' || s.exchange_name || '为'
            || case when p_target = 'points' then t.amount::text || '积分'
                    else '爱心值' || rebate.fen_text(t.amount) || case when t.frozen then '（冻结）' else '' end end,
          e.id, e.order_id, t.amount);

  return jsonb_populate_record(null::public.exchange_result, jsonb_build_object('entry_id', e.id, 'target', p_target, 'remaining_fen', t.remaining_fen,
                            'ratio_bps', t.ratio_bps, 'exchange_bps', t.ratio_bps, 'amount', t.amount,
                            'asset', t.asset, 'frozen', t.frozen, 'exchange_id', x.id, 'status', 'exchanged',
                            'entry_status', 'exchanged', 'balance_after', v_after, 'exchanged_at', x.created_at));
end;
$function$;
comment on function public.exchange_entry(p_entry_id bigint, p_target text) is 'Exchanges one of my waiting entries (final). → the preview''s fields plus {exchange_id, status: ''exchanged'', entry_status, balance_after, exchanged_at}';
revoke all on function public.exchange_entry(p_entry_id bigint, p_target text) from public, anon, authenticated, service_role;
grant execute on function public.exchange_entry(p_entry_id bigint, p_target text) to authenticated;

-- What exchanging one of my waiting entries would give, exactly (nothing changes).
-- → {entry_id, target, remaining_fen, ratio_bps, exchange_bps, amount, asset, frozen}
CREATE OR REPLACE FUNCTION public.preview_exchange (
  p_entry_id bigint,
  p_target   text
)
  RETURNS public.exchange_preview
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_uid uuid := rebate.require_member();
  e rebate.entries;
  s rebate.settings;
  t record;
begin
  perform rebate.check_exchange_target(p_target);
  select * into e from rebate.entries x where x.id = p_entry_id and x.member_id = v_uid;
  if not found then
    raise exception using errcode = 'P0001', message = 'entry_not_found', hint = '排队名额不存在';
  end if;
  select * into s from rebate.settings x where x.id = 1;
  perform rebate.check_exchange(e, p_target, s);
  select * into t from rebate.exchange_terms(e, p_target, s);
  return jsonb_populate_record(null::public.exchange_preview, jsonb_build_object('entry_id', e.id, 'target', p_target, 'remaining_fen', t.remaining_fen,
                            'ratio_bps', t.ratio_bps, 'exchange_bps', t.ratio_bps, 'amount', t.amount,
                            'asset', t.asset, 'frozen', t.frozen));
end;
$function$;
comment on function public.preview_exchange(p_entry_id bigint, p_target text) is 'What exchanging one of my waiting entries would give, exactly (nothing changes). → {entry_id, target, remaining_fen, ratio_bps, exchange_bps, amount, asset, frozen}';
revoke all on function public.preview_exchange(p_entry_id bigint, p_target text) from public, anon, authenticated, service_role;
grant execute on function public.preview_exchange(p_entry_id bigint, p_target text) to authenticated;

-- Who a points transfer to this member code would reach, for the confirmation the sender sees
-- before sending (nickname masked). Refuses what transfer_points refuses about the recipient:
-- invalid_member_code, member_not_found, transfer_to_self.
CREATE OR REPLACE FUNCTION public.transfer_recipient (
  p_member_code text
)
  RETURNS public.transfer_recipient_info
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_uid uuid := rebate.require_member();
  v_code text := upper(btrim(coalesce(p_member_code, '')));
  v_to rebate.members;
begin
  if v_code !~ '^[A-Z0-9]{8}$' then
    raise exception using errcode = 'P0001', message = 'invalid_member_code', hint = '会员编号无效';
  end if;
  select * into v_to from rebate.members m where m.member_code = v_code;
  if not found then
    raise exception using errcode = 'P0001', message = 'member_not_found', hint = '收款会员不存在';
  end if;
  if v_to.id = v_uid then
    raise exception using errcode = 'P0001', message = 'transfer_to_self', hint = '不能转赠给自己';
  end if;
  return row(v_to.member_code, rebate.mask_name(v_to.nickname))::public.transfer_recipient_info;
end;
$function$;
comment on function public.transfer_recipient(p_member_code text) is 'Who a points transfer to this member code would reach, for the confirmation the sender sees before sending (nickname masked). Refuses what transfer_points refuses about the recipient: invalid_member_code, member_not_found, transfer_to_self.';
revoke all on function public.transfer_recipient(p_member_code text) from public, anon, authenticated, service_role;
grant execute on function public.transfer_recipient(p_member_code text) to authenticated;

-- Sends points to another member, found by member code. Both wallets are locked in member
-- order; the sender's balance never goes negative (insufficient_points).
-- → {transfer_id, points, points_balance, balance_after, to_member_code, to_nickname_masked, to_nickname}
CREATE OR REPLACE FUNCTION public.transfer_points (
  p_to_member_code text,
  p_points         bigint
)
  RETURNS public.points_transfer_result
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_uid uuid := rebate.require_member();
  v_code text := upper(btrim(coalesce(p_to_member_code, '')));
  v_to rebate.members;
  v_from_name text;
  v_id bigint;
  v_after bigint;
begin
  if v_code !~ '^[A-Z0-9]{8}$' then
    raise exception using errcode = 'P0001', message = 'invalid_member_code', hint = '会员编号无效';
  end if;
  if p_points is null or p_points not between 1 and 100000000 then
    raise exception using errcode = 'P0001', message = 'invalid_points', hint = '转赠积分应在 1 到 100000000 之间';
  end if;
  select * into v_to from rebate.members m where m.member_code = v_code;
  if not found then
    raise exception using errcode = 'P0001', message = 'member_not_found', hint = '收款会员不存在';
  end if;
  if v_to.id = v_uid then
    raise exception using errcode = 'P0001', message = 'transfer_to_self', hint = '不能转赠给自己';
  end if;
  perform 1 from rebate.wallets w where w.member_id in (v_uid, v_to.id) order by w.member_id for update;
  v_after := (rebate.post_ledger(v_uid, 'points', -p_points, 'points_transfer_out')).balance_after;
  perform rebate.post_ledger(v_to.id, 'points', p_points, 'points_transfer_in');
  insert into rebate.points_transfers (from_member_id, to_member_id, points) values (v_uid, v_to.id, p_points)
  returning id into v_id;
  select m.nickname into v_from_name from rebate.members m where m.id = v_uid;
  insert into rebate.messages (member_id, kind, title, body, amount_fen)
  values (v_to.id, 'points_received', '收到积分转赠',
          '会员' || rebate.mask_name(v_from_name) || '转赠给你' || p_points::text || '积分', p_points);
  return jsonb_populate_record(null::public.points_transfer_result, jsonb_build_object('transfer_id', v_id, 'points', p_points, 'points_balance', v_after, 'balance_after', v_after,
                            'to_member_code', v_to.member_code, 'to_nickname_masked', rebate.mask_name(v_to.nickname),
                            'to_nickname', rebate.mask_name(v_to.nickname)));
end;
$function$;
comment on function public.transfer_points(p_to_member_code text, p_points bigint) is 'Sends points to another member, found by member code. Both wallets are locked in member order; the sender''s balance never goes negative (insufficient_points). → {transfer_id, points, points_balance, balance_after, to_member_code, to_nickname_masked, to_nickname}';
revoke all on function public.transfer_points(p_to_member_code text, p_points bigint) from public, anon, authenticated, service_role;
grant execute on function public.transfer_points(p_to_member_code text, p_points bigint) to authenticated;

-- ============================================================ triggers

CREATE TRIGGER exchanges_append_only
  BEFORE DELETE OR UPDATE ON rebate.exchanges
  FOR EACH ROW
  EXECUTE FUNCTION rebate.forbid_change();

CREATE TRIGGER lottery_draws_append_only
  BEFORE DELETE OR UPDATE ON rebate.lottery_draws
  FOR EACH ROW
  EXECUTE FUNCTION rebate.forbid_change();

CREATE TRIGGER points_transfers_append_only
  BEFORE DELETE OR UPDATE ON rebate.points_transfers
  FOR EACH ROW
  EXECUTE FUNCTION rebate.forbid_change();

-- ============================================================ policies

CREATE POLICY "Members can read their own lottery draws" ON "rebate"."lottery_draws"
  FOR SELECT
  TO "authenticated"
  USING ((member_id = ( SELECT auth.uid() AS uid)));

CREATE POLICY "Members can read their own exchanges" ON "rebate"."exchanges"
  FOR SELECT
  TO "authenticated"
  USING ((member_id = ( SELECT auth.uid() AS uid)));

CREATE POLICY "Members can read the transfers they sent or received" ON "rebate"."points_transfers"
  FOR SELECT
  TO "authenticated"
  USING (((from_member_id = ( SELECT auth.uid() AS uid)) OR (to_member_id = ( SELECT auth.uid() AS uid))));

-- ============================================================ grants

GRANT SELECT ON TABLE "rebate"."lottery_draws" TO "service_role";

GRANT SELECT ON TABLE "rebate"."exchanges" TO "service_role";

GRANT SELECT ON TABLE "rebate"."points_transfers" TO "service_role";
