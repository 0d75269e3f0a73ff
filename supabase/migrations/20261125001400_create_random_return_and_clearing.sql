-- Random return (随机返, SPEC §7) and clearing (清零, SPEC §8).
--
-- Random return: the entries of a queue are taken in groups of N = cash count + points count
-- consecutive joins; in each group exactly `points count` entries, at random positions, are
-- converted at once to points at the points exchange ratio and completed (已完成; received 0,
-- closed = entitlement, a rebate.random_returns row). The positions are drawn one join at a
-- time, under the queue's lock, by sequential sampling: the k-th join of a group is
-- converted with probability (points left) / (places left), from pgcrypto's random bytes.
-- That is a uniform random choice of the positions, decided no earlier than each join, and
-- exact: the last places of a group are forced when the points left equal the places left.
-- Per-store and per-cashier queues use the store's / cashier's own setting when it is not
-- 'inherit'; the shared queues (mall, product, all stores, all cashiers) use the plugin's.
-- A group whose size or points count no longer matches the setting is closed as
-- 'abandoned' and a new group starts; while random return is off, joins do not advance the
-- open group.
--
-- Clearing: public.clear_queues(p_at) runs the clearing whose scheduled instant is the latest
-- one at or before p_at (daily / weekly / monthly / once, Asia/Shanghai wall clock), unless
-- that instant already ran (rebate.clearing_runs.scheduled_at is unique) or lies before the
-- schedule was configured (settings.clearing_since). Every entry waiting at that instant is
-- cleared: remaining forfeited (closed_fen), status 已清零, one clearing_items row and one
-- message each.

-- ============================================================ tables
alter table rebate.stores
  add column random_return       text not null default 'inherit',
  add column random_cash_count   smallint not null default 1,
  add column random_points_count smallint not null default 0,
  add constraint stores_random_return check (random_return in ('inherit', 'on', 'off')),
  add constraint stores_random_group check (random_cash_count between 0 and 100 and random_points_count between 0 and 100
                                            and random_cash_count + random_points_count between 1 and 100);

alter table rebate.cashiers
  add column random_return       text not null default 'inherit',
  add column random_cash_count   smallint not null default 1,
  add column random_points_count smallint not null default 0,
  add constraint cashiers_random_return check (random_return in ('inherit', 'on', 'off')),
  add constraint cashiers_random_group check (random_cash_count between 0 and 100 and random_points_count between 0 and 100
                                              and random_cash_count + random_points_count between 1 and 100);

create table rebate.random_return_groups (
  queue_id      bigint not null references rebate.queues (id),
  group_no      integer not null check (group_no >= 1),
  group_size    smallint not null check (group_size between 1 and 100),
  points_count  smallint not null,
  joined        smallint not null default 0,
  converted     smallint not null default 0,
  started_at    timestamptz not null default now(),
  ended_at      timestamptz,
  end_reason    text check (end_reason in ('full', 'abandoned')),
  primary key (queue_id, group_no),
  constraint random_return_groups_counts check (
    points_count between 0 and group_size and joined between 0 and group_size and converted between 0 and points_count
    -- sequential sampling never falls behind: the places left can always hold the points left
    and points_count - converted <= group_size - joined),
  constraint random_return_groups_end check (
    (ended_at is null) = (end_reason is null)
    and (end_reason is distinct from 'full' or (joined = group_size and converted = points_count))
    and (ended_at is not null or joined < group_size))
);

create unique index random_return_groups_open_idx on rebate.random_return_groups (queue_id) where ended_at is null;

create table rebate.random_returns (
  entry_id       bigint primary key references rebate.entries (id),
  member_id      uuid not null,
  queue_id       bigint not null,
  group_no       integer not null,
  position       smallint not null check (position >= 1),
  converted_fen  bigint not null check (converted_fen >= 1),     -- the entitlement converted
  ratio_bps      integer not null check (ratio_bps between 0 and 1000000),
  points         bigint not null check (points >= 0),
  created_at     timestamptz not null default now(),
  unique (queue_id, group_no, position),
  foreign key (queue_id, group_no) references rebate.random_return_groups (queue_id, group_no)
);

create index random_returns_member_idx on rebate.random_returns (member_id);

-- Clearing: when the schedule was last configured (instants before it are not due).
alter table rebate.settings add column clearing_since timestamptz not null default now();

create table rebate.clearing_runs (
  id              bigint generated always as identity primary key,
  scheduled_at    timestamptz not null unique,        -- idempotent per scheduled instant
  schedule        text not null check (schedule in ('daily', 'weekly', 'monthly', 'once')),
  requested_at    timestamptz not null,               -- the p_at that ran it
  cleared_count   integer not null default 0 check (cleared_count >= 0),
  forfeited_fen   bigint not null default 0 check (forfeited_fen >= 0),
  queue_count     integer not null default 0 check (queue_count >= 0),
  created_at      timestamptz not null default now()
);

create table rebate.clearing_items (
  entry_id       bigint primary key references rebate.entries (id),
  run_id         bigint not null references rebate.clearing_runs (id),
  queue_id       bigint not null,
  member_id      uuid not null,
  forfeited_fen  bigint not null check (forfeited_fen >= 1)
);

create index clearing_items_run_idx on rebate.clearing_items (run_id);

-- ============================================================ functions
-- A completed entry is either paid in full, or (random return) converted whole to points
-- before it received anything. Otherwise as the engine's rebate.entry_ok.
create or replace function rebate.entry_ok(r rebate.entries) returns boolean
language plpgsql immutable
as $$
begin
  if r.seq < 1 or r.base_fen < 1 or r.reward_bps not between 1 and 100000 or r.entitlement_fen < 1
     or char_length(r.rule_code) not between 1 and 40 or char_length(r.rule_label) not between 1 and 40 then
    return rebate.invariant_failed('entries_terms');
  end if;
  -- SPEC §2: entitlement = received + remaining, remaining ≥ 0
  if r.received_fen < 0 or r.closed_fen < 0 or r.received_fen + r.closed_fen > r.entitlement_fen then
    return rebate.invariant_failed('entries_received');
  end if;
  if not coalesce(case r.status
       when 'waiting'   then r.received_fen < r.entitlement_fen and r.closed_fen = 0 and r.ended_at is null
       when 'completed' then r.ended_at is not null
                             and ((r.received_fen = r.entitlement_fen and r.closed_fen = 0)
                                  or (r.received_fen = 0 and r.closed_fen = r.entitlement_fen))
       when 'exchanged' then r.received_fen + r.closed_fen = r.entitlement_fen and r.ended_at is not null
       when 'cleared'   then r.received_fen + r.closed_fen = r.entitlement_fen and r.ended_at is not null
       when 'voided'    then r.received_fen + r.closed_fen = r.entitlement_fen and r.ended_at is not null
     end, false) then
    return rebate.invariant_failed('entries_status');
  end if;
  return true;
end;
$$;

-- Called under the queue's lock right after an entry joined: random return (SPEC §7).
create or replace function rebate.after_entry_joined(p_entry rebate.entries) returns void
language plpgsql volatile set search_path = ''
as $$
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
  perform rebate.wallet_apply(p_entry.member_id, 'points', v_amount, 'random_return_points', p_entry.order_id, p_entry.id);
  insert into rebate.messages (member_id, kind, title, body, entry_id, order_id, amount_fen)
  values (p_entry.member_id, 'entry_random_points', v_name || '随机返',
          '排队名额' || rebate.fen_text(p_entry.entitlement_fen) || '已随机返为' || v_amount::text || '积分，已完成',
          p_entry.id, p_entry.order_id, v_amount);
end;
$$;

-- Clearing: a new schedule counts from when it was configured.
create or replace function rebate.settings_clearing_since() returns trigger
language plpgsql set search_path = ''
as $$
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
$$;

create trigger settings_clearing_since before update on rebate.settings
  for each row execute function rebate.settings_clearing_since();

-- Day p_day of the month starting p_month, clamped to the month's last day.
create or replace function rebate.month_day(p_month date, p_day integer) returns date
language sql immutable parallel safe
as $$
  select p_month + (least(p_day,
           pg_catalog.date_part('day', p_month + interval '1 month' - interval '1 day')::integer) - 1)
$$;

-- The latest scheduled clearing instant at or before p_at (Asia/Shanghai wall clock), or null.
create or replace function rebate.clearing_due_at(p_settings rebate.settings, p_at timestamptz) returns timestamptz
language plpgsql immutable set search_path = ''
as $$
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
$$;

-- Runs the clearing due at p_at (SPEC §8), once per scheduled instant. Called every minute
-- by pg_cron in production and by the local stack's timer: select public.clear_queues(now()).
-- → {at, due_at, ran, replayed, reason, run_id, cleared_count, forfeited_fen, queue_count}
create or replace function public.clear_queues(p_at timestamptz default now()) returns jsonb
language plpgsql volatile security definer set search_path = ''
as $$
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
$$;

-- ============================================================ functions: triggers
create trigger random_returns_append_only before update or delete on rebate.random_returns
  for each row execute function rebate.forbid_change();
create trigger clearing_items_append_only before update or delete on rebate.clearing_items
  for each row execute function rebate.forbid_change();

-- ============================================================ policies
alter table rebate.random_return_groups enable row level security;
alter table rebate.random_returns enable row level security;
alter table rebate.clearing_runs enable row level security;
alter table rebate.clearing_items enable row level security;

create policy "Members can read their own random returns"
  on rebate.random_returns for select to authenticated using (member_id = (select auth.uid()));
create policy "Members can read their own cleared entries"
  on rebate.clearing_items for select to authenticated using (member_id = (select auth.uid()));

-- ============================================================ grants
revoke all on rebate.random_return_groups, rebate.random_returns, rebate.clearing_runs, rebate.clearing_items
  from public, anon, authenticated, service_role;
grant select on rebate.random_return_groups, rebate.random_returns, rebate.clearing_runs, rebate.clearing_items
  to service_role;

revoke all on function rebate.entry_ok(rebate.entries),
  rebate.after_entry_joined(rebate.entries), rebate.settings_clearing_since(), rebate.month_day(date, integer),
  rebate.clearing_due_at(rebate.settings, timestamptz)
  from public, anon, authenticated;

revoke all on function public.clear_queues(timestamptz) from public, anon, authenticated, service_role;
grant execute on function public.clear_queues(timestamptz) to service_role;

-- ============================================================ schedule
-- Production: pg_cron runs the clearing every minute (a run is a no-op unless an instant is
-- due and has not run). Only where pg_cron exists; the local stack calls the same function
-- on a timer.
do $$
begin
  if exists (select 1 from pg_extension where extname = 'pg_cron') then
    execute $cron$select cron.schedule('rebate-clear-queues', '* * * * *', 'select public.clear_queues(now())')$cron$;
  end if;
end;
$$;
