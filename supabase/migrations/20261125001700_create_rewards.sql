-- Distribution rewards (分销奖励, SPEC §11), paid as commission at a line's settlement event, in
-- the settlement transaction (rebate.apply_order_rewards), and reversed on refund
-- (rebate.reverse_order_rewards):
--   direct       直推: referral_direct_bps of the line's paid amount to the buyer's referrer
--   indirect     间推: referral_indirect_bps to the referrer's referrer (never more than two levels)
--   level_diff   级差: going up the chain (at most level_diff_max_depth members), each member whose
--                team level rate (capped at level_diff_cap_bps) is above the highest rate already
--                paid below earns the difference; in fen bps_of(pay, rate) − bps_of(pay, highest
--                below), so the level-difference total of a line is bps_of(pay, highest) ≤ the cap
--   merchant_recruit 招商: merchant_recruit_bps of a store's online and cashier sales to the member
--                who invited the merchant
--   dividend     股东分红: dividend_bps of each line accrues into the dividend pool; run_dividend()
--                splits a period's pool among shareholder-level members by weight (idempotent per period)
-- Guardrail: a line's extraction + all its rewards ≤ payout_cap_bps of its paid amount; rewards
-- beyond that budget are clipped in the order above (and marked capped).
-- Every reward is one ledger row of asset commission (reason commission_<kind>) and one rewards
-- row naming that ledger row, its source order/line and its rule.

-- ============================================================ tables
create table rebate.dividend_periods (
  id                 bigint generated always as identity primary key,
  period_key         text not null unique check (period_key ~ '^(D\d{4}-\d{2}-\d{2}|W\d{4}-\d{2}|M\d{4}-\d{2})$'),
  kind               text not null check (kind in ('daily', 'weekly', 'monthly')),
  period_start       timestamptz not null,
  period_end         timestamptz not null,
  pool_fen           bigint not null default 0 check (pool_fen >= 0),   -- accruals before period_end not yet paid
  paid_fen           bigint not null default 0 check (paid_fen >= 0),
  carried_fen        bigint not null default 0 check (carried_fen >= 0), -- no shareholder: left in the pool
  shareholder_count  integer not null default 0 check (shareholder_count >= 0),
  created_at         timestamptz not null default now(),
  constraint dividend_periods_span check (period_start < period_end),
  constraint dividend_periods_pool check (pool_fen = paid_fen + carried_fen)
);

create table rebate.rewards (
  id                  bigint generated always as identity primary key,
  kind                text not null,          -- direct | indirect | level_diff | merchant_recruit | dividend
  member_id           uuid not null,          -- the recipient
  ledger_id           bigint not null unique, -- its commission ledger row
  -- the source: a line (order_id, line_id, source_member_id = the buyer) or a dividend period
  order_id            bigint,
  line_id             bigint,
  source_member_id    uuid,
  period_id           bigint references rebate.dividend_periods (id),
  -- the rule
  depth               smallint,               -- members up the chain (1 = the referrer)
  team_level_id       smallint,
  rate_bps            integer not null,       -- the ratio applied (level_diff: the difference paid)
  rule_label          text not null,
  base_fen            bigint not null,        -- the line's paid amount, or the period's pool
  budget_fen          bigint,                 -- guardrail: what extraction left for this line's rewards
  amount_fen          bigint not null,
  capped              boolean not null default false,
  -- refund (SPEC §10): what was taken back, and what could not be (already withdrawn: platform cost)
  reversed_at         timestamptz,
  reversed_fen        bigint not null default 0,
  shortfall_fen       bigint not null default 0,
  reversal_ledger_id  bigint unique,
  created_at          timestamptz not null default now()
) with (fillfactor = 90);

-- Dividend pool accruals, one per settled line while dividend_bps > 0.
create table rebate.dividend_accruals (
  id           bigint generated always as identity primary key,
  line_id      bigint not null unique,
  order_id     bigint not null,
  base_fen     bigint not null check (base_fen > 0),
  rate_bps     integer not null check (rate_bps between 1 and 10000),
  amount_fen   bigint not null check (amount_fen > 0),
  budget_fen   bigint not null check (budget_fen >= 0),
  capped       boolean not null default false,
  accrued_at   timestamptz not null default now(),
  period_id    bigint references rebate.dividend_periods (id),   -- the period that paid it out
  reversed_at  timestamptz,     -- refunded before any period paid it: removed from the pool
  refunded_at  timestamptz,     -- its line was refunded (after payout it stays paid: platform cost)
  constraint dividend_accruals_reversal check (reversed_at is null or (period_id is null and refunded_at is not null))
);

-- ============================================================ functions (row invariants)
create or replace function rebate.reward_ok(r rebate.rewards) returns boolean
language plpgsql immutable
as $$
begin
  if r.kind not in ('direct', 'indirect', 'level_diff', 'merchant_recruit', 'dividend')
     or (r.kind = 'dividend') <> (r.period_id is not null)
     or (r.kind = 'dividend') = (r.line_id is not null)
     or (r.line_id is null) <> (r.order_id is null)
     or (r.line_id is null) <> (r.source_member_id is null)
     or (r.kind in ('direct', 'indirect', 'level_diff')) <> (r.depth is not null)
     or (r.kind = 'level_diff') <> (r.team_level_id is not null)
     or char_length(r.rule_label) not between 1 and 60 then
    return rebate.invariant_failed('rewards_source');
  end if;
  if r.amount_fen < 1 or r.base_fen < 1 or r.rate_bps not between 0 and 10000
     or (r.budget_fen is not null and (r.budget_fen < 0 or r.amount_fen > r.budget_fen)) then
    return rebate.invariant_failed('rewards_amount');
  end if;
  if r.reversed_fen < 0 or r.shortfall_fen < 0
     or (r.reversed_at is null and (r.reversed_fen <> 0 or r.shortfall_fen <> 0 or r.reversal_ledger_id is not null))
     or (r.reversed_at is not null and r.reversed_fen + r.shortfall_fen <> r.amount_fen)
     or ((r.reversal_ledger_id is not null) <> (r.reversed_fen > 0)) then
    return rebate.invariant_failed('rewards_reversal');
  end if;
  return true;
end;
$$;

alter table rebate.rewards add constraint rewards_invariants check (rebate.reward_ok(rewards));

-- ============================================================ indexes
create index rewards_line_idx on rebate.rewards (line_id) where line_id is not null;
create index rewards_member_idx on rebate.rewards (member_id, id);
create index rewards_member_source_idx on rebate.rewards (member_id, source_member_id) where source_member_id is not null;
create index rewards_period_idx on rebate.rewards (period_id) where period_id is not null;
create index dividend_accruals_open_idx on rebate.dividend_accruals (accrued_at) where period_id is null and reversed_at is null;
create index dividend_accruals_period_idx on rebate.dividend_accruals (period_id) where period_id is not null;

-- ============================================================ functions: rewards
create or replace function rebate.reward_kind_label(p_kind text) returns text
language sql immutable parallel safe
as $$ select case p_kind when 'direct' then '直推奖励' when 'indirect' then '间推奖励' when 'level_diff' then '级差奖励'
                         when 'merchant_recruit' then '招商奖励' when 'dividend' then '股东分红' else p_kind end $$;

-- One reward reaches its recipient: the commission balance, its ledger row and the rewards row,
-- in one statement. The caller holds the wallet's lock (wallets locked in member order).
create or replace function rebate.credit_commission(
  p_member_id uuid, p_kind text, p_amount_fen bigint, p_order_id bigint, p_line_id bigint,
  p_source_member_id uuid, p_period_id bigint, p_depth smallint, p_team_level_id smallint,
  p_rate_bps integer, p_rule_label text, p_base_fen bigint, p_budget_fen bigint, p_capped boolean)
returns bigint
language plpgsql volatile set search_path = ''
as $$
declare
  v_id bigint;
begin
  with w as (
    update rebate.wallets w set commission_fen = w.commission_fen + p_amount_fen, updated_at = now()
     where w.member_id = p_member_id
    returning w.commission_fen
  ), g as (
    insert into rebate.ledger (member_id, asset, delta, balance_before, balance_after, reason, order_id)
    select p_member_id, 'commission', p_amount_fen, w.commission_fen - p_amount_fen, w.commission_fen,
           'commission_' || p_kind, p_order_id
      from w
    returning id
  )
  insert into rebate.rewards (kind, member_id, ledger_id, order_id, line_id, source_member_id, period_id, depth,
                              team_level_id, rate_bps, rule_label, base_fen, budget_fen, amount_fen, capped)
  select p_kind, p_member_id, g.id, p_order_id, p_line_id, p_source_member_id, p_period_id, p_depth,
         p_team_level_id, p_rate_bps, p_rule_label, p_base_fen, p_budget_fen, p_amount_fen, p_capped
    from g
  returning id into v_id;
  if v_id is null then
    raise exception using errcode = 'P0001', message = 'wallet_not_found', hint = '钱包不存在';
  end if;
  return v_id;
end;
$$;

-- Extension point of the engine (20261125000500): every line at its settlement event, inside the
-- settlement transaction (after the queue lock). Cheap when there is nothing to pay: one statement
-- (three primary-key probes: the order, the buyer's referral, the settings) and return. The
-- store's recruiter is read only for store and cashier sales while the recruit reward is on.
create or replace function rebate.apply_order_rewards(p_line rebate.order_lines, p_event text) returns void
language plpgsql volatile set search_path = ''
as $$
declare
  v record;
  c record;
  v_recruiter uuid;
  v_budget bigint;
  v_left bigint;
  v_full bigint;
  v_amt bigint;
  v_max integer := 0;
  v_eff integer;
  v_depth integer;
  n integer := 0;
  i integer;
  -- the chain above the buyer
  ch_member uuid[] := '{}';
  ch_depth integer[] := '{}';
  ch_level smallint[] := '{}';
  ch_level_name text[] := '{}';
  ch_diff integer[] := '{}';
  -- the rewards, in guardrail order
  r_member uuid[] := '{}';
  r_kind text[] := '{}';
  r_depth smallint[] := '{}';
  r_level smallint[] := '{}';
  r_rate integer[] := '{}';
  r_label text[] := '{}';
  r_amount bigint[] := '{}';
  r_capped boolean[] := '{}';
begin
  if p_line.pay_fen < 1 then
    return;
  end if;
  select o.member_id, o.channel, o.store_id, r.referrer_id,
         s.referral_direct_bps as direct_bps, s.referral_indirect_bps as indirect_bps,
         s.level_diff_cap_bps as diff_cap_bps, s.level_diff_max_depth as diff_depth,
         s.dividend_bps, s.merchant_recruit_bps as recruit_bps, s.payout_cap_bps as cap_bps
    into v
    from rebate.orders o
    join rebate.settings s on s.id = 1
    left join rebate.referrals r on r.member_id = o.member_id
   where o.id = p_line.order_id;
  if (v.referrer_id is null or v.direct_bps + v.indirect_bps + v.diff_cap_bps = 0)
     and (v.recruit_bps = 0 or v.channel = 'mall')
     and v.dividend_bps = 0 then
    return;
  end if;
  if v.recruit_bps > 0 and v.channel <> 'mall' then
    select st.recruiter_member_id into v_recruiter from rebate.stores st where st.id = v.store_id;
  end if;

  v_budget := greatest(0, rebate.bps_of(p_line.pay_fen, v.cap_bps) - p_line.extraction_fen);
  v_left := v_budget;

  -- the chain: the referrer (depth 1) and up, as far as a reward needs
  if v.referrer_id is not null and v.direct_bps + v.indirect_bps + v.diff_cap_bps > 0 then
    v_depth := greatest(case when v.direct_bps > 0 then 1 else 0 end,
                        case when v.indirect_bps > 0 then 2 else 0 end,
                        case when v.diff_cap_bps > 0 then v.diff_depth else 0 end);
    for c in
      with recursive up(member_id, depth) as (
        select v.referrer_id, 1
        union all
        select x.referrer_id, up.depth + 1 from up join rebate.referrals x on x.member_id = up.member_id
         where up.depth < v_depth
      )
      select up.member_id, up.depth, tl.id as level_id, tl.name as level_name, coalesce(tl.diff_bps, 0) as diff_bps
        from up
        left join rebate.promoters p on p.member_id = up.member_id
        left join rebate.team_levels tl on tl.id = p.team_level_id
       order by up.depth
    loop
      ch_member := ch_member || c.member_id;
      ch_depth := ch_depth || c.depth;
      ch_level := ch_level || c.level_id;
      ch_level_name := ch_level_name || c.level_name;
      ch_diff := ch_diff || c.diff_bps;
    end loop;

    for i in 1 .. cardinality(ch_member) loop
      if ch_depth[i] = 1 and v.direct_bps > 0 then
        n := n + 1;
        r_member[n] := ch_member[i]; r_kind[n] := 'direct'; r_depth[n] := 1; r_level[n] := null;
        r_rate[n] := v.direct_bps; r_label[n] := '直推奖励 ' || rebate.bps_text(v.direct_bps);
        r_amount[n] := rebate.bps_of(p_line.pay_fen, v.direct_bps);
      elsif ch_depth[i] = 2 and v.indirect_bps > 0 then
        n := n + 1;
        r_member[n] := ch_member[i]; r_kind[n] := 'indirect'; r_depth[n] := 2; r_level[n] := null;
        r_rate[n] := v.indirect_bps; r_label[n] := '间推奖励 ' || rebate.bps_text(v.indirect_bps);
        r_amount[n] := rebate.bps_of(p_line.pay_fen, v.indirect_bps);
      end if;
    end loop;
    if v.diff_cap_bps > 0 then
      for i in 1 .. cardinality(ch_member) loop
        exit when v_max >= v.diff_cap_bps;
        continue when ch_depth[i] > v.diff_depth or ch_level[i] is null;
        v_eff := least(ch_diff[i], v.diff_cap_bps);
        if v_eff > v_max then
          n := n + 1;
          r_member[n] := ch_member[i]; r_kind[n] := 'level_diff'; r_depth[n] := ch_depth[i]; r_level[n] := ch_level[i];
          r_rate[n] := v_eff - v_max;
          r_label[n] := '级差奖励 ' || ch_level_name[i] || ' ' || rebate.bps_text(v_eff)
                        || case when v_max > 0 then '−' || rebate.bps_text(v_max) else '' end;
          r_amount[n] := rebate.bps_of(p_line.pay_fen, v_eff) - rebate.bps_of(p_line.pay_fen, v_max);
          v_max := v_eff;
        end if;
      end loop;
    end if;
  end if;

  if v_recruiter is not null then
    n := n + 1;
    r_member[n] := v_recruiter; r_kind[n] := 'merchant_recruit'; r_depth[n] := null; r_level[n] := null;
    r_rate[n] := v.recruit_bps; r_label[n] := '招商奖励 ' || rebate.bps_text(v.recruit_bps);
    r_amount[n] := rebate.bps_of(p_line.pay_fen, v.recruit_bps);
  end if;

  -- the guardrail, in order: what the budget cannot cover is clipped
  for i in 1 .. n loop
    v_full := r_amount[i];
    r_amount[i] := least(v_full, v_left);
    r_capped[i] := r_amount[i] < v_full;
    v_left := v_left - r_amount[i];
  end loop;

  if v.dividend_bps > 0 then
    v_full := rebate.bps_of(p_line.pay_fen, v.dividend_bps);
    v_amt := least(v_full, v_left);
    v_left := v_left - v_amt;
    if v_amt > 0 then
      insert into rebate.dividend_accruals (line_id, order_id, base_fen, rate_bps, amount_fen, budget_fen, capped)
      values (p_line.id, p_line.order_id, p_line.pay_fen, v.dividend_bps, v_amt, v_budget, v_amt < v_full);
    end if;
  end if;

  if n = 0 or not (0 < any (r_amount)) then
    return;
  end if;
  -- wallets in member order: the recipients of these rewards together with the recipients of
  -- this line's distributions (credited later in the same transaction), so that a one-line
  -- order takes all its wallet locks in one sorted pass
  perform 1 from rebate.wallets w
   where w.member_id = any (r_member || array(select d.member_id from rebate.distributions d where d.source_line_id = p_line.id))
   order by w.member_id
   for update;
  for i in 1 .. n loop
    if r_amount[i] > 0 then
      perform rebate.credit_commission(r_member[i], r_kind[i], r_amount[i], p_line.order_id, p_line.id, v.member_id,
                                       null, r_depth[i], r_level[i], r_rate[i], r_label[i], p_line.pay_fen,
                                       v_budget, r_capped[i]);
    end if;
  end loop;
end;
$$;

-- Extension point of the engine: a refunded line (SPEC §10). Its rewards are taken back from
-- the recipients' commission balance as far as it goes; what they already withdrew is recorded
-- as shortfall (a platform cost), never a negative balance. Its dividend accrual leaves the pool
-- unless a period already paid it out (then it stays paid: a platform cost).
create or replace function rebate.reverse_order_rewards(p_line rebate.order_lines) returns void
language plpgsql volatile set search_path = ''
as $$
declare
  r rebate.rewards;
  v_bal bigint;
  v_take bigint;
  v_ledger bigint;
  v_buyer uuid;
begin
  update rebate.dividend_accruals a set refunded_at = now(),
         reversed_at = case when a.period_id is null then now() end
   where a.line_id = p_line.id and a.refunded_at is null;
  if not exists (select 1 from rebate.rewards x where x.line_id = p_line.id and x.reversed_at is null) then
    return;
  end if;
  select o.member_id into v_buyer from rebate.orders o where o.id = p_line.order_id;
  -- the recipients and the buyer (whose points/love the refund returns next), in member order
  perform 1 from rebate.wallets w
   where w.member_id = any (array(select x.member_id from rebate.rewards x where x.line_id = p_line.id) || v_buyer)
   order by w.member_id
   for update;
  for r in select * from rebate.rewards x where x.line_id = p_line.id and x.reversed_at is null
            order by x.member_id, x.id for update loop
    select w.commission_fen into v_bal from rebate.wallets w where w.member_id = r.member_id;
    v_take := least(r.amount_fen, v_bal);
    v_ledger := null;
    if v_take > 0 then
      perform rebate.wallet_apply(r.member_id, 'commission', -v_take, 'commission_reversal', r.order_id);
      v_ledger := currval('rebate.ledger_id_seq'::regclass);
    end if;
    update rebate.rewards x set reversed_at = now(), reversed_fen = v_take, shortfall_fen = r.amount_fen - v_take,
           reversal_ledger_id = v_ledger
     where x.id = r.id;
    insert into rebate.messages (member_id, kind, title, body, order_id, amount_fen)
    values (r.member_id, 'commission_reversed', rebate.reward_kind_label(r.kind) || '已退回',
            '来源订单已退款，' || rebate.reward_kind_label(r.kind) || rebate.fen_text(r.amount_fen) || '已退回'
              || case when r.amount_fen > v_take then '（其中' || rebate.fen_text(r.amount_fen - v_take) || '已提现，不再扣回）'
                      else '' end,
            r.order_id, v_take);
  end loop;
end;
$$;

-- ============================================================ functions: dividend
-- The dividend period that ended last at or before p_at (Asia/Shanghai calendar), per settings.
create or replace function rebate.dividend_period_at(p_kind text, p_at timestamptz,
  out period_key text, out period_start timestamptz, out period_end timestamptz)
language plpgsql stable set search_path = ''
as $$
declare
  v_local timestamp := p_at at time zone 'Asia/Shanghai';
  v_end timestamp;
  v_start timestamp;
begin
  if p_kind = 'daily' then
    v_end := date_trunc('day', v_local);
    v_start := v_end - interval '1 day';
    period_key := 'D' || to_char(v_start, 'YYYY-MM-DD');
  elsif p_kind = 'weekly' then
    v_end := date_trunc('week', v_local);            -- ISO weeks start on Monday
    v_start := v_end - interval '7 days';
    period_key := 'W' || to_char(v_start, 'IYYY-IW');
  else
    v_end := date_trunc('month', v_local);
    v_start := v_end - interval '1 month';
    period_key := 'M' || to_char(v_start, 'YYYY-MM');
  end if;
  period_start := v_start at time zone 'Asia/Shanghai';
  period_end := v_end at time zone 'Asia/Shanghai';
end;
$$;

-- 股东分红: pays the dividend pool of the last complete period (per settings.dividend_period,
-- Asia/Shanghai) to the shareholder-level members, split by their level's weight (largest
-- remainder). The pool is every accrual before the period's end not paid yet (earlier periods
-- without shareholders carry over). Idempotent per period: a second run returns the first result.
-- Scheduled with pg_cron in production (see docs/referral.md).
create or replace function public.run_dividend(p_at timestamptz default now()) returns jsonb
language plpgsql volatile security definer set search_path = ''
as $$
declare
  s rebate.settings;
  v_per record;
  p rebate.dividend_periods;
  v_members uuid[];
  v_weights bigint[];
  v_alloc bigint[];
  v_pool bigint;
  i integer;
begin
  if p_at is null then
    raise exception using errcode = 'P0001', message = 'invalid_time', hint = '时间无效';
  end if;
  select * into s from rebate.settings x where x.id = 1;
  select * into v_per from rebate.dividend_period_at(s.dividend_period, p_at);
  perform pg_advisory_xact_lock(hashtextextended('rebate:dividend', 0));
  select * into p from rebate.dividend_periods x where x.period_key = v_per.period_key;
  if found then
    return to_jsonb(p) || jsonb_build_object('replayed', true);
  end if;

  select coalesce(array_agg(pr.member_id order by pr.member_id), '{}'),
         coalesce(array_agg(tl.dividend_weight::bigint order by pr.member_id), '{}')
    into v_members, v_weights
    from rebate.promoters pr join rebate.team_levels tl on tl.id = pr.team_level_id
   where tl.dividend_weight > 0;

  insert into rebate.dividend_periods (period_key, kind, period_start, period_end, shareholder_count)
  values (v_per.period_key, s.dividend_period, v_per.period_start, v_per.period_end, cardinality(v_members))
  returning * into p;

  if cardinality(v_members) = 0 then
    select coalesce(sum(a.amount_fen), 0) into v_pool from rebate.dividend_accruals a
     where a.period_id is null and a.reversed_at is null and a.accrued_at < p.period_end;
    update rebate.dividend_periods x set pool_fen = v_pool, carried_fen = v_pool where x.id = p.id returning * into p;
    return to_jsonb(p) || jsonb_build_object('replayed', false);
  end if;

  with a as (
    update rebate.dividend_accruals a set period_id = p.id
     where a.period_id is null and a.reversed_at is null and a.accrued_at < p.period_end
    returning a.amount_fen
  )
  select coalesce(sum(a.amount_fen), 0) into v_pool from a;
  update rebate.dividend_periods x set pool_fen = v_pool, paid_fen = v_pool where x.id = p.id returning * into p;
  if v_pool = 0 then
    return to_jsonb(p) || jsonb_build_object('replayed', false);
  end if;

  v_alloc := rebate.allocate(v_pool, v_weights);
  perform 1 from rebate.wallets w where w.member_id = any (v_members) order by w.member_id for update;
  for i in 1 .. cardinality(v_members) loop
    if v_alloc[i] > 0 then
      perform rebate.credit_commission(v_members[i], 'dividend', v_alloc[i], null, null, null, p.id, null, null,
                                       s.dividend_bps, '股东分红 ' || p.period_key, v_pool, null, false);
      insert into rebate.messages (member_id, kind, title, body, amount_fen)
      values (v_members[i], 'dividend_paid', '股东分红到账',
              '分红周期' || p.period_key || '：分红池' || rebate.fen_text(v_pool) || '，您获得' || rebate.fen_text(v_alloc[i]),
              v_alloc[i]);
    end if;
  end loop;
  return to_jsonb(p) || jsonb_build_object('replayed', false);
end;
$$;

-- ============================================================ functions: members
-- My team (团队): counts, my team level, and what I earned, by reward kind (net of refunds).
create or replace function public.my_team_summary() returns jsonb
language plpgsql stable security definer set search_path = ''
as $$
declare
  v_uid uuid := rebate.require_member();
  tl rebate.team_levels;
  v_rewards jsonb;
begin
  tl := rebate.member_team_level(v_uid);
  select jsonb_build_object(
           'direct_fen', coalesce(sum(x.amount_fen - x.reversed_fen) filter (where x.kind = 'direct'), 0),
           'indirect_fen', coalesce(sum(x.amount_fen - x.reversed_fen) filter (where x.kind = 'indirect'), 0),
           'level_diff_fen', coalesce(sum(x.amount_fen - x.reversed_fen) filter (where x.kind = 'level_diff'), 0),
           'merchant_recruit_fen', coalesce(sum(x.amount_fen - x.reversed_fen) filter (where x.kind = 'merchant_recruit'), 0),
           'dividend_fen', coalesce(sum(x.amount_fen - x.reversed_fen) filter (where x.kind = 'dividend'), 0),
           'total_fen', coalesce(sum(x.amount_fen - x.reversed_fen), 0))
    into v_rewards
    from rebate.rewards x where x.member_id = v_uid;
  return jsonb_build_object(
    'direct_count', (select count(*) from rebate.referrals x where x.referrer_id = v_uid),
    'indirect_count', (select count(*) from rebate.referrals x join rebate.referrals y on y.referrer_id = x.member_id
                        where x.referrer_id = v_uid),
    'team_level', case when tl.id is not null
                       then jsonb_build_object('id', tl.id, 'name', tl.name, 'diff_bps', tl.diff_bps,
                                               'shareholder', tl.dividend_weight > 0,
                                               'can_recruit_merchants', tl.can_recruit_merchants) end,
    'rewards', v_rewards,
    'commission_fen', (select w.commission_fen from rebate.wallets w where w.member_id = v_uid));
end;
$$;

-- My referees: p_depth 1 = direct (直推), 2 = indirect (间推, with the direct referee they came
-- through). Nicknames masked; reward_fen = what I earned from that referee's orders (net of
-- refunds). Newest first; page with p_before_id (the last referral_id seen).
create or replace function public.my_team(p_depth integer default 1, p_before_id bigint default null,
                                          p_limit integer default 20)
returns table (referral_id bigint, depth integer, nickname_masked text, avatar_url text, team_level_name text,
               bound_at timestamptz, via_nickname_masked text, reward_fen bigint)
language plpgsql stable security definer set search_path = ''
as $$
declare
  v_uid uuid := rebate.require_member();
begin
  if p_depth is null or p_depth not in (1, 2) then
    raise exception using errcode = 'P0001', message = 'invalid_depth', hint = '只能查看直推和间推成员';
  end if;
  if p_limit is null or p_limit not between 1 and 100 then
    raise exception using errcode = 'P0001', message = 'invalid_limit', hint = '每页数量应在 1 到 100 之间';
  end if;
  if p_depth = 1 then
    return query
      select r.id, 1, rebate.mask_name(m.nickname), m.avatar_url, tl.name, r.bound_at, null::text,
             coalesce((select sum(x.amount_fen - x.reversed_fen) from rebate.rewards x
                        where x.member_id = v_uid and x.source_member_id = r.member_id), 0)::bigint
        from rebate.referrals r
        join rebate.members m on m.id = r.member_id
        left join rebate.promoters pr on pr.member_id = r.member_id
        left join rebate.team_levels tl on tl.id = pr.team_level_id
       where r.referrer_id = v_uid
         and (p_before_id is null or r.id < p_before_id)
       order by r.id desc
       limit p_limit;
  else
    return query
      select r.id, 2, rebate.mask_name(m.nickname), m.avatar_url, tl.name, r.bound_at, rebate.mask_name(vm.nickname),
             coalesce((select sum(x.amount_fen - x.reversed_fen) from rebate.rewards x
                        where x.member_id = v_uid and x.source_member_id = r.member_id), 0)::bigint
        from rebate.referrals via
        join rebate.referrals r on r.referrer_id = via.member_id
        join rebate.members vm on vm.id = via.member_id
        join rebate.members m on m.id = r.member_id
        left join rebate.promoters pr on pr.member_id = r.member_id
        left join rebate.team_levels tl on tl.id = pr.team_level_id
       where via.referrer_id = v_uid
         and (p_before_id is null or r.id < p_before_id)
       order by r.id desc
       limit p_limit;
  end if;
end;
$$;

-- My rewards (commission history with source and rule), newest first.
create or replace function public.my_rewards(p_kind text default null, p_before_id bigint default null,
                                             p_limit integer default 20)
returns table (reward_id bigint, kind text, kind_label text, rule_label text, rate_bps integer, base_fen bigint,
               amount_fen bigint, reversed_fen bigint, capped boolean, status text, order_no_masked text,
               source_nickname_masked text, depth smallint, period_key text, created_at timestamptz,
               reversed_at timestamptz)
language plpgsql stable security definer set search_path = ''
as $$
declare
  v_uid uuid := rebate.require_member();
begin
  if p_kind is not null and p_kind not in ('direct', 'indirect', 'level_diff', 'merchant_recruit', 'dividend') then
    raise exception using errcode = 'P0001', message = 'invalid_kind', hint = '奖励类型无效';
  end if;
  if p_limit is null or p_limit not between 1 and 100 then
    raise exception using errcode = 'P0001', message = 'invalid_limit', hint = '每页数量应在 1 到 100 之间';
  end if;
  return query
    select x.id, x.kind, rebate.reward_kind_label(x.kind), x.rule_label, x.rate_bps, x.base_fen, x.amount_fen,
           x.reversed_fen, x.capped, case when x.reversed_at is null then 'credited' else 'reversed' end,
           rebate.mask_order_no(o.order_no), rebate.mask_name(m.nickname), x.depth, dp.period_key, x.created_at,
           x.reversed_at
      from rebate.rewards x
      left join rebate.orders o on o.id = x.order_id
      left join rebate.members m on m.id = x.source_member_id
      left join rebate.dividend_periods dp on dp.id = x.period_id
     where x.member_id = v_uid
       and (p_kind is null or x.kind = p_kind)
       and (p_before_id is null or x.id < p_before_id)
     order by x.id desc
     limit p_limit;
end;
$$;

-- ============================================================ functions: admin
-- The dividend pool now (accrued, not paid yet) and the latest periods.
create or replace function public.admin_dividend_overview(p_limit integer default 12) returns jsonb
language plpgsql stable security definer set search_path = ''
as $$
begin
  perform rebate.require_admin();
  if p_limit is null or p_limit not between 1 and 100 then
    raise exception using errcode = 'P0001', message = 'invalid_limit', hint = '每页数量应在 1 到 100 之间';
  end if;
  return jsonb_build_object(
    'open_pool_fen', (select coalesce(sum(a.amount_fen), 0) from rebate.dividend_accruals a
                       where a.period_id is null and a.reversed_at is null),
    'shareholder_count', (select count(*) from rebate.promoters pr join rebate.team_levels tl on tl.id = pr.team_level_id
                           where tl.dividend_weight > 0),
    'periods', coalesce((select jsonb_agg(to_jsonb(p) order by p.period_end desc)
                           from (select * from rebate.dividend_periods x order by x.period_end desc, x.id desc
                                  limit p_limit) p), '[]'::jsonb));
end;
$$;

-- ============================================================ policies
alter table rebate.rewards enable row level security;
alter table rebate.dividend_accruals enable row level security;
alter table rebate.dividend_periods enable row level security;

create policy "Members can read their own rewards"
  on rebate.rewards for select to authenticated using (member_id = (select auth.uid()));

-- ============================================================ grants
revoke all on rebate.rewards, rebate.dividend_accruals, rebate.dividend_periods
  from public, anon, authenticated, service_role;
grant select on rebate.rewards, rebate.dividend_accruals, rebate.dividend_periods to service_role;

revoke all on function rebate.reward_ok(rebate.rewards), rebate.reward_kind_label(text),
  rebate.credit_commission(uuid, text, bigint, bigint, bigint, uuid, bigint, smallint, smallint, integer, text, bigint,
                           bigint, boolean),
  rebate.apply_order_rewards(rebate.order_lines, text), rebate.reverse_order_rewards(rebate.order_lines),
  rebate.dividend_period_at(text, timestamptz)
  from public, anon, authenticated;

revoke all on function public.run_dividend(timestamptz), public.my_team_summary(),
  public.my_team(integer, bigint, integer), public.my_rewards(text, bigint, integer),
  public.admin_dividend_overview(integer)
  from public, anon, authenticated, service_role;
grant execute on function public.my_team_summary(), public.my_team(integer, bigint, integer),
  public.my_rewards(text, bigint, integer), public.admin_dividend_overview(integer)
  to authenticated;
grant execute on function public.run_dividend(timestamptz) to service_role;

-- ============================================================ data
insert into rebate.ledger_reasons (code, label) values
  ('commission_direct',           '直推奖励'),
  ('commission_indirect',         '间推奖励'),
  ('commission_level_diff',       '级差奖励'),
  ('commission_merchant_recruit', '招商奖励'),
  ('commission_dividend',         '股东分红'),
  ('commission_reversal',         '佣金退回');
