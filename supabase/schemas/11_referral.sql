-- Referral and distribution rewards (分销奖励): binding, team levels, direct/indirect, level difference, dividend, merchant recruit
-- SPEC §11.
-- The source of truth (docs/database.md): edit here, then `npm run db:diff -- <name>` writes the migration.


-- ============================================================ types

-- My referrer as my_invite shows it.
create type public.invite_referrer as (
  nickname_masked text,
  bound_at timestamptz
);
comment on type public.invite_referrer is 'My referrer as my_invite shows it.';

-- My team level as my_invite shows it.
create type public.invite_team_level as (
  id smallint,
  name text,
  diff_bps integer,
  shareholder boolean
);
comment on type public.invite_team_level is 'My team level as my_invite shows it.';

-- My invite codes and team (my_invite).
create type public.invite_details as (
  member_code text,
  invite_code text,
  scene text,
  page text,
  referrer public.invite_referrer,
  referrer_nickname text,
  team_level public.invite_team_level,
  is_promoter boolean,
  can_invite_merchants boolean,
  merchant_invite_code text,
  merchant_scene text,
  merchant_page text,
  invited_count bigint,
  indirect_count bigint
);
comment on type public.invite_details is 'My invite codes and team (my_invite).';

-- The result of binding a referrer (bind_referrer).
create type public.referrer_binding as (
  bound boolean,
  already_bound boolean,
  referrer_nickname_masked text,
  referrer_nickname text,
  bound_at timestamptz,
  source text
);
comment on type public.referrer_binding is 'The result of binding a referrer (bind_referrer).';

-- My team level as my_team_summary shows it.
create type public.team_summary_level as (
  id smallint,
  name text,
  diff_bps integer,
  shareholder boolean,
  can_recruit_merchants boolean
);
comment on type public.team_summary_level is 'My team level as my_team_summary shows it.';

-- What I earned from my team, by reward kind, net of refunds (my_team_summary).
create type public.team_summary_rewards as (
  direct_fen bigint,
  indirect_fen bigint,
  level_diff_fen bigint,
  merchant_recruit_fen bigint,
  dividend_fen bigint,
  total_fen bigint
);
comment on type public.team_summary_rewards is 'What I earned from my team, by reward kind, net of refunds (my_team_summary).';

-- My team (团队): counts, my team level, what I earned, my commission balance (my_team_summary).
create type public.team_summary as (
  direct_count bigint,
  indirect_count bigint,
  team_level public.team_summary_level,
  rewards public.team_summary_rewards,
  commission_fen bigint
);
comment on type public.team_summary is 'My team (团队): counts, my team level, what I earned, my commission balance (my_team_summary).';

-- ============================================================ tables

-- Who invited whom: one row per bound member, permanent (append-only).
CREATE TABLE "rebate"."referrals" (
  "id"          bigint                   GENERATED ALWAYS AS IDENTITY NOT NULL,
  "member_id"   uuid                     NOT NULL,
  "referrer_id" uuid                     NOT NULL,
  "source"      text                     NOT NULL,
  "invite_code" text                     NOT NULL,
  "bound_at"    timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT "referrals_id_key" UNIQUE (id),
  CONSTRAINT "referrals_invite_code_check" CHECK ((invite_code ~ '^[A-Z0-9]{4,24}$'::text)),
  CONSTRAINT "referrals_member_id_fkey" FOREIGN KEY (member_id) REFERENCES rebate.members(id),
  CONSTRAINT "referrals_not_self" CHECK ((member_id <> referrer_id)),
  CONSTRAINT "referrals_pkey" PRIMARY KEY (member_id),
  CONSTRAINT "referrals_referrer_id_fkey" FOREIGN KEY (referrer_id) REFERENCES rebate.members(id),
  CONSTRAINT "referrals_source_check" CHECK ((source = ANY (ARRAY['scan'::text, 'share'::text, 'manual'::text])))
);

ALTER TABLE "rebate"."referrals"
  ENABLE ROW LEVEL SECURITY;

CREATE INDEX referrals_referrer_idx ON rebate.referrals USING btree (referrer_id, id);

-- Team levels (团队等级), separate from the member levels of the entitlement ratios.
--   diff_bps         级差 rate: going up the chain each level earns its rate minus the highest paid below
--   dividend_weight  股东分红 share weight; > 0 makes the level a shareholder level
--   can_recruit_merchants  members of this level have a merchant invite code (招商)
CREATE TABLE "rebate"."team_levels" (
  "id"                    smallint                 NOT NULL,
  "name"                  text                     NOT NULL,
  "rank"                  smallint                 NOT NULL,
  "diff_bps"              integer                  NOT NULL DEFAULT 0,
  "dividend_weight"       integer                  NOT NULL DEFAULT 0,
  "can_recruit_merchants" boolean                  NOT NULL DEFAULT false,
  "created_at"            timestamp with time zone NOT NULL DEFAULT now(),
  "updated_at"            timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT "team_levels_diff_bps_check" CHECK (((diff_bps >= 0) AND (diff_bps <= 10000))),
  CONSTRAINT "team_levels_dividend_weight_check" CHECK (((dividend_weight >= 0) AND (dividend_weight <= 1000000))),
  CONSTRAINT "team_levels_id_check" CHECK (((id >= 1) AND (id <= 999))),
  CONSTRAINT "team_levels_name_check" CHECK (((char_length(name) >= 1) AND (char_length(name) <= 20))),
  CONSTRAINT "team_levels_pkey" PRIMARY KEY (id),
  CONSTRAINT "team_levels_rank_check" CHECK (((rank >= 1) AND (rank <= 999))),
  CONSTRAINT "team_levels_rank_key" UNIQUE (rank)
);

ALTER TABLE "rebate"."team_levels"
  ENABLE ROW LEVEL SECURITY;

-- Members with a team level (推广员). Assigned by the platform admin.
CREATE TABLE "rebate"."promoters" (
  "member_id"     uuid                     NOT NULL,
  "team_level_id" smallint                 NOT NULL,
  "assigned_by"   uuid,
  "assigned_at"   timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT "promoters_assigned_by_fkey" FOREIGN KEY (assigned_by) REFERENCES rebate.members(id),
  CONSTRAINT "promoters_member_id_fkey" FOREIGN KEY (member_id) REFERENCES rebate.members(id),
  CONSTRAINT "promoters_pkey" PRIMARY KEY (member_id),
  CONSTRAINT "promoters_team_level_id_fkey" FOREIGN KEY (team_level_id) REFERENCES rebate.team_levels(id)
);

ALTER TABLE "rebate"."promoters"
  ENABLE ROW LEVEL SECURITY;

CREATE INDEX promoters_level_idx ON rebate.promoters USING btree (team_level_id);

-- the foreign key's index (deleting or re-keying the referenced row, and lookups by it)
CREATE INDEX promoters_assigned_by_idx ON rebate.promoters USING btree (assigned_by) WHERE (assigned_by IS NOT NULL);

CREATE TABLE "rebate"."dividend_periods" (
  "id"                bigint                   GENERATED ALWAYS AS IDENTITY NOT NULL,
  "period_key"        text                     NOT NULL,
  "kind"              text                     NOT NULL,
  "period_start"      timestamp with time zone NOT NULL,
  "period_end"        timestamp with time zone NOT NULL,
  "pool_fen"          bigint                   NOT NULL DEFAULT 0,  -- accruals before period_end not yet paid
  "paid_fen"          bigint                   NOT NULL DEFAULT 0,
  "carried_fen"       bigint                   NOT NULL DEFAULT 0,  -- no shareholder: left in the pool
  "shareholder_count" integer                  NOT NULL DEFAULT 0,
  "created_at"        timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT "dividend_periods_carried_fen_check" CHECK ((carried_fen >= 0)),
  CONSTRAINT "dividend_periods_kind_check" CHECK ((kind = ANY (ARRAY['daily'::text, 'weekly'::text, 'monthly'::text]))),
  CONSTRAINT "dividend_periods_paid_fen_check" CHECK ((paid_fen >= 0)),
  CONSTRAINT "dividend_periods_period_key_check" CHECK ((period_key ~ '^(D\d{4}-\d{2}-\d{2}|W\d{4}-\d{2}|M\d{4}-\d{2})$'::text)),
  CONSTRAINT "dividend_periods_period_key_key" UNIQUE (period_key),
  CONSTRAINT "dividend_periods_pkey" PRIMARY KEY (id),
  CONSTRAINT "dividend_periods_pool_fen_check" CHECK ((pool_fen >= 0)),
  CONSTRAINT "dividend_periods_pool" CHECK ((pool_fen = (paid_fen + carried_fen))),
  CONSTRAINT "dividend_periods_shareholder_count_check" CHECK ((shareholder_count >= 0)),
  CONSTRAINT "dividend_periods_span" CHECK ((period_start < period_end))
);

ALTER TABLE "rebate"."dividend_periods"
  ENABLE ROW LEVEL SECURITY;

CREATE TABLE "rebate"."rewards" (
  "id"                 bigint                   GENERATED ALWAYS AS IDENTITY NOT NULL,
  "kind"               text                     NOT NULL,  -- direct | indirect | level_diff | merchant_recruit | dividend
  "member_id"          uuid                     NOT NULL,  -- the recipient
  "ledger_id"          bigint                   NOT NULL,  -- its commission ledger row
  "order_id"           bigint,
  "line_id"            bigint,
  "source_member_id"   uuid,
  "period_id"          bigint,
  "depth"              smallint,  -- members up the chain (1 = the referrer)
  "team_level_id"      smallint,
  "rate_bps"           integer                  NOT NULL,  -- the ratio applied (level_diff: the difference paid)
  "rule_label"         text                     NOT NULL,
  "base_fen"           bigint                   NOT NULL,  -- the line's paid amount, or the period's pool
  "budget_fen"         bigint,  -- guardrail: what extraction left for this line's rewards
  "amount_fen"         bigint                   NOT NULL,
  "capped"             boolean                  NOT NULL DEFAULT false,
  "reversed_at"        timestamp with time zone,
  "reversed_fen"       bigint                   NOT NULL DEFAULT 0,
  "shortfall_fen"      bigint                   NOT NULL DEFAULT 0,
  "reversal_ledger_id" bigint,
  "created_at"         timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT "rewards_ledger_id_key" UNIQUE (ledger_id),
  CONSTRAINT "rewards_period_id_fkey" FOREIGN KEY (period_id) REFERENCES rebate.dividend_periods(id),
  CONSTRAINT "rewards_pkey" PRIMARY KEY (id),
  CONSTRAINT "rewards_reversal_ledger_id_key" UNIQUE (reversal_ledger_id)
);

ALTER TABLE "rebate"."rewards"
  ENABLE ROW LEVEL SECURITY;

ALTER TABLE "rebate"."rewards"
  SET (fillfactor=90);

CREATE INDEX rewards_line_idx ON rebate.rewards USING btree (line_id)
  WHERE (line_id IS NOT NULL);

CREATE INDEX rewards_member_idx ON rebate.rewards USING btree (member_id, id);

CREATE INDEX rewards_member_source_idx ON rebate.rewards USING btree (member_id, source_member_id)
  WHERE (source_member_id IS NOT NULL);

CREATE INDEX rewards_period_idx ON rebate.rewards USING btree (period_id)
  WHERE (period_id IS NOT NULL);

-- Dividend pool accruals, one per settled line while dividend_bps > 0.
CREATE TABLE "rebate"."dividend_accruals" (
  "id"          bigint                   GENERATED ALWAYS AS IDENTITY NOT NULL,
  "line_id"     bigint                   NOT NULL,
  "order_id"    bigint                   NOT NULL,
  "base_fen"    bigint                   NOT NULL,
  "rate_bps"    integer                  NOT NULL,
  "amount_fen"  bigint                   NOT NULL,
  "budget_fen"  bigint                   NOT NULL,
  "capped"      boolean                  NOT NULL DEFAULT false,
  "accrued_at"  timestamp with time zone NOT NULL DEFAULT now(),
  "period_id"   bigint,  -- the period that paid it out
  "reversed_at" timestamp with time zone,  -- refunded before any period paid it: removed from the pool
  "refunded_at" timestamp with time zone,  -- its line was refunded (after payout it stays paid: platform cost)
  CONSTRAINT "dividend_accruals_amount_fen_check" CHECK ((amount_fen > 0)),
  CONSTRAINT "dividend_accruals_base_fen_check" CHECK ((base_fen > 0)),
  CONSTRAINT "dividend_accruals_budget_fen_check" CHECK ((budget_fen >= 0)),
  CONSTRAINT "dividend_accruals_line_id_key" UNIQUE (line_id),
  CONSTRAINT "dividend_accruals_pkey" PRIMARY KEY (id),
  CONSTRAINT "dividend_accruals_rate_bps_check" CHECK (((rate_bps >= 1) AND (rate_bps <= 10000))),
  CONSTRAINT "dividend_accruals_reversal" CHECK (((reversed_at IS NULL) OR ((period_id IS NULL) AND (refunded_at IS NOT NULL)))),
  CONSTRAINT "dividend_accruals_period_id_fkey" FOREIGN KEY (period_id) REFERENCES rebate.dividend_periods(id)
);

ALTER TABLE "rebate"."dividend_accruals"
  ENABLE ROW LEVEL SECURITY;

CREATE INDEX dividend_accruals_open_idx ON rebate.dividend_accruals USING btree (accrued_at)
  WHERE ((period_id IS NULL) AND (reversed_at IS NULL));

CREATE INDEX dividend_accruals_period_idx ON rebate.dividend_accruals USING btree (period_id)
  WHERE (period_id IS NOT NULL);

-- ============================================================ functions

-- The distribution rewards of one line (SPEC §11), called by settle_order for every line at its settlement event, inside the
-- settlement transaction (after the queue lock). Cheap when there is nothing to pay: one statement
-- (three primary-key probes: the order, the buyer's referral, the settings) and return. The
-- store's recruiter is read only for store and cashier sales while the recruit reward is on.
CREATE OR REPLACE FUNCTION rebate.apply_order_rewards (
  p_line rebate.order_lines
)
  RETURNS void
  LANGUAGE plpgsql
  SET search_path TO ''
  AS $function$
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
$function$;
comment on function rebate.apply_order_rewards(p_line rebate.order_lines) is 'The distribution rewards of one line (SPEC §11), called by settle_order for every line at its settlement event, inside the settlement transaction (after the queue lock). Cheap when there is nothing to pay: one statement (three primary-key probes: the order, the buyer''s referral, the settings) and return. The store''s recruiter is read only for store and cashier sales while the recruit reward is on.';
revoke all on function rebate.apply_order_rewards(p_line rebate.order_lines) from public, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION rebate.can_recruit_merchants (
  p_member_id uuid
)
  RETURNS boolean
  LANGUAGE sql
  STABLE
  SET search_path TO ''
  AS $function$
  select coalesce((select tl.can_recruit_merchants from rebate.promoters p
                     join rebate.team_levels tl on tl.id = p.team_level_id
                    where p.member_id = p_member_id), false)
$function$;
comment on function rebate.can_recruit_merchants(p_member_id uuid) is 'Whether a members team level allows recruiting merchants (招商).';
revoke all on function rebate.can_recruit_merchants(p_member_id uuid) from public, anon, authenticated, service_role;

-- One reward reaches its recipient: the commission balance, its ledger row and the rewards row,
-- in one statement. The caller holds the wallet's lock (wallets locked in member order).
CREATE OR REPLACE FUNCTION rebate.credit_commission (
  p_member_id        uuid,
  p_kind             text,
  p_amount_fen       bigint,
  p_order_id         bigint,
  p_line_id          bigint,
  p_source_member_id uuid,
  p_period_id        bigint,
  p_depth            smallint,
  p_team_level_id    smallint,
  p_rate_bps         integer,
  p_rule_label       text,
  p_base_fen         bigint,
  p_budget_fen       bigint,
  p_capped           boolean
)
  RETURNS bigint
  LANGUAGE plpgsql
  SET search_path TO ''
  AS $function$
declare
  v_id bigint;
begin
  insert into rebate.rewards (kind, member_id, ledger_id, order_id, line_id, source_member_id, period_id, depth,
                              team_level_id, rate_bps, rule_label, base_fen, budget_fen, amount_fen, capped)
  values (p_kind, p_member_id,
          (rebate.post_ledger(p_member_id, 'commission', p_amount_fen, 'commission_' || p_kind, p_order_id)).id,
          p_order_id, p_line_id, p_source_member_id, p_period_id, p_depth,
          p_team_level_id, p_rate_bps, p_rule_label, p_base_fen, p_budget_fen, p_amount_fen, p_capped)
  returning id into v_id;
  return v_id;
end;
$function$;
comment on function rebate.credit_commission(p_member_id uuid, p_kind text, p_amount_fen bigint, p_order_id bigint, p_line_id bigint, p_source_member_id uuid, p_period_id bigint, p_depth smallint, p_team_level_id smallint, p_rate_bps integer, p_rule_label text, p_base_fen bigint, p_budget_fen bigint, p_capped boolean) is 'One reward reaches its recipient: the commission balance and its ledger row (post_ledger) and the rewards row. The caller holds the wallet''s lock (wallets locked in member order).';
revoke all on function rebate.credit_commission(p_member_id uuid, p_kind text, p_amount_fen bigint, p_order_id bigint, p_line_id bigint, p_source_member_id uuid, p_period_id bigint, p_depth smallint, p_team_level_id smallint, p_rate_bps integer, p_rule_label text, p_base_fen bigint, p_budget_fen bigint, p_capped boolean) from public, anon, authenticated, service_role;

-- The dividend period that ended last at or before p_at (Asia/Shanghai calendar), per settings.
CREATE OR REPLACE FUNCTION rebate.dividend_period_at (
  p_kind text,
  p_at   timestamp with time zone,
  OUT    period_key text,
  OUT    period_start timestamp with time zone,
  OUT    period_end timestamp with time zone
)
  RETURNS record
  LANGUAGE plpgsql
  STABLE
  SET search_path TO ''
  AS $function$
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
$function$;
comment on function rebate.dividend_period_at(p_kind text, p_at timestamp with time zone, OUT period_key text, OUT period_start timestamp with time zone, OUT period_end timestamp with time zone) is 'The dividend period that ended last at or before p_at (Asia/Shanghai calendar), per settings.';
revoke all on function rebate.dividend_period_at(p_kind text, p_at timestamp with time zone, OUT period_key text, OUT period_start timestamp with time zone, OUT period_end timestamp with time zone) from public, anon, authenticated, service_role;

-- The member's team level row, or nulls.
CREATE OR REPLACE FUNCTION rebate.member_team_level (
  p_member_id uuid
)
  RETURNS rebate.team_levels
  LANGUAGE sql
  STABLE
  SET search_path TO ''
  AS $function$
  select tl.* from rebate.promoters p join rebate.team_levels tl on tl.id = p.team_level_id
   where p.member_id = p_member_id
$function$;
comment on function rebate.member_team_level(p_member_id uuid) is 'The member''s team level row, or nulls.';
revoke all on function rebate.member_team_level(p_member_id uuid) from public, anon, authenticated, service_role;

-- Called by refund for a refunded line (SPEC §10). Its rewards are taken back from
-- the recipients' commission balance as far as it goes; what they already withdrew is recorded
-- as shortfall (a platform cost), never a negative balance. Its dividend accrual leaves the pool
-- unless a period already paid it out (then it stays paid: a platform cost).
CREATE OR REPLACE FUNCTION rebate.reverse_order_rewards (
  p_line rebate.order_lines
)
  RETURNS void
  LANGUAGE plpgsql
  SET search_path TO ''
  AS $function$
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
      v_ledger := (rebate.post_ledger(r.member_id, 'commission', -v_take, 'commission_reversal', r.order_id)).id;
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
$function$;
comment on function rebate.reverse_order_rewards(p_line rebate.order_lines) is 'Called by refund for a refunded line (SPEC §10). Its rewards are taken back from the recipients'' commission balance as far as it goes; what they already withdrew is recorded as shortfall (a platform cost), never a negative balance. Its dividend accrual leaves the pool unless a period already paid it out (then it stays paid: a platform cost).';
revoke all on function rebate.reverse_order_rewards(p_line rebate.order_lines) from public, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION rebate.reward_kind_label (
  p_kind text
)
  RETURNS text
  LANGUAGE sql
  IMMUTABLE
  PARALLEL SAFE
  SET search_path TO ''
  AS $function$ select case p_kind when 'direct' then '直推奖励' when 'indirect' then '间推奖励' when 'level_diff' then '级差奖励'
                         when 'merchant_recruit' then '招商奖励' when 'dividend' then '股东分红' else p_kind end $function$;
comment on function rebate.reward_kind_label(p_kind text) is 'The Chinese label of a reward kind (直推/间推/级差/分红/招商).';
revoke all on function rebate.reward_kind_label(p_kind text) from public, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION rebate.reward_ok (
  r rebate.rewards
)
  RETURNS boolean
  LANGUAGE plpgsql
  IMMUTABLE
  AS $function$
declare
  -- the first rule the row breaks, if any
  v_broken constant text := case
      when r.kind not in ('direct', 'indirect', 'level_diff', 'merchant_recruit', 'dividend')
           or (r.kind = 'dividend') <> (r.period_id is not null)
           or (r.kind = 'dividend') = (r.line_id is not null)
           or (r.line_id is null) <> (r.order_id is null)
           or (r.line_id is null) <> (r.source_member_id is null)
           or (r.kind in ('direct', 'indirect', 'level_diff')) <> (r.depth is not null)
           or (r.kind = 'level_diff') <> (r.team_level_id is not null)
           or char_length(r.rule_label) not between 1 and 60
        then 'rewards_source'
      when r.amount_fen < 1 or r.base_fen < 1 or r.rate_bps not between 0 and 10000
           or (r.budget_fen is not null and (r.budget_fen < 0 or r.amount_fen > r.budget_fen))
        then 'rewards_amount'
      when r.reversed_fen < 0 or r.shortfall_fen < 0
           or (r.reversed_at is null and (r.reversed_fen <> 0 or r.shortfall_fen <> 0 or r.reversal_ledger_id is not null))
           or (r.reversed_at is not null and r.reversed_fen + r.shortfall_fen <> r.amount_fen)
           or ((r.reversal_ledger_id is not null) <> (r.reversed_fen > 0))
        then 'rewards_reversal'
    end;
begin
  if v_broken is not null then
    return rebate.invariant_failed(v_broken);
  end if;
  return true;
end;
$function$;
comment on function rebate.reward_ok(r rebate.rewards) is 'Row invariants of a reward (one CHECK): kind and its fields, amounts within the budget, reversal consistent.';
revoke all on function rebate.reward_ok(r rebate.rewards) from public, anon, authenticated, service_role;

-- What every reward of one line may take at most, in bps of its paid amount (the guardrail's
-- reward side; conservative: all kinds at once).
CREATE OR REPLACE FUNCTION rebate.reward_share_bps (
  s rebate.settings
)
  RETURNS integer
  LANGUAGE sql
  IMMUTABLE
  SET search_path TO ''
  AS $function$
  select s.referral_direct_bps + s.referral_indirect_bps + s.level_diff_cap_bps + s.dividend_bps + s.merchant_recruit_bps
$function$;
comment on function rebate.reward_share_bps(s rebate.settings) is 'What every reward of one line may take at most, in bps of its paid amount (the guardrail''s reward side; conservative: all kinds at once).';
revoke all on function rebate.reward_share_bps(s rebate.settings) from public, anon, authenticated, service_role;

-- The page a scanned code opens, by scene kind (i= invite, m= merchant invite, c= cashier).
CREATE OR REPLACE FUNCTION rebate.scene_page (
  p_kind text
)
  RETURNS text
  LANGUAGE sql
  IMMUTABLE
  PARALLEL SAFE
  SET search_path TO ''
  AS $function$
  select case p_kind when 'invite' then 'packages/invite/join/index'
                     when 'merchant' then 'packages/invite/join/index'
                     when 'cashier' then 'packages/cashier/index' end
$function$;
comment on function rebate.scene_page(p_kind text) is 'The page a scanned code opens, by scene kind (i= invite, m= merchant invite, c= cashier).';
revoke all on function rebate.scene_page(p_kind text) from public, anon, authenticated, service_role;

-- The dividend pool now (accrued, not paid yet) and the latest periods.
CREATE OR REPLACE FUNCTION public.admin_dividend_overview (
  p_limit integer DEFAULT 12
)
  RETURNS jsonb
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
begin
  perform rebate.require_role('operations', 'finance');
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
$function$;
comment on function public.admin_dividend_overview(p_limit integer) is 'The dividend pool now (accrued, not paid yet) and the latest periods.';
revoke all on function public.admin_dividend_overview(p_limit integer) from public, anon, authenticated, service_role;
grant execute on function public.admin_dividend_overview(p_limit integer) to authenticated;

-- A member's referral position for the admin: referrer, level, counts. By member code.
CREATE OR REPLACE FUNCTION public.admin_member_referral (
  p_member_code text
)
  RETURNS jsonb
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  m rebate.members;
  r rebate.referrals;
  v_ref rebate.members;
  tl rebate.team_levels;
begin
  perform rebate.require_role('operations', 'finance');
  select * into m from rebate.members x where x.member_code = upper(btrim(coalesce(p_member_code, '')));
  if not found then
    raise exception using errcode = 'P0001', message = 'member_not_found', hint = '会员不存在';
  end if;
  select * into r from rebate.referrals x where x.member_id = m.id;
  select * into v_ref from rebate.members x where x.id = r.referrer_id;
  tl := rebate.member_team_level(m.id);
  return jsonb_build_object(
    'member_id', m.id, 'member_code', m.member_code, 'nickname', m.nickname,
    'referrer', case when r.member_id is not null then jsonb_build_object(
                  'member_code', v_ref.member_code, 'nickname', v_ref.nickname, 'bound_at', r.bound_at,
                  'source', r.source, 'invite_code', r.invite_code) end,
    'team_level', case when tl.id is not null then to_jsonb(tl) end,
    'direct_count', (select count(*) from rebate.referrals x where x.referrer_id = m.id),
    'indirect_count', (select count(*) from rebate.referrals x join rebate.referrals y on y.referrer_id = x.member_id
                        where x.referrer_id = m.id));
end;
$function$;
comment on function public.admin_member_referral(p_member_code text) is 'A member''s referral position for the admin: referrer, level, counts. By member code.';
revoke all on function public.admin_member_referral(p_member_code text) from public, anon, authenticated, service_role;
grant execute on function public.admin_member_referral(p_member_code text) to authenticated;

-- Gives a member a team level (null: removes it). By member code.
CREATE OR REPLACE FUNCTION public.admin_set_member_team_level (
  p_member_code   text,
  p_team_level_id smallint
)
  RETURNS jsonb
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_admin uuid := rebate.require_role('operations');
  v_member uuid;
begin
  select m.id into v_member from rebate.members m where m.member_code = upper(btrim(coalesce(p_member_code, '')));
  if v_member is null then
    raise exception using errcode = 'P0001', message = 'member_not_found', hint = '会员不存在';
  end if;
  if p_team_level_id is null then
    delete from rebate.promoters p where p.member_id = v_member;
  else
    if not exists (select 1 from rebate.team_levels tl where tl.id = p_team_level_id) then
      raise exception using errcode = 'P0001', message = 'team_level_not_found', hint = '团队等级不存在';
    end if;
    insert into rebate.promoters (member_id, team_level_id, assigned_by)
    values (v_member, p_team_level_id, v_admin)
    on conflict (member_id) do update set team_level_id = excluded.team_level_id,
      assigned_by = excluded.assigned_by, assigned_at = now();
  end if;
  perform rebate.audit('member.set_team_level', 'member', v_member::text, null, jsonb_build_object('team_level_id', p_team_level_id), null);
  return jsonb_build_object('member_id', v_member, 'member_code', upper(btrim(p_member_code)),
                            'team_level_id', p_team_level_id);
end;
$function$;
comment on function public.admin_set_member_team_level(p_member_code text, p_team_level_id smallint) is 'Gives a member a team level (null: removes it). By member code.';
revoke all on function public.admin_set_member_team_level(p_member_code text, p_team_level_id smallint) from public, anon, authenticated, service_role;
grant execute on function public.admin_set_member_team_level(p_member_code text, p_team_level_id smallint) to authenticated;

-- Creates or updates a team level: {"id", "name", "rank", "diff_bps", "dividend_weight", "can_recruit_merchants"}.
-- id and name are required when creating; the other fields keep their value (or default) when absent.
CREATE OR REPLACE FUNCTION public.admin_upsert_team_level (
  p_level jsonb
)
  RETURNS jsonb
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_id bigint;
  v_rank bigint;
  v_diff bigint;
  v_weight bigint;
  v_old rebate.team_levels;
  v_row rebate.team_levels;
begin
  perform rebate.require_role('operations');
  if p_level is null or jsonb_typeof(p_level) <> 'object'
     or exists (select 1 from jsonb_object_keys(p_level) k
                 where k not in ('id', 'name', 'rank', 'diff_bps', 'dividend_weight', 'can_recruit_merchants')) then
    raise exception using errcode = 'P0001', message = 'invalid_team_level', hint = '团队等级参数无效';
  end if;
  v_id := rebate.json_int(p_level -> 'id', 1, 999);
  if v_id is null then
    raise exception using errcode = 'P0001', message = 'invalid_team_level', hint = '等级编号应为 1 到 999';
  end if;
  select * into v_old from rebate.team_levels tl where tl.id = v_id for update;
  if p_level ? 'name' and (jsonb_typeof(p_level -> 'name') <> 'string'
                           or char_length(btrim(p_level ->> 'name')) not between 1 and 20) then
    raise exception using errcode = 'P0001', message = 'invalid_team_level', hint = '等级名称应为 1 到 20 个字';
  end if;
  if v_old.id is null and not p_level ? 'name' then
    raise exception using errcode = 'P0001', message = 'invalid_team_level', hint = '请填写等级名称';
  end if;
  v_rank := case when p_level ? 'rank' then rebate.json_int(p_level -> 'rank', 1, 999) else coalesce(v_old.rank, v_id) end;
  v_diff := case when p_level ? 'diff_bps' then rebate.json_int(p_level -> 'diff_bps', 0, 10000) else coalesce(v_old.diff_bps, 0) end;
  v_weight := case when p_level ? 'dividend_weight' then rebate.json_int(p_level -> 'dividend_weight', 0, 1000000)
                   else coalesce(v_old.dividend_weight, 0) end;
  if v_rank is null or v_diff is null or v_weight is null
     or (p_level ? 'can_recruit_merchants' and jsonb_typeof(p_level -> 'can_recruit_merchants') <> 'boolean') then
    raise exception using errcode = 'P0001', message = 'invalid_team_level', hint = '团队等级参数无效';
  end if;
  begin
    insert into rebate.team_levels as tl (id, name, rank, diff_bps, dividend_weight, can_recruit_merchants)
    values (v_id, coalesce(btrim(p_level ->> 'name'), v_old.name), v_rank, v_diff, v_weight,
            coalesce((p_level ->> 'can_recruit_merchants')::boolean, v_old.can_recruit_merchants, false))
    on conflict (id) do update set
      name = excluded.name, rank = excluded.rank, diff_bps = excluded.diff_bps,
      dividend_weight = excluded.dividend_weight, can_recruit_merchants = excluded.can_recruit_merchants,
      updated_at = now()
    returning * into v_row;
  exception when unique_violation then
    raise exception using errcode = 'P0001', message = 'team_level_rank_taken', hint = '该等级排序已被其他等级使用';
  end;
  perform rebate.audit('team_level.save', 'team_level', (to_jsonb(v_row) ->> 'id'), null, to_jsonb(v_row), null);
  return to_jsonb(v_row);
end;
$function$;
comment on function public.admin_upsert_team_level(p_level jsonb) is 'Creates or updates a team level: {"id", "name", "rank", "diff_bps", "dividend_weight", "can_recruit_merchants"}. id and name are required when creating; the other fields keep their value (or default) when absent.';
revoke all on function public.admin_upsert_team_level(p_level jsonb) from public, anon, authenticated, service_role;
grant execute on function public.admin_upsert_team_level(p_level jsonb) to authenticated;

-- Binds me to the member whose invite code this is: once, permanently; never myself; never a
-- member below me (no cycle). Binding again to the same referrer returns the first binding
-- (already_bound true); to another referrer raises already_bound. Every bind runs under one
-- advisory lock, so two racing binds cannot together close a cycle, and racing binds of the
-- same member settle on exactly one referrer.
CREATE OR REPLACE FUNCTION public.bind_referrer (
  p_invite_code text,
  p_source      text DEFAULT 'scan'::text
)
  RETURNS public.referrer_binding
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_uid uuid := rebate.require_member();
  v_code text := rebate.normalize_code(p_invite_code, 'i');
  v_ref rebate.members;
  v_me rebate.members;
  r rebate.referrals;
begin
  if v_code !~ '^[A-Z0-9]{4,24}$' then
    raise exception using errcode = 'P0001', message = 'invalid_invite_code', hint = '邀请码无效';
  end if;
  if p_source is null or p_source not in ('scan', 'share', 'manual') then
    raise exception using errcode = 'P0001', message = 'invalid_source', hint = '绑定来源无效';
  end if;
  select * into v_ref from rebate.members m where m.member_code = v_code;
  if not found then
    raise exception using errcode = 'P0001', message = 'invalid_invite_code', hint = '邀请码无效或已失效';
  end if;
  if v_ref.id = v_uid then
    raise exception using errcode = 'P0001', message = 'self_referral', hint = '不能绑定自己为推荐人';
  end if;

  perform pg_advisory_xact_lock(hashtextextended('rebate:referral-bind', 0));

  select * into r from rebate.referrals x where x.member_id = v_uid;
  if found then
    if r.referrer_id = v_ref.id then
      return jsonb_populate_record(null::public.referrer_binding, jsonb_build_object('bound', false, 'already_bound', true,
                                'referrer_nickname_masked', rebate.mask_name(v_ref.nickname),
                                'referrer_nickname', rebate.mask_name(v_ref.nickname),
                                'bound_at', r.bound_at, 'source', r.source));
    end if;
    raise exception using errcode = 'P0001', message = 'already_bound', hint = '您已绑定推荐人，不能更换';
  end if;
  if exists (with recursive up(id, depth) as (
               select v_ref.id, 0
               union all
               select x.referrer_id, up.depth + 1 from up join rebate.referrals x on x.member_id = up.id
                where up.depth < 100000)
             select 1 from up where up.id = v_uid) then
    raise exception using errcode = 'P0001', message = 'referral_cycle', hint = '不能绑定自己邀请的成员为推荐人';
  end if;

  insert into rebate.referrals (member_id, referrer_id, source, invite_code)
  values (v_uid, v_ref.id, p_source, v_code)
  returning * into r;
  select * into v_me from rebate.members m where m.id = v_uid;
  insert into rebate.messages (member_id, kind, title, body)
  values (v_ref.id, 'referral_bound', '新成员加入团队',
          rebate.mask_name(v_me.nickname) || '通过您的邀请加入，已成为您的直推成员');
  return jsonb_populate_record(null::public.referrer_binding, jsonb_build_object('bound', true, 'already_bound', false,
                            'referrer_nickname_masked', rebate.mask_name(v_ref.nickname),
                            'referrer_nickname', rebate.mask_name(v_ref.nickname),
                            'bound_at', r.bound_at, 'source', r.source));
end;
$function$;
comment on function public.bind_referrer(p_invite_code text, p_source text) is 'Binds me to the member whose invite code this is: once, permanently; never myself; never a member below me (no cycle). Binding again to the same referrer returns the first binding (already_bound true); to another referrer raises already_bound. Every bind runs under one advisory lock, so two racing binds cannot together close a cycle, and racing binds of the same member settle on exactly one referrer.';
revoke all on function public.bind_referrer(p_invite_code text, p_source text) from public, anon, authenticated, service_role;
grant execute on function public.bind_referrer(p_invite_code text, p_source text) to authenticated;

-- What the join page shows before binding: whose invite this is and whether I can bind to it.
-- reason: null (can bind) | 'self_referral' | 'already_bound' | 'referral_cycle'.
CREATE OR REPLACE FUNCTION public.invite_info (
  p_invite_code text
)
  RETURNS jsonb
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_uid uuid := rebate.require_member();
  v_code text := rebate.normalize_code(p_invite_code, 'i');
  v_ref rebate.members;
  r rebate.referrals;
  v_reason text;
begin
  if v_code !~ '^[A-Z0-9]{4,24}$' then
    raise exception using errcode = 'P0001', message = 'invalid_invite_code', hint = '邀请码无效';
  end if;
  select * into v_ref from rebate.members m where m.member_code = v_code;
  if not found then
    raise exception using errcode = 'P0001', message = 'invalid_invite_code', hint = '邀请码无效或已失效';
  end if;
  select * into r from rebate.referrals x where x.member_id = v_uid;
  v_reason := case
    when v_ref.id = v_uid then 'self_referral'
    when r.member_id is not null then 'already_bound'
    when exists (with recursive up(id, depth) as (
                   select v_ref.id, 0
                   union all
                   select x.referrer_id, up.depth + 1 from up join rebate.referrals x on x.member_id = up.id
                    where up.depth < 100000)
                 select 1 from up where up.id = v_uid) then 'referral_cycle'
  end;
  return jsonb_build_object(
    'invite_code', v_code,
    'referrer_nickname_masked', rebate.mask_name(v_ref.nickname),
    'can_bind', v_reason is null,
    'reason', v_reason,
    'bound_to_this', r.referrer_id is not distinct from v_ref.id and r.member_id is not null);
end;
$function$;
comment on function public.invite_info(p_invite_code text) is 'What the join page shows before binding: whose invite this is and whether I can bind to it. reason: null (can bind) | ''self_referral'' | ''already_bound'' | ''referral_cycle''.';
revoke all on function public.invite_info(p_invite_code text) from public, anon, authenticated, service_role;
grant execute on function public.invite_info(p_invite_code text) to authenticated;

-- Team levels, for the team page and the admin (everyone signed in may read them).
CREATE OR REPLACE FUNCTION public.list_team_levels()
  RETURNS TABLE (
    id                    smallint,
    name                  text,
    rank                  smallint,
    diff_bps              integer,
    dividend_weight       integer,
    can_recruit_merchants boolean,
    member_count          bigint
  )
  LANGUAGE sql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
  select tl.id, tl.name, tl.rank, tl.diff_bps, tl.dividend_weight, tl.can_recruit_merchants,
         (select count(*) from rebate.promoters p where p.team_level_id = tl.id)
    from rebate.team_levels tl
   where (select auth.uid()) is not null
   order by tl.rank
$function$;
comment on function public.list_team_levels() is 'Team levels, for the team page and the admin (everyone signed in may read them).';
revoke all on function public.list_team_levels() from public, anon, authenticated, service_role;
grant execute on function public.list_team_levels() to authenticated;

-- My invite codes (the invite page). Scenes: 'i=<invite_code>' binds the scanner to me;
-- 'm=<merchant_invite_code>' opens the merchant application (members whose team level may
-- recruit merchants, and platform admins, whose merchant invites are the platform's).
CREATE OR REPLACE FUNCTION public.my_invite()
  RETURNS public.invite_details
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_uid uuid := rebate.require_member();
  m rebate.members;
  r rebate.referrals;
  v_ref_name text;
  tl rebate.team_levels;
  v_can boolean;
begin
  select * into m from rebate.members x where x.id = v_uid;
  select * into r from rebate.referrals x where x.member_id = v_uid;
  if r.member_id is not null then
    select rebate.mask_name(x.nickname) into v_ref_name from rebate.members x where x.id = r.referrer_id;
  end if;
  tl := rebate.member_team_level(v_uid);
  v_can := coalesce(tl.can_recruit_merchants, false) or m.is_admin;
  return jsonb_populate_record(null::public.invite_details, jsonb_build_object(
    'member_code', m.member_code,
    'invite_code', m.member_code,
    'scene', 'i=' || m.member_code,
    'page', rebate.scene_page('invite'),
    'referrer', case when r.member_id is not null
                     then jsonb_build_object('nickname_masked', v_ref_name, 'bound_at', r.bound_at) end,
    'referrer_nickname', v_ref_name,
    'team_level', case when tl.id is not null
                       then jsonb_build_object('id', tl.id, 'name', tl.name, 'diff_bps', tl.diff_bps,
                                               'shareholder', tl.dividend_weight > 0) end,
    'is_promoter', tl.id is not null,
    'can_invite_merchants', v_can,
    'merchant_invite_code', case when v_can then m.member_code end,
    'merchant_scene', case when v_can then 'm=' || m.member_code end,
    'merchant_page', case when v_can then rebate.scene_page('merchant') end,
    'invited_count', (select count(*) from rebate.referrals x where x.referrer_id = v_uid),
    'indirect_count', (select count(*) from rebate.referrals x join rebate.referrals y on y.referrer_id = x.member_id
                        where x.referrer_id = v_uid)));
end;
$function$;
comment on function public.my_invite() is 'My invite codes (the invite page). Scenes: ''i=<invite_code>'' binds the scanner to me; ''m=<merchant_invite_code>'' opens the merchant application (members whose team level may recruit merchants, and platform admins, whose merchant invites are the platform''s).';
revoke all on function public.my_invite() from public, anon, authenticated, service_role;
grant execute on function public.my_invite() to authenticated;

-- My rewards (commission history with source and rule), newest first.
CREATE OR REPLACE FUNCTION public.my_rewards (
  p_kind      text    DEFAULT NULL::text,
  p_before_id bigint  DEFAULT NULL::bigint,
  p_limit     integer DEFAULT 20
)
  RETURNS TABLE (
    reward_id              bigint,
    kind                   text,
    kind_label             text,
    rule_label             text,
    rate_bps               integer,
    base_fen               bigint,
    amount_fen             bigint,
    reversed_fen           bigint,
    capped                 boolean,
    status                 text,
    order_no_masked        text,
    source_nickname_masked text,
    depth                  smallint,
    period_key             text,
    created_at             timestamp with time zone,
    reversed_at            timestamp with time zone
  )
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
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
$function$;
comment on function public.my_rewards(p_kind text, p_before_id bigint, p_limit integer) is 'My rewards (commission history with source and rule), newest first.';
revoke all on function public.my_rewards(p_kind text, p_before_id bigint, p_limit integer) from public, anon, authenticated, service_role;
grant execute on function public.my_rewards(p_kind text, p_before_id bigint, p_limit integer) to authenticated;

-- My referees: p_depth 1 = direct (直推), 2 = indirect (间推, with the direct referee they came
-- through). Nicknames masked; reward_fen = what I earned from that referee's orders (net of
-- refunds). Newest first; page with p_before_id (the last referral_id seen).
CREATE OR REPLACE FUNCTION public.my_team (
  p_depth     integer DEFAULT 1,
  p_before_id bigint  DEFAULT NULL::bigint,
  p_limit     integer DEFAULT 20
)
  RETURNS TABLE (
    referral_id         bigint,
    depth               integer,
    nickname_masked     text,
    avatar_url          text,
    team_level_name     text,
    bound_at            timestamp with time zone,
    via_nickname_masked text,
    reward_fen          bigint
  )
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
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
$function$;
comment on function public.my_team(p_depth integer, p_before_id bigint, p_limit integer) is 'My referees: p_depth 1 = direct (直推), 2 = indirect (间推, with the direct referee they came through). Nicknames masked; reward_fen = what I earned from that referee''s orders (net of refunds). Newest first; page with p_before_id (the last referral_id seen).';
revoke all on function public.my_team(p_depth integer, p_before_id bigint, p_limit integer) from public, anon, authenticated, service_role;
grant execute on function public.my_team(p_depth integer, p_before_id bigint, p_limit integer) to authenticated;

-- My team (团队): counts, my team level, and what I earned, by reward kind (net of refunds).
CREATE OR REPLACE FUNCTION public.my_team_summary()
  RETURNS public.team_summary
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_uid uuid := rebate.require_member();
  tl rebate.team_levels;
  r public.team_summary;
  w public.team_summary_rewards;
begin
  tl := rebate.member_team_level(v_uid);
  select coalesce(sum(x.amount_fen - x.reversed_fen) filter (where x.kind = 'direct'), 0),
         coalesce(sum(x.amount_fen - x.reversed_fen) filter (where x.kind = 'indirect'), 0),
         coalesce(sum(x.amount_fen - x.reversed_fen) filter (where x.kind = 'level_diff'), 0),
         coalesce(sum(x.amount_fen - x.reversed_fen) filter (where x.kind = 'merchant_recruit'), 0),
         coalesce(sum(x.amount_fen - x.reversed_fen) filter (where x.kind = 'dividend'), 0),
         coalesce(sum(x.amount_fen - x.reversed_fen), 0)
    into w.direct_fen, w.indirect_fen, w.level_diff_fen, w.merchant_recruit_fen, w.dividend_fen, w.total_fen
    from rebate.rewards x where x.member_id = v_uid;
  r.direct_count := (select count(*) from rebate.referrals x where x.referrer_id = v_uid);
  r.indirect_count := (select count(*) from rebate.referrals x join rebate.referrals y on y.referrer_id = x.member_id
                        where x.referrer_id = v_uid);
  if tl.id is not null then
    r.team_level := row(tl.id, tl.name, tl.diff_bps, tl.dividend_weight > 0, tl.can_recruit_merchants)::public.team_summary_level;
  end if;
  r.rewards := w;
  r.commission_fen := (select x.commission_fen from rebate.wallets x where x.member_id = v_uid);
  return r;
end;
$function$;
comment on function public.my_team_summary() is 'My team (团队): counts, my team level, and what I earned, by reward kind (net of refunds).';
revoke all on function public.my_team_summary() from public, anon, authenticated, service_role;
grant execute on function public.my_team_summary() to authenticated;

-- 股东分红: pays the dividend pool of the last complete period (per settings.dividend_period,
-- Asia/Shanghai) to the shareholder-level members, split by their level's weight (largest
-- remainder). The pool is every accrual before the period's end not paid yet (earlier periods
-- without shareholders carry over). Idempotent per period: a second run returns the first result.
-- Scheduled with pg_cron in production (see docs/referral.md).
CREATE OR REPLACE FUNCTION public.run_dividend (
  p_at timestamp with time zone DEFAULT now()
)
  RETURNS jsonb
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  s rebate.settings;
  v_per record;
  p rebate.dividend_periods;
  v_members uuid[];
  v_weights bigint[];
  v_alloc bigint[];
  v_pool bigint;
begin
  if p_at is null or not isfinite(p_at) then
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
$function$;
comment on function public.run_dividend(p_at timestamp with time zone) is '股东分红: pays the dividend pool of the last complete period (per settings.dividend_period, Asia/Shanghai) to the shareholder-level members, split by their level''s weight (largest remainder). The pool is every accrual before the period''s end not paid yet (earlier periods without shareholders carry over). Idempotent per period: a second run returns the first result. Scheduled with pg_cron in production (see docs/referral.md).';
revoke all on function public.run_dividend(p_at timestamp with time zone) from public, anon, authenticated, service_role;
grant execute on function public.run_dividend(p_at timestamp with time zone) to service_role;

-- ============================================================ triggers

CREATE TRIGGER referrals_append_only
  BEFORE DELETE OR UPDATE ON rebate.referrals
  FOR EACH ROW
  EXECUTE FUNCTION rebate.forbid_change();

-- ============================================================ constraints

ALTER TABLE "rebate"."rewards"
  ADD CONSTRAINT "rewards_invariants" CHECK (rebate.reward_ok(rewards.*));

-- ============================================================ policies

CREATE POLICY "Members can read their own referral and their direct referees'" ON "rebate"."referrals"
  FOR SELECT
  TO "authenticated"
  USING (((member_id = ( SELECT auth.uid() AS uid)) OR (referrer_id = ( SELECT auth.uid() AS uid))));

CREATE POLICY "Signed-in members can read team levels" ON "rebate"."team_levels"
  FOR SELECT
  TO "authenticated"
  USING (true);

CREATE POLICY "Members can read their own team level" ON "rebate"."promoters"
  FOR SELECT
  TO "authenticated"
  USING ((member_id = ( SELECT auth.uid() AS uid)));

CREATE POLICY "Members can read their own rewards" ON "rebate"."rewards"
  FOR SELECT
  TO "authenticated"
  USING ((member_id = ( SELECT auth.uid() AS uid)));

-- ============================================================ grants

GRANT SELECT ON TABLE "rebate"."referrals" TO "service_role";

GRANT SELECT ON TABLE "rebate"."team_levels" TO "service_role";

GRANT SELECT ON TABLE "rebate"."promoters" TO "service_role";

GRANT SELECT ON TABLE "rebate"."dividend_periods" TO "service_role";

GRANT SELECT ON TABLE "rebate"."rewards" TO "service_role";

GRANT SELECT ON TABLE "rebate"."dividend_accruals" TO "service_role";
