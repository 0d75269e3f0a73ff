-- Reward time windows and limits, random return (随机返), clearing (清零), rule settings for the back office
-- SPEC §5, §7, §8.
-- The source of truth (docs/database.md): edit here, then `npm run db:diff -- <name>` writes the migration.

-- ============================================================ tables

-- Entries granted per member and limited target; day_count counts the entries of `day`.
CREATE TABLE "rebate"."member_target_counts" (
  "member_id"   uuid    NOT NULL,
  "target_kind" text    NOT NULL,
  "target_id"   bigint  NOT NULL,
  "day"         date    NOT NULL,
  "day_count"   integer NOT NULL,
  "total_count" integer NOT NULL,
  CONSTRAINT "member_target_counts_check" CHECK ((total_count >= day_count)),
  CONSTRAINT "member_target_counts_day_count_check" CHECK ((day_count >= 0)),
  CONSTRAINT "member_target_counts_pkey" PRIMARY KEY (member_id, target_kind, target_id),
  CONSTRAINT "member_target_counts_target_kind_check" CHECK ((target_kind = ANY (ARRAY['product'::text, 'store'::text, 'cashier'::text])))
);

ALTER TABLE "rebate"."member_target_counts"
  ENABLE ROW LEVEL SECURITY;

CREATE INDEX member_target_counts_target_idx ON rebate.member_target_counts USING btree (target_kind, target_id);

CREATE TABLE "rebate"."random_return_groups" (
  "queue_id"     bigint                   NOT NULL,
  "group_no"     integer                  NOT NULL,
  "group_size"   smallint                 NOT NULL,
  "points_count" smallint                 NOT NULL,
  "joined"       smallint                 NOT NULL DEFAULT 0,
  "converted"    smallint                 NOT NULL DEFAULT 0,
  "started_at"   timestamp with time zone NOT NULL DEFAULT now(),
  "ended_at"     timestamp with time zone,
  "end_reason"   text,
  CONSTRAINT "random_return_groups_counts"
    CHECK
    ((((points_count >= 0) AND (points_count <= group_size)) AND ((joined >= 0) AND (joined <= group_size)) AND ((converted >= 0) AND (converted <= points_count)) AND
    ((points_count - converted) <= (group_size - joined)))),
  CONSTRAINT "random_return_groups_end_reason_check" CHECK ((end_reason = ANY (ARRAY['full'::text, 'abandoned'::text]))),
  CONSTRAINT "random_return_groups_end"
    CHECK ((((ended_at IS NULL) = (end_reason IS NULL)) AND ((end_reason IS DISTINCT FROM 'full'::text) OR ((joined = group_size) AND (converted = points_count))) AND ((ended_at IS
    NOT NULL) OR (joined < group_size)))),
  CONSTRAINT "random_return_groups_group_no_check" CHECK ((group_no >= 1)),
  CONSTRAINT "random_return_groups_group_size_check" CHECK (((group_size >= 1) AND (group_size <= 100))),
  CONSTRAINT "random_return_groups_pkey" PRIMARY KEY (queue_id, group_no),
  CONSTRAINT "random_return_groups_queue_id_fkey" FOREIGN KEY (queue_id) REFERENCES rebate.queues(id)
);

ALTER TABLE "rebate"."random_return_groups"
  ENABLE ROW LEVEL SECURITY;

CREATE UNIQUE INDEX random_return_groups_open_idx ON rebate.random_return_groups USING btree (queue_id)
  WHERE (ended_at IS NULL);

CREATE TABLE "rebate"."random_returns" (
  "entry_id"      bigint                   NOT NULL,
  "member_id"     uuid                     NOT NULL,
  "queue_id"      bigint                   NOT NULL,
  "group_no"      integer                  NOT NULL,
  "position"      smallint                 NOT NULL,
  "converted_fen" bigint                   NOT NULL,  -- the entitlement converted
  "ratio_bps"     integer                  NOT NULL,
  "points"        bigint                   NOT NULL,
  "created_at"    timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT "random_returns_converted_fen_check" CHECK ((converted_fen >= 1)),
  CONSTRAINT "random_returns_entry_id_fkey" FOREIGN KEY (entry_id) REFERENCES rebate.entries(id),
  CONSTRAINT "random_returns_pkey" PRIMARY KEY (entry_id),
  CONSTRAINT "random_returns_points_check" CHECK ((points >= 0)),
  CONSTRAINT "random_returns_position_check" CHECK (("position" >= 1)),
  CONSTRAINT "random_returns_queue_id_group_no_fkey" FOREIGN KEY (queue_id, group_no) REFERENCES rebate.random_return_groups(queue_id, group_no),
  CONSTRAINT "random_returns_queue_id_group_no_position_key" UNIQUE (queue_id, group_no, "position"),
  CONSTRAINT "random_returns_ratio_bps_check" CHECK (((ratio_bps >= 0) AND (ratio_bps <= 1000000)))
);

ALTER TABLE "rebate"."random_returns"
  ENABLE ROW LEVEL SECURITY;

CREATE INDEX random_returns_member_idx ON rebate.random_returns USING btree (member_id);

CREATE TABLE "rebate"."clearing_runs" (
  "id"            bigint                   GENERATED ALWAYS AS IDENTITY NOT NULL,
  "scheduled_at"  timestamp with time zone NOT NULL,  -- idempotent per scheduled instant
  "schedule"      text                     NOT NULL,
  "requested_at"  timestamp with time zone NOT NULL,  -- the p_at that ran it
  "cleared_count" integer                  NOT NULL DEFAULT 0,
  "forfeited_fen" bigint                   NOT NULL DEFAULT 0,
  "queue_count"   integer                  NOT NULL DEFAULT 0,
  "created_at"    timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT "clearing_runs_cleared_count_check" CHECK ((cleared_count >= 0)),
  CONSTRAINT "clearing_runs_forfeited_fen_check" CHECK ((forfeited_fen >= 0)),
  CONSTRAINT "clearing_runs_pkey" PRIMARY KEY (id),
  CONSTRAINT "clearing_runs_queue_count_check" CHECK ((queue_count >= 0)),
  CONSTRAINT "clearing_runs_schedule_check" CHECK ((schedule = ANY (ARRAY['daily'::text, 'weekly'::text, 'monthly'::text, 'once'::text]))),
  CONSTRAINT "clearing_runs_scheduled_at_key" UNIQUE (scheduled_at)
);

ALTER TABLE "rebate"."clearing_runs"
  ENABLE ROW LEVEL SECURITY;

CREATE TABLE "rebate"."clearing_items" (
  "entry_id"      bigint NOT NULL,
  "run_id"        bigint NOT NULL,
  "queue_id"      bigint NOT NULL,
  "member_id"     uuid   NOT NULL,
  "forfeited_fen" bigint NOT NULL,
  CONSTRAINT "clearing_items_forfeited_fen_check" CHECK ((forfeited_fen >= 1)),
  CONSTRAINT "clearing_items_pkey" PRIMARY KEY (entry_id),
  CONSTRAINT "clearing_items_run_id_fkey" FOREIGN KEY (run_id) REFERENCES rebate.clearing_runs(id),
  CONSTRAINT "clearing_items_entry_id_fkey" FOREIGN KEY (entry_id) REFERENCES rebate.entries(id)
);

ALTER TABLE "rebate"."clearing_items"
  ENABLE ROW LEVEL SECURITY;

CREATE INDEX clearing_items_run_idx ON rebate.clearing_items USING btree (run_id);

-- ============================================================ functions

-- Called under the queue's lock right after an entry joined: random return (SPEC §7).
CREATE OR REPLACE FUNCTION rebate.after_entry_joined (
  p_entry rebate.entries
)
  RETURNS void
  LANGUAGE plpgsql
  SET search_path TO ''
  AS $function$
declare
  v_on boolean;
  v_cash integer;
  v_points integer;
  v_scope text;
  v_store_id bigint;
  v_cashier_id bigint;
  v_mode text;
  v_ocash integer;
  v_opoints integer;
  g rebate.random_return_groups;
  v_convert boolean;
  v_amount bigint;
  v_bps integer;
  v_name text;
begin
  -- the setting that applies: a per-store / per-cashier queue's own when it is not 'inherit',
  -- else the plugin's (one statement on the hot path when random return is off)
  select s.random_return_enabled, s.random_cash_count, s.random_points_count, q.scope, q.store_id, q.cashier_id
    into v_on, v_cash, v_points, v_scope, v_store_id, v_cashier_id
    from rebate.settings s, rebate.queues q
   where s.id = 1 and q.id = p_entry.queue_id;
  if v_scope = 'store' then
    select x.random_return, x.random_cash_count, x.random_points_count into v_mode, v_ocash, v_opoints
      from rebate.stores x where x.id = v_store_id;
  elsif v_scope = 'cashier' then
    select x.random_return, x.random_cash_count, x.random_points_count into v_mode, v_ocash, v_opoints
      from rebate.cashiers x where x.id = v_cashier_id;
  end if;
  if v_mode in ('on', 'off') then
    v_on := v_mode = 'on';
    v_cash := v_ocash;
    v_points := v_opoints;
  end if;
  if not v_on then
    return;
  end if;
  select * into g from rebate.random_return_groups x where x.queue_id = p_entry.queue_id and x.ended_at is null;
  if found and (g.group_size <> v_cash + v_points or g.points_count <> v_points) then
    update rebate.random_return_groups x set ended_at = now(), end_reason = 'abandoned'
     where x.queue_id = g.queue_id and x.group_no = g.group_no;
    g := null;
  end if;
  if g.queue_id is null then
    insert into rebate.random_return_groups (queue_id, group_no, group_size, points_count)
    values (p_entry.queue_id,
            coalesce((select max(x.group_no) from rebate.random_return_groups x where x.queue_id = p_entry.queue_id), 0) + 1,
            v_cash + v_points, v_points)
    returning * into g;
  end if;

  v_convert := g.points_count > g.converted
               and rebate.random_below(g.group_size - g.joined) < g.points_count - g.converted;
  update rebate.random_return_groups x set
    joined = x.joined + 1,
    converted = x.converted + v_convert::integer,
    ended_at = case when x.joined + 1 = x.group_size then now() end,
    end_reason = case when x.joined + 1 = x.group_size then 'full' end
   where x.queue_id = g.queue_id and x.group_no = g.group_no;
  if not v_convert then
    return;
  end if;

  select s.points_exchange_bps, s.display_name into v_bps, v_name from rebate.settings s where s.id = 1;
  v_amount := rebate.bps_of(p_entry.entitlement_fen, v_bps);
  update rebate.entries e set status = 'completed', closed_fen = e.entitlement_fen, ended_at = now()
   where e.id = p_entry.id;
  insert into rebate.random_returns (entry_id, member_id, queue_id, group_no, position, converted_fen, ratio_bps, points)
  values (p_entry.id, p_entry.member_id, g.queue_id, g.group_no, g.joined + 1, p_entry.entitlement_fen, v_bps, v_amount);
  perform rebate.post_ledger(p_entry.member_id, 'points', v_amount, 'random_return_points', p_entry.order_id, p_entry.id);
  insert into rebate.messages (member_id, kind, title, body, entry_id, order_id, amount_fen)
  values (p_entry.member_id, 'entry_random_points', v_name || '随机返',
          '排队名额' || rebate.fen_text(p_entry.entitlement_fen) || '已随机返为' || v_amount::text || '积分，已完成',
          p_entry.id, p_entry.order_id, v_amount);
end;
$function$;
comment on function rebate.after_entry_joined(p_entry rebate.entries) is 'Called under the queue''s lock right after an entry joined: random return (SPEC §7).';
revoke all on function rebate.after_entry_joined(p_entry rebate.entries) from public, anon, authenticated, service_role;

-- The latest scheduled clearing instant at or before p_at (Asia/Shanghai wall clock), or null.
CREATE OR REPLACE FUNCTION rebate.clearing_due_at (
  p_settings rebate.settings,
  p_at       timestamp with time zone
)
  RETURNS timestamp WITH time zone
  LANGUAGE plpgsql
  IMMUTABLE
  SET search_path TO ''
  AS $function$
declare
  v_local timestamp := p_at at time zone 'Asia/Shanghai';
  v_day date := (p_at at time zone 'Asia/Shanghai')::date;
  v_month date;
  v_cand timestamp;
begin
  case p_settings.clearing_schedule
    when 'daily' then
      v_cand := v_day + p_settings.clearing_time;
      if v_cand > v_local then
        v_cand := v_cand - interval '1 day';
      end if;
    when 'weekly' then
      v_cand := (v_day - ((extract(isodow from v_day)::integer - p_settings.clearing_weekday + 7) % 7))
                + p_settings.clearing_time;
      if v_cand > v_local then
        v_cand := v_cand - interval '7 days';
      end if;
    when 'monthly' then
      v_month := date_trunc('month', v_local)::date;
      v_cand := rebate.month_day(v_month, p_settings.clearing_monthday) + p_settings.clearing_time;
      if v_cand > v_local then
        v_month := (v_month - interval '1 month')::date;
        v_cand := rebate.month_day(v_month, p_settings.clearing_monthday) + p_settings.clearing_time;
      end if;
    else
      return case when p_settings.clearing_at <= p_at then p_settings.clearing_at end;
  end case;
  return v_cand at time zone 'Asia/Shanghai';
end;
$function$;
comment on function rebate.clearing_due_at(p_settings rebate.settings, p_at timestamp with time zone) is 'The latest scheduled clearing instant at or before p_at (Asia/Shanghai wall clock), or null.';
revoke all on function rebate.clearing_due_at(p_settings rebate.settings, p_at timestamp with time zone) from public, anon, authenticated, service_role;

-- Whether p_at lies in one of the windows ([] = always).
CREATE OR REPLACE FUNCTION rebate.in_reward_window (
  p_windows jsonb,
  p_at      timestamp with time zone
)
  RETURNS boolean
  LANGUAGE plpgsql
  STABLE
  SET search_path TO ''
  AS $function$
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
$function$;
comment on function rebate.in_reward_window(p_windows jsonb, p_at timestamp with time zone) is 'Whether p_at lies in one of the windows ([] = always).';
revoke all on function rebate.in_reward_window(p_windows jsonb, p_at timestamp with time zone) from public, anon, authenticated, service_role;

-- Whether a member still has a place under a target's limits today (caller holds the
-- member's limit lock).
CREATE OR REPLACE FUNCTION rebate.limit_allows (
  p_member uuid,
  p_kind   text,
  p_id     bigint,
  p_daily  integer,
  p_total  integer,
  p_day    date
)
  RETURNS boolean
  LANGUAGE sql
  STABLE
  AS $function$
  select coalesce((select (p_daily is null or case when t.day = p_day then t.day_count else 0 end < p_daily)
                      and (p_total is null or t.total_count < p_total)
                     from rebate.member_target_counts t
                    where t.member_id = p_member and t.target_kind = p_kind and t.target_id = p_id),
                  (p_daily is null or p_daily > 0) and (p_total is null or p_total > 0))
$function$;
comment on function rebate.limit_allows(p_member uuid, p_kind text, p_id bigint, p_daily integer, p_total integer, p_day date) is 'Whether a member still has a place under a target''s limits today (caller holds the member''s limit lock).';
revoke all on function rebate.limit_allows(p_member uuid, p_kind text, p_id bigint, p_daily integer, p_total integer, p_day date) from public, anon, authenticated, service_role;

-- Counts one more entry of a member at a limited target.
CREATE OR REPLACE FUNCTION rebate.limit_take (
  p_member uuid,
  p_kind   text,
  p_id     bigint,
  p_day    date
)
  RETURNS void
  LANGUAGE sql
  AS $function$
  insert into rebate.member_target_counts as t (member_id, target_kind, target_id, day, day_count, total_count)
  values (p_member, p_kind, p_id, p_day, 1, 1)
  on conflict (member_id, target_kind, target_id) do update
    set day_count = case when t.day = excluded.day then t.day_count + 1 else 1 end,
        day = excluded.day,
        total_count = t.total_count + 1
$function$;
comment on function rebate.limit_take(p_member uuid, p_kind text, p_id bigint, p_day date) is 'Counts one more entry of a member at a limited target.';
revoke all on function rebate.limit_take(p_member uuid, p_kind text, p_id bigint, p_day date) from public, anon, authenticated, service_role;

-- Whether a line that joined its queue earns an entitlement: null when it does, else why
-- not — deduction_excluded (§5.4), outside_reward_window, limit_reached. With p_take (at
-- payment) a line that earns under a limit takes its place here (the entry follows in the
-- same transaction); without it (preview_order) nothing is locked or counted.
CREATE OR REPLACE FUNCTION rebate.line_earns_entitlement (
  p_line     rebate.order_lines,
  p_order    rebate.orders,
  p_settings rebate.settings,
  p_take     boolean
)
  RETURNS text
  LANGUAGE plpgsql
  SET search_path TO ''
  AS $function$
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

  -- a line that would earn nothing (ratio 0, or less than half a fen) takes no place; in union
  -- mode the ratio is the union quota (SPEC §13.2: no ratio chains there)
  if rebate.bps_of(p_line.pay_fen,
                   case when p_settings.programme_mode = 'union' then p_settings.union_quota_bps
                        else (select x.ratio_bps from rebate.resolve_reward_ratio(p_line, p_order, p_settings) x) end) = 0 then
    return null;
  end if;
  if p_take then
    perform pg_advisory_xact_lock(hashtextextended('rebate-limits:' || p_order.member_id::text, 0));
  end if;
  v_day := rebate.shanghai_day(v_now);
  if ((a_daily is not null or a_total is not null)
      and not rebate.limit_allows(p_order.member_id, v_kind, a_id, a_daily, a_total, v_day))
     or ((b_daily is not null or b_total is not null)
         and not rebate.limit_allows(p_order.member_id, 'store', p_order.store_id, b_daily, b_total, v_day)) then
    return 'limit_reached';
  end if;
  if not p_take then
    return null;
  end if;
  if a_daily is not null or a_total is not null then
    perform rebate.limit_take(p_order.member_id, v_kind, a_id, v_day);
  end if;
  if b_daily is not null or b_total is not null then
    perform rebate.limit_take(p_order.member_id, 'store', p_order.store_id, v_day);
  end if;
  return null;
end;
$function$;
comment on function rebate.line_earns_entitlement(p_line rebate.order_lines, p_order rebate.orders, p_settings rebate.settings, p_take boolean) is 'Whether a line earns an entitlement (null) or why not: deduction_excluded, outside_reward_window, limit_reached. p_take: at payment, take the place under a limit; false: preview, read only.';
revoke all on function rebate.line_earns_entitlement(p_line rebate.order_lines, p_order rebate.orders, p_settings rebate.settings, p_take boolean) from public, anon, authenticated, service_role;

-- Rebuilds the counts of one target from its entries, classic and union (when its limits
-- change): kept only while the target has a limit.
CREATE OR REPLACE FUNCTION rebate.refresh_limit_counts (
  p_kind text,
  p_id   bigint
)
  RETURNS void
  LANGUAGE plpgsql
  SET search_path TO ''
  AS $function$
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
    from (select x.member_id, x.line_id, x.order_id, x.created_at from rebate.entries x
          union all   -- union mode's entries count under the same limits (SPEC §13.1)
          select x.member_id, x.line_id, x.order_id, x.created_at from rebate.union_entries x) e
    join rebate.order_lines l on l.id = e.line_id
    join rebate.orders o on o.id = e.order_id
   where case p_kind when 'product' then l.product_id = p_id
                     when 'store' then o.channel = 'store' and o.store_id = p_id
                     else o.channel = 'cashier' and o.cashier_id = p_id end
   group by e.member_id;
end;
$function$;
comment on function rebate.refresh_limit_counts(p_kind text, p_id bigint) is 'Rebuilds the counts of one target from its entries, classic and union (when its limits change): kept only while the target has a limit.';
revoke all on function rebate.refresh_limit_counts(p_kind text, p_id bigint) from public, anon, authenticated, service_role;

-- The independent settings of one product / store / cashier as JSON.
CREATE OR REPLACE FUNCTION rebate.rule_settings_json (
  p_target    text,
  p_target_id bigint
)
  RETURNS jsonb
  LANGUAGE plpgsql
  STABLE
  SET search_path TO ''
  AS $function$
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
$function$;
comment on function rebate.rule_settings_json(p_target text, p_target_id bigint) is 'The independent settings of one product / store / cashier as JSON.';
revoke all on function rebate.rule_settings_json(p_target text, p_target_id bigint) from public, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION rebate.rule_table (
  p_target text
)
  RETURNS text
  LANGUAGE plpgsql
  IMMUTABLE
  SET search_path TO ''
  AS $function$
begin
  if p_target is null or p_target not in ('product', 'store', 'cashier') then
    raise exception using errcode = 'P0001', message = 'invalid_target', hint = '设置对象应为商品、门店或收银台';
  end if;
  return case p_target when 'product' then 'products' when 'store' then 'stores' else 'cashiers' end;
end;
$function$;
comment on function rebate.rule_table(p_target text) is 'The table whose rule columns a back-office rule target (product, store, cashier) edits.';
revoke all on function rebate.rule_table(p_target text) from public, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION public.admin_get_rule_settings (
  p_target    text,
  p_target_id bigint
)
  RETURNS jsonb
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
begin
  perform rebate.require_role('operations', 'finance');
  return rebate.rule_settings_json(p_target, p_target_id);
end;
$function$;
comment on function public.admin_get_rule_settings(p_target text, p_target_id bigint) is 'Administrator: the rule settings (ratios, lottery, windows, limits, random return) of one product, store or cashier.';
revoke all on function public.admin_get_rule_settings(p_target text, p_target_id bigint) from public, anon, authenticated, service_role;
grant execute on function public.admin_get_rule_settings(p_target text, p_target_id bigint) to authenticated;

-- Changes the independent settings (独立设置) of one product, store or cashier. p_patch is a
-- JSON object, field → value; every field is validated, unknown fields are refused:
--   rebate_enabled bool; reward_bps 0..100000|null (独立/默认比例); extraction_bps 0..10000|null;
--   level_reward_bps {"<level id>": bps}; tiers [{days, min_fen, bps}]; lottery_mode off|fixed|interval;
--   lottery_options [{bps, weight}]; lottery_min_bps / lottery_max_bps 1..100000;
--   reward_windows [{start, end}] | [{from, to}]; daily_limit / total_limit 0..1000000|null;
--   stores and cashiers only: random_return inherit|on|off, random_cash_count / random_points_count 0..100.
CREATE OR REPLACE FUNCTION public.admin_update_rule_settings (
  p_target    text,
  p_target_id bigint,
  p_patch     jsonb
)
  RETURNS jsonb
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_table text;
  v_cols text;
  v_vals text;
  v_before jsonb;
begin
  perform rebate.require_role('operations');   -- first: a caller who may not learns nothing of the input
  v_table := rebate.rule_table(p_target);
  v_before := rebate.rule_settings_json(p_target, p_target_id);
  perform rebate.rule_settings_json(p_target, p_target_id);     -- target_not_found
  if p_patch is null or jsonb_typeof(p_patch) <> 'object' or p_patch = '{}'::jsonb then
    raise exception using errcode = 'P0001', message = 'invalid_settings', hint = '设置内容无效';
  end if;
  perform rebate.check_rule_patch(p_target, p_patch);

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
  perform rebate.audit('rule_settings.update', p_target, p_target_id::text, v_before, rebate.rule_settings_json(p_target, p_target_id), null);
  return rebate.rule_settings_json(p_target, p_target_id);
end;
$function$;
comment on function public.admin_update_rule_settings(p_target text, p_target_id bigint, p_patch jsonb) is 'Changes the independent settings (独立设置) of one product, store or cashier. p_patch is a JSON object, field → value; every field is validated, unknown fields are refused:   rebate_enabled bool; reward_bps 0..100000|null (独立/默认比例); extraction_bps 0..10000|null;   level_reward_bps {"<level id>": bps}; tiers [{days, min_fen, bps}]; lottery_mode off|fixed|interval;   lottery_options [{bps, weight}]; lottery_min_bps / lottery_max_bps 1..100000;   reward_windows [{start, end}] | [{from, to}]; daily_limit / total_limit 0..1000000|null;   stores and cashiers only: random_return inherit|on|off, random_cash_count / random_points_count 0..100.';
revoke all on function public.admin_update_rule_settings(p_target text, p_target_id bigint, p_patch jsonb) from public, anon, authenticated, service_role;
grant execute on function public.admin_update_rule_settings(p_target text, p_target_id bigint, p_patch jsonb) to authenticated;

-- Runs the clearing due at p_at (SPEC §8), once per scheduled instant. Called every minute
-- by pg_cron in production and by the local stack's timer: select public.clear_queues(now()).
-- → {at, due_at, ran, replayed, reason, run_id, cleared_count, forfeited_fen, queue_count}
CREATE OR REPLACE FUNCTION public.clear_queues (
  p_at timestamp with time zone DEFAULT now()
)
  RETURNS jsonb
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  s rebate.settings;
  v_due timestamptz;
  r rebate.clearing_runs;
  q record;
  v_n integer;
  v_fen bigint;
  v_total integer := 0;
  v_total_fen bigint := 0;
  v_queues integer := 0;
begin
  if p_at is null or p_at = 'infinity' or p_at = '-infinity' then
    raise exception using errcode = 'P0001', message = 'invalid_instant', hint = '清零时间无效';
  end if;
  select * into s from rebate.settings x where x.id = 1;
  if not s.clearing_enabled then
    return jsonb_build_object('at', p_at, 'due_at', null, 'ran', false, 'replayed', false, 'reason', 'clearing_off');
  end if;
  v_due := rebate.clearing_due_at(s, p_at);
  if v_due is null or v_due < s.clearing_since then
    return jsonb_build_object('at', p_at, 'due_at', v_due, 'ran', false, 'replayed', false, 'reason', 'not_due');
  end if;

  perform pg_advisory_xact_lock(hashtextextended('rebate-clearing', 0));
  select * into r from rebate.clearing_runs x where x.scheduled_at = v_due;
  if found then
    return jsonb_build_object('at', p_at, 'due_at', v_due, 'ran', false, 'replayed', true, 'reason', 'already_ran',
                              'run_id', r.id, 'cleared_count', r.cleared_count, 'forfeited_fen', r.forfeited_fen,
                              'queue_count', r.queue_count);
  end if;
  insert into rebate.clearing_runs (scheduled_at, schedule, requested_at) values (v_due, s.clearing_schedule, p_at)
  returning * into r;

  for q in select x.id from rebate.queues x order by x.id loop
    continue when not exists (select 1 from rebate.entries e
                               where e.queue_id = q.id and e.status = 'waiting' and e.created_at <= v_due);
    -- the queue's lock, as settlement takes it; then its waiting entries as they are now
    perform 1 from rebate.queues x where x.id = q.id for update;
    with c as (
      update rebate.entries e set status = 'cleared', closed_fen = e.entitlement_fen - e.received_fen, ended_at = now()
       where e.queue_id = q.id and e.status = 'waiting' and e.created_at <= v_due
      returning e.id, e.member_id, e.order_id, e.queue_id, e.closed_fen
    ), i as (
      insert into rebate.clearing_items (entry_id, run_id, queue_id, member_id, forfeited_fen)
      select c.id, r.id, c.queue_id, c.member_id, c.closed_fen from c
    ), m as (
      insert into rebate.messages (member_id, kind, title, body, entry_id, order_id, amount_fen)
      select c.member_id, 'entry_cleared', s.display_name || '已清零',
             '排队名额未返的' || rebate.fen_text(c.closed_fen) || '已按清零规则清零', c.id, c.order_id, c.closed_fen
        from c
    )
    select count(*), coalesce(sum(c.closed_fen), 0) into v_n, v_fen from c;
    if v_n > 0 then
      v_queues := v_queues + 1;
      v_total := v_total + v_n;
      v_total_fen := v_total_fen + v_fen;
    end if;
  end loop;

  update rebate.clearing_runs x set cleared_count = v_total, forfeited_fen = v_total_fen, queue_count = v_queues
   where x.id = r.id;
  return jsonb_build_object('at', p_at, 'due_at', v_due, 'ran', true, 'replayed', false, 'reason', null,
                            'run_id', r.id, 'cleared_count', v_total, 'forfeited_fen', v_total_fen,
                            'queue_count', v_queues);
end;
$function$;
comment on function public.clear_queues(p_at timestamp with time zone) is 'Runs the clearing due at p_at (SPEC §8), once per scheduled instant. Called every minute by pg_cron in production and by the local stack''s timer: select public.clear_queues(now()). → {at, due_at, ran, replayed, reason, run_id, cleared_count, forfeited_fen, queue_count}';
revoke all on function public.clear_queues(p_at timestamp with time zone) from public, anon, authenticated, service_role;
grant execute on function public.clear_queues(p_at timestamp with time zone) to service_role;

-- ============================================================ triggers

CREATE TRIGGER clearing_items_append_only
  BEFORE DELETE OR UPDATE ON rebate.clearing_items
  FOR EACH ROW
  EXECUTE FUNCTION rebate.forbid_change();

CREATE TRIGGER random_returns_append_only
  BEFORE DELETE OR UPDATE ON rebate.random_returns
  FOR EACH ROW
  EXECUTE FUNCTION rebate.forbid_change();

-- ============================================================ policies

CREATE POLICY "Members can read their own limit counts" ON "rebate"."member_target_counts"
  FOR SELECT
  TO "authenticated"
  USING ((member_id = ( SELECT auth.uid() AS uid)));

CREATE POLICY "Members can read their own random returns" ON "rebate"."random_returns"
  FOR SELECT
  TO "authenticated"
  USING ((member_id = ( SELECT auth.uid() AS uid)));

CREATE POLICY "Members can read their own cleared entries" ON "rebate"."clearing_items"
  FOR SELECT
  TO "authenticated"
  USING ((member_id = ( SELECT auth.uid() AS uid)));

-- ============================================================ grants

GRANT SELECT ON TABLE "rebate"."member_target_counts" TO "service_role";

GRANT SELECT ON TABLE "rebate"."random_return_groups" TO "service_role";

GRANT SELECT ON TABLE "rebate"."random_returns" TO "service_role";

GRANT SELECT ON TABLE "rebate"."clearing_runs" TO "service_role";

GRANT SELECT ON TABLE "rebate"."clearing_items" TO "service_role";
