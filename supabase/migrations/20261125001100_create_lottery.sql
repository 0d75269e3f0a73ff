-- Lottery (抽奖, SPEC §6): a member may draw once for a waiting entry that has received
-- nothing yet and whose ratio came from a lottery rule (rule_code '*_lottery'). Fixed mode
-- picks one configured ratio by weight, interval mode picks uniformly in [min, max] at 1 bps
-- granularity, with pgcrypto's cryptographic random bytes (rejection sampling, no modulo
-- bias). The drawn ratio replaces the entry's ratio; its entitlement is recomputed under the
-- queue's lock; the draw (time, mode, configuration, result) is stored, append-only.

-- ============================================================ tables
create table rebate.lottery_draws (
  id                        bigint generated always as identity primary key,
  entry_id                  bigint not null unique references rebate.entries (id),   -- once per entry
  member_id                 uuid not null,
  queue_id                  bigint not null,
  rule_code                 text not null,
  mode                      text not null check (mode in ('fixed', 'interval')),
  config                    jsonb not null,      -- the configuration drawn from (options, or min/max)
  random_value              bigint not null check (random_value >= 0),   -- the uniform draw behind the result
  previous_bps              integer not null check (previous_bps between 0 and 100000),
  drawn_bps                 integer not null check (drawn_bps between 1 and 100000),
  previous_entitlement_fen  bigint not null check (previous_entitlement_fen >= 1),
  entitlement_fen           bigint not null check (entitlement_fen >= 1),
  drawn_at                  timestamptz not null default now()
);

create index lottery_draws_member_idx on rebate.lottery_draws (member_id, id);

-- ============================================================ functions
-- A uniform random integer in [0, p_n) from cryptographic random bytes (pgcrypto), by
-- rejection sampling: values of the 32-bit draw at or above the largest multiple of p_n are
-- drawn again, so every result is exactly equally likely.
create or replace function rebate.random_below(p_n bigint) returns bigint
language plpgsql volatile set search_path = ''
as $$
declare
  c_range constant bigint := 4294967296;
  v_limit bigint;
  b bytea;
  v bigint;
begin
  if p_n is null or p_n < 1 or p_n > c_range then
    raise exception using errcode = 'P0001', message = 'invalid_random_range', hint = '随机范围无效';
  end if;
  v_limit := c_range - c_range % p_n;
  loop
    b := extensions.gen_random_bytes(4);
    v := (get_byte(b, 0)::bigint << 24) | (get_byte(b, 1)::bigint << 16) | (get_byte(b, 2)::bigint << 8)
         | get_byte(b, 3)::bigint;
    if v < v_limit then
      return v % p_n;
    end if;
  end loop;
end;
$$;

-- 1000 → '10%', 1250 → '12.5%', 333 → '3.33%'
create or replace function rebate.bps_text(p_bps integer) returns text
language sql immutable parallel safe
as $$
  select (p_bps / 100)::text
         || case when p_bps % 100 = 0 then ''
                 else '.' || pg_catalog.rtrim(pg_catalog.lpad((p_bps % 100)::text, 2, '0'), '0') end || '%'
$$;

-- The lottery configuration as JSON, or null when the mode is off:
--   {"mode": "fixed", "options": [{"bps", "weight"}, …]}  or  {"mode": "interval", "min_bps", "max_bps"}
create or replace function rebate.lottery_config(p_mode text, p_options jsonb, p_min integer, p_max integer)
returns jsonb
language sql immutable
as $$
  select case p_mode
           when 'fixed' then pg_catalog.jsonb_build_object('mode', 'fixed', 'options', p_options)
           when 'interval' then pg_catalog.jsonb_build_object('mode', 'interval', 'min_bps', p_min, 'max_bps', p_max)
         end
$$;

-- The configuration a draw on this entry uses now: that of the rule that gave its ratio
-- (product / store product, store, cashier, or the plugin); null when the entry's ratio did
-- not come from a lottery rule, or that lottery has been switched off since.
create or replace function rebate.entry_lottery_config(p_entry rebate.entries) returns jsonb
language plpgsql stable set search_path = ''
as $$
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
$$;

-- One draw from a configuration: the drawn ratio and the uniform value behind it.
-- Fixed: u uniform in [0, Σ weights), the option whose cumulative weight range holds u.
-- Interval: u uniform in [0, max − min], ratio min + u.
create or replace function rebate.lottery_pick(p_config jsonb, out drawn_bps integer, out random_value bigint)
language plpgsql volatile set search_path = ''
as $$
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
$$;

-- The member draws for one of their entries (SPEC §6). Locks the entry's queue first (as
-- settlement does), re-reads the entry under it, and refuses with a stable code:
-- entry_not_found, lottery_not_available (ratio not from a lottery rule), lottery_already_drawn,
-- entry_not_waiting, entry_already_received, lottery_off (that lottery is switched off now).
-- New entitlement = line paid amount × drawn ratio, half-up to the fen (at least 1 fen).
create or replace function public.draw_lottery(p_entry_id bigint) returns jsonb
language plpgsql volatile security definer set search_path = ''
as $$
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

  return jsonb_build_object(
    'entry_id', e.id, 'mode', d.mode, 'drawn_bps', d.drawn_bps, 'previous_bps', d.previous_bps,
    'previous_entitlement_fen', d.previous_entitlement_fen, 'entitlement_fen', d.entitlement_fen,
    'entitlement', d.entitlement_fen, 'remaining_fen', d.entitlement_fen, 'rule_code', e.rule_code,
    'rule_label', e.rule_label, 'config', d.config, 'options', d.config -> 'options',
    'min_bps', d.config -> 'min_bps', 'max_bps', d.config -> 'max_bps', 'drawn_at', d.drawn_at);
end;
$$;

-- ============================================================ functions: triggers
create trigger lottery_draws_append_only before update or delete on rebate.lottery_draws
  for each row execute function rebate.forbid_change();

-- ============================================================ policies
alter table rebate.lottery_draws enable row level security;

create policy "Members can read their own lottery draws"
  on rebate.lottery_draws for select to authenticated using (member_id = (select auth.uid()));

-- ============================================================ grants
revoke all on rebate.lottery_draws from public, anon, authenticated, service_role;
grant select on rebate.lottery_draws to service_role;

revoke all on function rebate.random_below(bigint), rebate.bps_text(integer),
  rebate.lottery_config(text, jsonb, integer, integer), rebate.entry_lottery_config(rebate.entries),
  rebate.lottery_pick(jsonb)
  from public, anon, authenticated;

revoke all on function public.draw_lottery(bigint) from public, anon, authenticated, service_role;
grant execute on function public.draw_lottery(bigint) to authenticated;
