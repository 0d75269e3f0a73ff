-- Union queue (工会排队): the second programme mode — one queue for every channel, a daily pool
-- from the platform's net profit paying whole quotas in queue order, promotion acceleration
-- SPEC §13; docs/union.md.
-- The source of truth (docs/database.md): edit here, then `npm run db:diff -- <name>` writes the migration.
--
-- No hot row: an order in union mode touches only its own rows (its entry, its line record),
-- the wallets of the members it pays and the referrer's oldest waiting entries. The day's pool
-- is never a row that every order updates: it is summed from the append-only line records
-- (union_lines) when the day is paid out. Settlement and refunds hold the advisory key
-- (20261216, 1) shared; the daily payout holds it exclusively, so that it sees every entry and
-- every contribution of the days it pays and nothing moves under it.

-- ============================================================ tables

-- A union entry (排队名额) in the single union queue; its id is its place in the queue.
-- No foreign keys, like rebate.entries: nothing on the order path takes a key-share lock.
CREATE TABLE "rebate"."union_entries" (
  "id"              bigint                   GENERATED ALWAYS AS IDENTITY NOT NULL,  -- queue order
  "member_id"       uuid                     NOT NULL,
  "order_id"        bigint                   NOT NULL,
  "line_id"         bigint                   NOT NULL,
  "base_fen"        bigint                   NOT NULL,  -- the line's paid amount
  "quota_bps"       integer                  NOT NULL,  -- union_quota_bps at payment
  "quota_fen"       bigint                   NOT NULL,  -- 分红额度 = base × quota_bps, half-up once
  "received_fen"    bigint                   NOT NULL DEFAULT 0,  -- acceleration + payout
  "accelerated_fen" bigint                   NOT NULL DEFAULT 0,  -- of which acceleration (推广加速)
  "closed_fen"      bigint                   NOT NULL DEFAULT 0,  -- remaining forfeited when voided
  "status"          text                     NOT NULL DEFAULT 'waiting'::text,  -- waiting | completed | voided
  "created_at"      timestamp with time zone NOT NULL DEFAULT now(),
  "ended_at"        timestamp with time zone,
  CONSTRAINT "union_entries_line_id_key" UNIQUE (line_id),
  CONSTRAINT "union_entries_pkey" PRIMARY KEY (id),
  CONSTRAINT "union_entries_amounts" CHECK (((base_fen >= 1) AND (quota_bps >= 1) AND (quota_fen >= 1) AND (received_fen >= 0)
    AND (accelerated_fen >= 0) AND (accelerated_fen <= received_fen) AND (closed_fen >= 0) AND ((received_fen + closed_fen) <= quota_fen))),
  CONSTRAINT "union_entries_status" CHECK ((CASE status
    WHEN 'waiting'::text THEN ((ended_at IS NULL) AND (closed_fen = 0) AND (received_fen < quota_fen))
    WHEN 'completed'::text THEN ((ended_at IS NOT NULL) AND (closed_fen = 0) AND (received_fen = quota_fen))
    WHEN 'voided'::text THEN ((ended_at IS NOT NULL) AND ((received_fen + closed_fen) = quota_fen))
    ELSE false END))
);

ALTER TABLE "rebate"."union_entries"
  ENABLE ROW LEVEL SECURITY;

ALTER TABLE "rebate"."union_entries"
  SET (fillfactor=80);

CREATE INDEX union_entries_waiting_idx ON rebate.union_entries USING btree (id)
  WHERE (status = 'waiting'::text);

CREATE INDEX union_entries_member_waiting_idx ON rebate.union_entries USING btree (member_id, id)
  WHERE (status = 'waiting'::text);

CREATE INDEX union_entries_member_idx ON rebate.union_entries USING btree (member_id, id);

CREATE INDEX union_entries_order_idx ON rebate.union_entries USING btree (order_id);

-- One row per union line at its settlement event, never changed: what the line earned the
-- platform (净利润) and what it put into the pool of its Asia/Shanghai day; the acceleration
-- taken from that contribution, and who received it (union_accelerations).
CREATE TABLE "rebate"."union_lines" (
  "line_id"          bigint                   NOT NULL,
  "order_id"         bigint                   NOT NULL,
  "member_id"        uuid                     NOT NULL,  -- the buyer
  "day"              date                     NOT NULL,  -- the pool it feeds (Asia/Shanghai day of settlement)
  "gross_fen"        bigint                   NOT NULL,  -- line amount − cost, or the store's commission
  "rewards_fen"      bigint                   NOT NULL,  -- referral rewards of the line (SPEC §11)
  "subsidy_fen"      bigint                   NOT NULL,  -- points and love value deducted on it
  "net_profit_fen"   bigint                   NOT NULL,  -- max(0, gross − rewards − subsidy)
  "pool_bps"         integer                  NOT NULL,
  "contribution_fen" bigint                   NOT NULL,  -- net × pool_bps, half-up once
  "accel_bps"        integer                  NOT NULL,
  "referrer_id"      uuid,  -- the buyer's direct referrer when acceleration applied
  "accel_fen"        bigint                   NOT NULL DEFAULT 0,  -- paid to the referrer's entries
  "settled_at"       timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT "union_lines_pkey" PRIMARY KEY (line_id),
  CONSTRAINT "union_lines_amounts" CHECK (((rewards_fen >= 0) AND (subsidy_fen >= 0) AND (net_profit_fen >= 0)
    AND (net_profit_fen = GREATEST((0)::bigint, ((gross_fen - rewards_fen) - subsidy_fen)))
    AND (pool_bps >= 0) AND (pool_bps <= 10000) AND (contribution_fen >= 0) AND (contribution_fen <= net_profit_fen)
    AND (accel_bps >= 0) AND (accel_bps <= 10000) AND (accel_fen >= 0) AND (accel_fen <= contribution_fen)))
);

ALTER TABLE "rebate"."union_lines"
  ENABLE ROW LEVEL SECURITY;

CREATE INDEX union_lines_day_idx ON rebate.union_lines USING btree (day) INCLUDE (contribution_fen, accel_fen);

CREATE INDEX union_lines_order_idx ON rebate.union_lines USING btree (order_id);

-- Each part of a line's acceleration: which of the referrer's entries received how much.
CREATE TABLE "rebate"."union_accelerations" (
  "id"         bigint                   GENERATED ALWAYS AS IDENTITY NOT NULL,
  "line_id"    bigint                   NOT NULL,  -- the referee's line it came from
  "order_id"   bigint                   NOT NULL,  -- the referee's order
  "entry_id"   bigint                   NOT NULL,
  "member_id"  uuid                     NOT NULL,  -- the referrer
  "amount_fen" bigint                   NOT NULL,
  "ledger_id"  bigint                   NOT NULL,
  "created_at" timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT "union_accelerations_amount_fen_check" CHECK ((amount_fen >= 1)),
  CONSTRAINT "union_accelerations_ledger_id_key" UNIQUE (ledger_id),
  CONSTRAINT "union_accelerations_pkey" PRIMARY KEY (id)
);

ALTER TABLE "rebate"."union_accelerations"
  ENABLE ROW LEVEL SECURITY;

CREATE INDEX union_accelerations_entry_idx ON rebate.union_accelerations USING btree (entry_id, id);

CREATE INDEX union_accelerations_line_idx ON rebate.union_accelerations USING btree (line_id);

-- The daily payout (每日分红), one row per Asia/Shanghai day paid out (idempotent per day).
-- available = carry_in + contributions − acceleration − taken back, of the days after the
-- previous payout up to this day; carry_over = available − paid.
CREATE TABLE "rebate"."union_payouts" (
  "day"              date                     NOT NULL,
  "carry_in_fen"     bigint                   NOT NULL,
  "contribution_fen" bigint                   NOT NULL,
  "acceleration_fen" bigint                   NOT NULL,
  "takeback_fen"     bigint                   NOT NULL,
  "available_fen"    bigint                   NOT NULL,
  "paid_fen"         bigint                   NOT NULL,
  "entries_paid"     integer                  NOT NULL,
  "carry_over_fen"   bigint                   NOT NULL,
  "held"             boolean                  NOT NULL,  -- paused (or the programme off): nothing paid
  "ran_at"           timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT "union_payouts_pkey" PRIMARY KEY (day),
  CONSTRAINT "union_payouts_amounts" CHECK (((carry_in_fen >= 0) AND (contribution_fen >= 0) AND (acceleration_fen >= 0)
    AND (takeback_fen >= 0) AND (available_fen >= 0)
    AND (available_fen = (((carry_in_fen + contribution_fen) - acceleration_fen) - takeback_fen))
    AND (paid_fen >= 0) AND (entries_paid >= 0) AND (carry_over_fen = (available_fen - paid_fen)) AND (carry_over_fen >= 0)
    AND ((NOT held) OR ((paid_fen = 0) AND (entries_paid = 0)))))
);

ALTER TABLE "rebate"."union_payouts"
  ENABLE ROW LEVEL SECURITY;

-- Who a day's payout paid: each entry its whole remaining quota, in queue order.
CREATE TABLE "rebate"."union_payout_items" (
  "id"         bigint                   GENERATED ALWAYS AS IDENTITY NOT NULL,
  "day"        date                     NOT NULL,
  "entry_id"   bigint                   NOT NULL,
  "member_id"  uuid                     NOT NULL,
  "amount_fen" bigint                   NOT NULL,
  "ledger_id"  bigint                   NOT NULL,
  CONSTRAINT "union_payout_items_amount_fen_check" CHECK ((amount_fen >= 1)),
  CONSTRAINT "union_payout_items_day_fkey" FOREIGN KEY (day) REFERENCES rebate.union_payouts(day),
  CONSTRAINT "union_payout_items_entry_id_key" UNIQUE (entry_id),
  CONSTRAINT "union_payout_items_ledger_id_key" UNIQUE (ledger_id),
  CONSTRAINT "union_payout_items_pkey" PRIMARY KEY (id)
);

ALTER TABLE "rebate"."union_payout_items"
  ENABLE ROW LEVEL SECURITY;

CREATE INDEX union_payout_items_day_idx ON rebate.union_payout_items USING btree (day, entry_id);

-- A refunded line's contribution taken back from the pool, before its day was paid out (SPEC
-- §13.7): the contribution less the acceleration it already paid (that stays with the referrer,
-- a platform cost). After the payout nothing is taken back: the line's cost_fen records it.
CREATE TABLE "rebate"."union_takebacks" (
  "line_id"    bigint                   NOT NULL,
  "refund_id"  bigint                   NOT NULL,
  "day"        date                     NOT NULL,  -- the line's pool day
  "amount_fen" bigint                   NOT NULL,
  "created_at" timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT "union_takebacks_amount_fen_check" CHECK ((amount_fen >= 0)),
  CONSTRAINT "union_takebacks_line_id_fkey" FOREIGN KEY (line_id) REFERENCES rebate.union_lines(line_id),
  CONSTRAINT "union_takebacks_pkey" PRIMARY KEY (line_id),
  CONSTRAINT "union_takebacks_refund_id_fkey" FOREIGN KEY (refund_id) REFERENCES rebate.refunds(id)
);

ALTER TABLE "rebate"."union_takebacks"
  ENABLE ROW LEVEL SECURITY;

CREATE INDEX union_takebacks_day_idx ON rebate.union_takebacks USING btree (day);

CREATE INDEX union_takebacks_refund_idx ON rebate.union_takebacks USING btree (refund_id);

-- ============================================================ functions

-- The average daily pool (contributions − acceleration − taken back) of the payouts of the
-- last p_days days before p_today, or null without any (SPEC §13.8).
CREATE OR REPLACE FUNCTION rebate.union_avg_pool (
  p_today date,
  p_days  integer
)
  RETURNS bigint
  LANGUAGE sql
  STABLE
  SET search_path TO ''
  AS $function$
  select (sum(p.contribution_fen - p.acceleration_fen - p.takeback_fen) / count(*))::bigint
    from rebate.union_payouts p
   where p.day >= p_today - p_days and p.day < p_today
$function$;
comment on function rebate.union_avg_pool(p_today date, p_days integer) is 'The average daily pool (contributions − acceleration − taken back) of the payouts of the last p_days days before p_today, or null without any (SPEC §13.8).';
revoke all on function rebate.union_avg_pool(p_today date, p_days integer) from public, anon, authenticated, service_role;

-- The estimated completion date range of an entry (SPEC §13.8): what must be paid before it
-- leaves (the remaining quotas ahead and its own, less the carry-over) over the average daily
-- pool of the last 7 and of the last 30 days; the faster average gives the earlier date. Null
-- (无法估计) without a payout history or with no pool.
CREATE OR REPLACE FUNCTION rebate.union_estimate (
  p_need_fen bigint,
  p_today    date,
  OUT        est_from date,
  OUT        est_to date
)
  RETURNS record
  LANGUAGE plpgsql
  STABLE
  SET search_path TO ''
  AS $function$
declare
  v7 bigint := rebate.union_avg_pool(p_today, 7);
  v30 bigint := rebate.union_avg_pool(p_today, 30);
  v_hi bigint;
  v_lo bigint;
begin
  v_hi := greatest(coalesce(v7, 0), coalesce(v30, 0));
  if v_hi <= 0 then
    return;
  end if;
  v_lo := case when least(coalesce(v7, 0), coalesce(v30, 0)) > 0 then least(v7, v30) else v_hi end;
  est_from := p_today + greatest(1, ceil(greatest(p_need_fen, 0)::numeric / v_hi)::integer);
  est_to := p_today + greatest(1, ceil(greatest(p_need_fen, 0)::numeric / v_lo)::integer);
end;
$function$;
comment on function rebate.union_estimate(p_need_fen bigint, p_today date, OUT est_from date, OUT est_to date) is 'The estimated completion date range of an entry (SPEC §13.8): what must be paid before it leaves over the average daily pool of the last 7 and of the last 30 days; null (无法估计) without a payout history or with no pool.';
revoke all on function rebate.union_estimate(p_need_fen bigint, p_today date, OUT est_from date, OUT est_to date) from public, anon, authenticated, service_role;

-- What a line earned the platform before rewards and subsidies (SPEC §13.3): self-operated and
-- supply-chain products: amount − cost_fen × quantity; supplier products: amount −
-- supply_price_fen × quantity; store online products and cashier payments: the store's
-- commission (amount × commission_bps, half-up).
CREATE OR REPLACE FUNCTION rebate.union_gross_profit (
  p_line  rebate.order_lines,
  p_order rebate.orders
)
  RETURNS bigint
  LANGUAGE plpgsql
  STABLE
  SET search_path TO ''
  AS $function$
declare
  v_kind text;
  v_cost bigint;
  v_supply bigint;
  v_bps integer;
begin
  if p_order.channel in ('store', 'cashier') then
    select st.commission_bps into v_bps from rebate.stores st where st.id = p_order.store_id;
    return rebate.bps_of(p_line.amount_fen, coalesce(v_bps, 0));
  end if;
  select p.kind, p.cost_fen, p.supply_price_fen into v_kind, v_cost, v_supply from rebate.products p where p.id = p_line.product_id;
  return p_line.amount_fen - p_line.quantity * case when v_kind = 'supplier' then v_supply else v_cost end;
end;
$function$;
comment on function rebate.union_gross_profit(p_line rebate.order_lines, p_order rebate.orders) is 'What a line earned the platform before rewards and subsidies (SPEC §13.3): amount − cost_fen × quantity (self-operated, supply chain), amount − supply_price_fen × quantity (supplier), or the store''s commission_bps of the amount (store online, cashier).';
revoke all on function rebate.union_gross_profit(p_line rebate.order_lines, p_order rebate.orders) from public, anon, authenticated, service_role;

-- One day's payout (SPEC §13.6), the caller holding the union key exclusively: available =
-- the previous carry-over + the contributions − acceleration − taken back of the days after the
-- previous payout up to p_day; the waiting entries are paid in queue order, each its whole
-- remaining quota, while available covers the head; the first it cannot cover stops the run
-- (never partial, never out of order). Held (paused, or the programme off): nothing is paid,
-- everything carries over. Reads the head through the waiting index: the cost grows with the
-- entries paid, not with the entries waiting. Wallets are credited in member order.
CREATE OR REPLACE FUNCTION rebate.union_payout_day (
  p_day  date,
  p_hold boolean
)
  RETURNS rebate.union_payouts
  LANGUAGE plpgsql
  SET search_path TO ''
  AS $function$
declare
  prev rebate.union_payouts;
  p rebate.union_payouts;
  e record;
  r record;
  v_left bigint;
  v_ledger rebate.ledger;
  v_after bigint := 0;
  v_more boolean;
  n integer := 0;
  a_entry bigint[] := '{}';
  a_member uuid[] := '{}';
  a_order bigint[] := '{}';
  a_amount bigint[] := '{}';
  a_quota bigint[] := '{}';
begin
  select * into prev from rebate.union_payouts x order by x.day desc limit 1;
  p.day := p_day;
  p.carry_in_fen := coalesce(prev.carry_over_fen, 0);
  select coalesce(sum(u.contribution_fen), 0), coalesce(sum(u.accel_fen), 0) into p.contribution_fen, p.acceleration_fen
    from rebate.union_lines u
   where u.day <= p_day and (prev.day is null or u.day > prev.day);
  select coalesce(sum(t.amount_fen), 0) into p.takeback_fen
    from rebate.union_takebacks t
   where t.day <= p_day and (prev.day is null or t.day > prev.day);
  p.available_fen := p.carry_in_fen + p.contribution_fen - p.acceleration_fen - p.takeback_fen;
  v_left := p.available_fen;
  if not p_hold then
    -- the head in batches of 100 through the waiting index (a LIMIT keeps the plan an index
    -- scan however many entries wait); stop at the first entry available cannot cover
    <<heads>>
    loop
      v_more := false;
      for e in
        select en.id, en.member_id, en.order_id, en.quota_fen, en.quota_fen - en.received_fen as rest
          from rebate.union_entries en
         where en.status = 'waiting' and en.id > v_after
         order by en.id
         limit 100
      loop
        exit heads when e.rest > v_left;
        n := n + 1;
        a_entry[n] := e.id; a_member[n] := e.member_id; a_order[n] := e.order_id; a_amount[n] := e.rest; a_quota[n] := e.quota_fen;
        v_left := v_left - e.rest;
        v_after := e.id;
        v_more := true;
      end loop;
      exit heads when not v_more;
    end loop;
  end if;
  p.paid_fen := p.available_fen - v_left;
  p.entries_paid := n;
  p.carry_over_fen := v_left;
  p.held := p_hold;
  p.ran_at := now();
  insert into rebate.union_payouts (day, carry_in_fen, contribution_fen, acceleration_fen, takeback_fen, available_fen,
                                    paid_fen, entries_paid, carry_over_fen, held, ran_at)
  values (p.day, p.carry_in_fen, p.contribution_fen, p.acceleration_fen, p.takeback_fen, p.available_fen,
          p.paid_fen, p.entries_paid, p.carry_over_fen, p.held, p.ran_at);
  if n = 0 then
    return p;
  end if;
  update rebate.union_entries en set received_fen = en.quota_fen, status = 'completed', ended_at = now()
   where en.id = any (a_entry);
  for r in
    select t.member_id, t.entry_id, t.order_id, t.amount, t.quota
      from unnest(a_member, a_entry, a_order, a_amount, a_quota) as t(member_id, entry_id, order_id, amount, quota)
     order by t.member_id, t.entry_id
  loop
    v_ledger := rebate.post_ledger(r.member_id, 'cash', r.amount, 'union_dividend', r.order_id);
    insert into rebate.union_payout_items (day, entry_id, member_id, amount_fen, ledger_id)
    values (p_day, r.entry_id, r.member_id, r.amount, v_ledger.id);
    insert into rebate.messages (member_id, kind, title, body, entry_id, order_id, amount_fen)
    values (r.member_id, 'union_paid_out', '工会分红到账',
            to_char(p_day, 'YYYY-MM-DD') || '分红：排队名额获得' || rebate.fen_text(r.amount) || '，已返满'
              || rebate.fen_text(r.quota),
            r.entry_id, r.order_id, r.amount);
  end loop;
  return p;
end;
$function$;
comment on function rebate.union_payout_day(p_day date, p_hold boolean) is 'One day''s payout (SPEC §13.6), the caller holding the union key exclusively: available = carry-over + contributions − acceleration − taken back since the previous payout; waiting entries paid in queue order, each its whole remaining quota, while available covers the head; the first it cannot cover stops the run. Held: nothing paid, everything carried. Cost grows with the entries paid, not with the entries waiting.';
revoke all on function rebate.union_payout_day(p_day date, p_hold boolean) from public, anon, authenticated, service_role;

-- A refunded union line (SPEC §13.7), called by rebate.refund_order with the union key held
-- shared: its waiting entry is voided (remaining forfeited); its contribution is taken back if
-- its day has not been paid out yet (less the acceleration it already paid, which stays with the
-- referrer), otherwise it stays. Returns the cash rebate the entry received (kept back from the
-- refund) and the platform cost (acceleration paid; the whole contribution after the payout).
CREATE OR REPLACE FUNCTION rebate.union_refund_line (
  p_line      rebate.order_lines,
  p_order     rebate.orders,
  p_refund_id bigint,
  OUT         received_fen bigint,
  OUT         cost_fen bigint
)
  RETURNS record
  LANGUAGE plpgsql
  SET search_path TO ''
  AS $function$
declare
  e rebate.union_entries;
  u rebate.union_lines;
begin
  received_fen := 0;
  cost_fen := 0;
  -- the entry's owner's wallet first: acceleration locks it before the entry too
  perform 1 from rebate.wallets w where w.member_id = p_order.member_id for update;
  select * into e from rebate.union_entries x where x.line_id = p_line.id;
  if found then
    received_fen := e.received_fen;
    if e.status = 'waiting' then
      update rebate.union_entries x set status = 'voided', closed_fen = x.quota_fen - x.received_fen, ended_at = now()
       where x.id = e.id;
      insert into rebate.messages (member_id, kind, title, body, entry_id, order_id, amount_fen)
      values (p_order.member_id, 'union_voided', '工会排队名额已失效',
              '订单' || p_order.order_no || '已退款，工会排队名额失效，未返的' || rebate.fen_text(e.quota_fen - e.received_fen)
                || '不再返还',
              e.id, p_order.id, e.quota_fen - e.received_fen);
    end if;
  end if;
  select * into u from rebate.union_lines x where x.line_id = p_line.id;
  if found then
    if exists (select 1 from rebate.union_payouts p where p.day >= u.day) then
      cost_fen := u.contribution_fen;
    else
      insert into rebate.union_takebacks (line_id, refund_id, day, amount_fen)
      values (p_line.id, p_refund_id, u.day, u.contribution_fen - u.accel_fen);
      cost_fen := u.accel_fen;
    end if;
  end if;
end;
$function$;
comment on function rebate.union_refund_line(p_line rebate.order_lines, p_order rebate.orders, p_refund_id bigint, OUT received_fen bigint, OUT cost_fen bigint) is 'A refunded union line (SPEC §13.7): voids its waiting entry; takes its contribution (less the acceleration already paid) back from the pool if its day is not paid out yet. Returns the cash rebate received (kept back) and the platform cost.';
revoke all on function rebate.union_refund_line(p_line rebate.order_lines, p_order rebate.orders, p_refund_id bigint, OUT received_fen bigint, OUT cost_fen bigint) from public, anon, authenticated, service_role;

-- A union line at its settlement event (SPEC §13.3–13.5): its referral rewards first (they
-- reduce the net profit), then the line record with its contribution to today's pool, and the
-- acceleration: line pay × union_accel_bps, at most the contribution, paid at once to the
-- buyer's direct referrer's oldest waiting entries (the overflow to the next one; what no entry
-- takes stays in the pool). Not while paused. The referrer's wallet is locked before its entries.
CREATE OR REPLACE FUNCTION rebate.union_settle_line (
  p_line     rebate.order_lines,
  p_order    rebate.orders,
  p_settings rebate.settings
)
  RETURNS void
  LANGUAGE plpgsql
  SET search_path TO ''
  AS $function$
declare
  u rebate.union_lines;
  e record;
  v_left bigint := 0;
  v_amt bigint;
  v_ledger rebate.ledger;
  n integer := 0;
  a_entry bigint[] := '{}';
  a_order bigint[] := '{}';
  a_amount bigint[] := '{}';
  a_received bigint[] := '{}';
  a_quota bigint[] := '{}';
begin
  perform rebate.apply_order_rewards(p_line);
  u.line_id := p_line.id;
  u.order_id := p_order.id;
  u.member_id := p_order.member_id;
  u.day := rebate.shanghai_day(clock_timestamp());   -- after the union key: a day already paid out is over
  u.gross_fen := rebate.union_gross_profit(p_line, p_order);
  select coalesce(sum(r.amount_fen), 0) into u.rewards_fen from rebate.rewards r where r.line_id = p_line.id;
  u.rewards_fen := u.rewards_fen + coalesce((select a.amount_fen from rebate.dividend_accruals a where a.line_id = p_line.id), 0);
  u.subsidy_fen := p_line.points_deduct_fen + p_line.love_deduct_fen;
  u.net_profit_fen := greatest(0, u.gross_fen - u.rewards_fen - u.subsidy_fen);
  u.pool_bps := p_settings.union_pool_bps;
  u.contribution_fen := rebate.bps_of(u.net_profit_fen, u.pool_bps);
  u.accel_bps := p_settings.union_accel_bps;
  u.accel_fen := 0;
  if u.contribution_fen > 0 and u.accel_bps > 0 and not p_settings.paused then
    select r.referrer_id into u.referrer_id from rebate.referrals r where r.member_id = p_order.member_id;
    if u.referrer_id is not null then
      v_left := least(rebate.bps_of(p_line.pay_fen, u.accel_bps), u.contribution_fen);
      perform 1 from rebate.wallets w where w.member_id = u.referrer_id for update;
      while v_left > 0 loop
        select en.id, en.order_id, en.quota_fen, en.received_fen into e
          from rebate.union_entries en
         where en.member_id = u.referrer_id and en.status = 'waiting'
         order by en.id limit 1;
        exit when not found;
        v_amt := least(v_left, e.quota_fen - e.received_fen);
        update rebate.union_entries en set
          received_fen = en.received_fen + v_amt,
          accelerated_fen = en.accelerated_fen + v_amt,
          status = case when en.received_fen + v_amt = en.quota_fen then 'completed' else 'waiting' end,
          ended_at = case when en.received_fen + v_amt = en.quota_fen then now() end
         where en.id = e.id;
        n := n + 1;
        a_entry[n] := e.id; a_order[n] := e.order_id; a_amount[n] := v_amt;
        a_received[n] := e.received_fen + v_amt; a_quota[n] := e.quota_fen;
        u.accel_fen := u.accel_fen + v_amt;
        v_left := v_left - v_amt;
      end loop;
    end if;
  end if;
  u.settled_at := now();
  insert into rebate.union_lines (line_id, order_id, member_id, day, gross_fen, rewards_fen, subsidy_fen, net_profit_fen,
                                  pool_bps, contribution_fen, accel_bps, referrer_id, accel_fen, settled_at)
  values (u.line_id, u.order_id, u.member_id, u.day, u.gross_fen, u.rewards_fen, u.subsidy_fen, u.net_profit_fen,
          u.pool_bps, u.contribution_fen, u.accel_bps, u.referrer_id, u.accel_fen, u.settled_at);
  for i in 1 .. n loop
    v_ledger := rebate.post_ledger(u.referrer_id, 'cash', a_amount[i], 'union_acceleration', a_order[i]);
    insert into rebate.union_accelerations (line_id, order_id, entry_id, member_id, amount_fen, ledger_id)
    values (p_line.id, p_order.id, a_entry[i], u.referrer_id, a_amount[i], v_ledger.id);
    insert into rebate.messages (member_id, kind, title, body, entry_id, order_id, amount_fen)
    values (u.referrer_id, 'union_accelerated', '推广加速到账',
            '好友订单' || rebate.mask_order_no(p_order.order_no) || '为您的工会排队名额加速' || rebate.fen_text(a_amount[i])
              || case when a_received[i] = a_quota[i] then '，已返满' || rebate.fen_text(a_quota[i])
                      else '，累计' || rebate.fen_text(a_received[i]) || '/' || rebate.fen_text(a_quota[i]) end,
            a_entry[i], a_order[i], a_amount[i]);
  end loop;
end;
$function$;
comment on function rebate.union_settle_line(p_line rebate.order_lines, p_order rebate.orders, p_settings rebate.settings) is 'A union line at its settlement event (SPEC §13.3–13.5): referral rewards, net profit, contribution to today''s pool (append-only union_lines), and acceleration paid at once to the referrer''s oldest waiting entries (overflow to the next; the rest stays in the pool). Not while paused.';
revoke all on function rebate.union_settle_line(p_line rebate.order_lines, p_order rebate.orders, p_settings rebate.settings) from public, anon, authenticated, service_role;

-- Settlement of an order in union mode (SPEC §13), called by rebate.settle_order: at payment
-- every line joins the union queue (queue_for_line's gates: plugin, product, store, cashier),
-- and a line that earns (line_earns_entitlement: deduction switch, windows, limits) gets an
-- entry with quota = pay × union_quota_bps; at the settlement event each line settles
-- (union_settle_line; lines that did not join only get their referral rewards). Holds the
-- union key shared: orders settle side by side; only the daily payout waits for them.
CREATE OR REPLACE FUNCTION rebate.union_settle_order (
  p_order    rebate.orders,
  p_settings rebate.settings,
  p_event    text
)
  RETURNS void
  LANGUAGE plpgsql
  SET search_path TO ''
  AS $function$
declare
  v_join constant boolean := p_event = 'paid';
  v_settle constant boolean := p_event = 'completed' or p_settings.settle_event = 'paid';
  l rebate.order_lines;
  v_gate text;
  v_reason text;
  v_quota bigint;
  v_eid bigint;
begin
  perform pg_advisory_xact_lock_shared(20261216, 1);
  for l in select * from rebate.order_lines ol where ol.order_id = p_order.id order by ol.line_no loop
    continue when l.refunded_at is not null;
    if v_join then
      select f.reason into v_gate from rebate.queue_for_line(l, p_order, p_settings) f;
      if v_gate = 'union_queue' then
        v_reason := rebate.line_earns_entitlement(l, p_order, p_settings, true);
        v_quota := rebate.bps_of(l.pay_fen, p_settings.union_quota_bps);
        if v_reason is null and v_quota = 0 then
          v_reason := 'zero_entitlement';
        end if;
        if v_reason is null then
          insert into rebate.union_entries (member_id, order_id, line_id, base_fen, quota_bps, quota_fen)
          values (p_order.member_id, p_order.id, l.id, l.pay_fen, p_settings.union_quota_bps, v_quota)
          returning id into v_eid;
          insert into rebate.messages (member_id, kind, title, body, entry_id, order_id, amount_fen)
          values (p_order.member_id, 'union_joined', '工会排队成功',
                  '订单' || p_order.order_no || '已加入工会排队，分红额度' || rebate.fen_text(v_quota),
                  v_eid, p_order.id, v_quota);
        end if;
        update rebate.order_lines ol set union_joined = true, no_entry_reason = v_reason,
               settled_at = case when v_settle then now() end
         where ol.id = l.id
         returning * into l;
      else
        update rebate.order_lines ol set no_entry_reason = v_gate, settled_at = case when v_settle then now() end
         where ol.id = l.id
         returning * into l;
      end if;
    elsif l.settled_at is null then
      update rebate.order_lines ol set settled_at = now() where ol.id = l.id returning * into l;
    else
      continue;
    end if;
    if v_settle then
      if l.union_joined then
        perform rebate.union_settle_line(l, p_order, p_settings);
      else
        perform rebate.apply_order_rewards(l);
      end if;
    end if;
  end loop;
end;
$function$;
comment on function rebate.union_settle_order(p_order rebate.orders, p_settings rebate.settings, p_event text) is 'Settlement of an order in union mode (SPEC §13): at payment every line joins the union queue and an earning line gets an entry (quota = pay × union_quota_bps); at the settlement event each line settles (union_settle_line). Holds the union key shared.';
revoke all on function rebate.union_settle_order(p_order rebate.orders, p_settings rebate.settings, p_event text) from public, anon, authenticated, service_role;

-- §13 Decision: switching programme_mode is refused while any entry of the current mode waits.
-- Leaving union mode takes the union key exclusively, so no union order settles meanwhile.
CREATE OR REPLACE FUNCTION rebate.settings_mode_switch()
  RETURNS TRIGGER
  LANGUAGE plpgsql
  SET search_path TO ''
  AS $function$
begin
  if old.programme_mode = 'union' then
    perform pg_advisory_xact_lock(20261216, 1);
    if exists (select 1 from rebate.union_entries e where e.status = 'waiting') then
      raise exception using errcode = 'P0001', message = 'mode_switch_refused',
        hint = '工会排队中还有排队中的名额，不能切换运营模式';
    end if;
  elsif exists (select 1 from rebate.entries e where e.status = 'waiting') then
    raise exception using errcode = 'P0001', message = 'mode_switch_refused',
      hint = '排队返利中还有排队中的名额，不能切换运营模式';
  end if;
  return new;
end;
$function$;
comment on function rebate.settings_mode_switch() is '§13 Decision: switching programme_mode is refused (mode_switch_refused) while any entry of the current mode waits. Leaving union mode takes the union key exclusively.';
revoke all on function rebate.settings_mode_switch() from public, anon, authenticated, service_role;

-- ------------------------------------------------------------ the API
-- 分红池 (console): the pool per day (contributions, acceleration, taken back, paid, entries
-- exited, carry-over) for the last p_days days, what today has collected so far, the union
-- queue's owed total and its coverage in days of the average daily pool (30 days).
CREATE OR REPLACE FUNCTION public.console_union_pool (
  p_days integer DEFAULT 30
)
  RETURNS jsonb
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_today constant date := rebate.shanghai_day(now());
  v_last rebate.union_payouts;
  v_days jsonb;
  v_open record;
  v_owed record;
  v_avg bigint;
  s rebate.settings;
begin
  perform rebate.require_role('operations', 'finance');
  if p_days is null or p_days < 1 or p_days > 366 then
    raise exception using errcode = 'P0001', message = 'invalid_limit', hint = '天数应在 1 到 366 之间';
  end if;
  select * into s from rebate.settings x where x.id = 1;
  select * into v_last from rebate.union_payouts x order by x.day desc limit 1;
  select coalesce(jsonb_agg(jsonb_build_object(
           'day', p.day, 'carry_in_fen', p.carry_in_fen, 'contribution_fen', p.contribution_fen,
           'acceleration_fen', p.acceleration_fen, 'takeback_fen', p.takeback_fen,
           'pool_fen', p.contribution_fen - p.acceleration_fen - p.takeback_fen, 'available_fen', p.available_fen,
           'paid_fen', p.paid_fen, 'entries_paid', p.entries_paid, 'carry_over_fen', p.carry_over_fen,
           'held', p.held, 'ran_at', p.ran_at) order by p.day), '[]'::jsonb)
    into v_days
    from rebate.union_payouts p where p.day >= v_today - p_days;
  select coalesce(sum(u.contribution_fen), 0) as contribution_fen, coalesce(sum(u.accel_fen), 0) as acceleration_fen,
         count(*) as lines
    into v_open
    from rebate.union_lines u where v_last.day is null or u.day > v_last.day;
  select count(*) as n, coalesce(sum(e.quota_fen - e.received_fen), 0) as owed
    into v_owed from rebate.union_entries e where e.status = 'waiting';
  v_avg := rebate.union_avg_pool(v_today, 30);
  return jsonb_build_object(
    'programme_mode', s.programme_mode, 'paused', s.paused, 'payout_time', to_char(s.union_payout_time, 'HH24:MI'),
    'days', v_days,
    'open', jsonb_build_object('since', v_last.day, 'contribution_fen', v_open.contribution_fen,
                               'acceleration_fen', v_open.acceleration_fen, 'lines', v_open.lines),
    'carry_over_fen', coalesce(v_last.carry_over_fen, 0),
    'waiting_entries', v_owed.n, 'owed_fen', v_owed.owed, 'avg_daily_pool_fen', v_avg,
    'coverage_days', case when coalesce(v_avg, 0) > 0
                          then ceil(greatest(v_owed.owed - coalesce(v_last.carry_over_fen, 0), 0)::numeric / v_avg) end);
end;
$function$;
comment on function public.console_union_pool(p_days integer) is '------------------------------------------------------------ the API 分红池 (console, operations and finance): the pool per day for the last p_days days, what today collected so far, the union queue''s owed total and its coverage in days of the 30-day average daily pool.';
revoke all on function public.console_union_pool(p_days integer) from public, anon, authenticated, service_role;
grant execute on function public.console_union_pool(p_days integer) to authenticated;

-- 分红记录 (console): who one day's payout paid, in queue order.
CREATE OR REPLACE FUNCTION public.console_union_payout_log (
  p_day date
)
  RETURNS jsonb
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
begin
  perform rebate.require_role('operations', 'finance');
  if p_day is null then
    raise exception using errcode = 'P0001', message = 'invalid_time', hint = '日期无效';
  end if;
  return jsonb_build_object(
    'payout', (select to_jsonb(p) from rebate.union_payouts p where p.day = p_day),
    'items', coalesce((
      select jsonb_agg(jsonb_build_object('entry_id', i.entry_id, 'member_code', m.member_code, 'nickname', m.nickname,
                                          'order_no', o.order_no, 'quota_fen', e.quota_fen,
                                          'accelerated_fen', e.accelerated_fen, 'amount_fen', i.amount_fen)
                       order by i.entry_id)
        from rebate.union_payout_items i
        join rebate.union_entries e on e.id = i.entry_id
        join rebate.members m on m.id = i.member_id
        join rebate.orders o on o.id = e.order_id
       where i.day = p_day), '[]'::jsonb));
end;
$function$;
comment on function public.console_union_payout_log(p_day date) is '分红记录 (console, operations and finance): one day''s payout and who it paid, in queue order.';
revoke all on function public.console_union_payout_log(p_day date) from public, anon, authenticated, service_role;
grant execute on function public.console_union_payout_log(p_day date) to authenticated;

-- 工会队列 (console): the waiting entries in queue order (keyset on id), with their position.
CREATE OR REPLACE FUNCTION public.console_union_queue (
  p_after_id bigint  DEFAULT NULL::bigint,
  p_limit    integer DEFAULT 50
)
  RETURNS jsonb
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_before bigint;
begin
  perform rebate.require_role('operations', 'finance');
  if p_limit is null or p_limit < 1 or p_limit > 100 then
    raise exception using errcode = 'P0001', message = 'invalid_limit', hint = '每页数量应在 1 到 100 之间';
  end if;
  select count(*) into v_before from rebate.union_entries e
   where e.status = 'waiting' and e.id <= coalesce(p_after_id, 0);
  return coalesce((
    select jsonb_agg(jsonb_build_object('entry_id', t.id, 'position', v_before + t.rn, 'member_code', m.member_code,
                                        'nickname', m.nickname, 'order_no', o.order_no, 'quota_fen', t.quota_fen,
                                        'received_fen', t.received_fen, 'accelerated_fen', t.accelerated_fen,
                                        'remaining_fen', t.quota_fen - t.received_fen, 'created_at', t.created_at)
                     order by t.id)
      from (select e.*, row_number() over (order by e.id) as rn
              from rebate.union_entries e
             where e.status = 'waiting' and e.id > coalesce(p_after_id, 0)
             order by e.id limit p_limit) t
      join rebate.members m on m.id = t.member_id
      join rebate.orders o on o.id = t.order_id), '[]'::jsonb);
end;
$function$;
comment on function public.console_union_queue(p_after_id bigint, p_limit integer) is '工会队列 (console, operations and finance): waiting entries in queue order, keyset on id, with position, member, quota, received and remaining.';
revoke all on function public.console_union_queue(p_after_id bigint, p_limit integer) from public, anon, authenticated, service_role;
grant execute on function public.console_union_queue(p_after_id bigint, p_limit integer) to authenticated;

-- My union entries (SPEC §13.8), newest first: quota, received (of which acceleration),
-- remaining, and for a waiting entry its position, the remaining quotas ahead of it and the
-- estimated completion date range (null: 无法估计); each acceleration with the referee order
-- (masked) it came from.
CREATE OR REPLACE FUNCTION public.my_union_entries()
  RETURNS TABLE (
    entry_id        bigint,
    order_no        text,
    status          text,
    quota_fen       bigint,
    received_fen    bigint,
    accelerated_fen bigint,
    remaining_fen   bigint,
    queue_position  bigint,
    ahead_fen       bigint,
    est_from        date,
    est_to          date,
    created_at      timestamptz,
    accelerations   jsonb
  )
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_uid uuid := rebate.require_member();
  v_today constant date := rebate.shanghai_day(now());
  v_carry bigint := coalesce((select p.carry_over_fen from rebate.union_payouts p order by p.day desc limit 1), 0);
begin
  return query
    select e.id, o.order_no, e.status, e.quota_fen, e.received_fen, e.accelerated_fen,
           case when e.status = 'waiting' then e.quota_fen - e.received_fen else 0 end,
           a.pos, a.ahead, est.est_from, est.est_to, e.created_at,
           coalesce((select jsonb_agg(jsonb_build_object('order_no', rebate.mask_order_no(so.order_no),
                                                         'amount_fen', x.amount_fen, 'at', x.created_at) order by x.id)
                       from rebate.union_accelerations x join rebate.orders so on so.id = x.order_id
                      where x.entry_id = e.id), '[]'::jsonb)
      from rebate.union_entries e
      join rebate.orders o on o.id = e.order_id
      left join lateral (
        select count(*) + 1 as pos, coalesce(sum(w.quota_fen - w.received_fen), 0)::bigint as ahead
          from rebate.union_entries w
         where e.status = 'waiting' and w.status = 'waiting' and w.id < e.id) a on e.status = 'waiting'
      left join lateral rebate.union_estimate(a.ahead + e.quota_fen - e.received_fen - v_carry, v_today) est
        on e.status = 'waiting'
     where e.member_id = v_uid
     order by e.id desc
     limit 200;
end;
$function$;
comment on function public.my_union_entries() is 'My union entries (SPEC §13.8), newest first (200): quota, received, acceleration, remaining; for a waiting entry its position, the remaining quotas ahead and the estimated completion date range (null: 无法估计); each acceleration with the masked referee order.';
revoke all on function public.my_union_entries() from public, anon, authenticated, service_role;
grant execute on function public.my_union_entries() to authenticated;

-- Which programme the platform runs, for the member pages (SPEC §13).
CREATE OR REPLACE FUNCTION public.programme_info()
  RETURNS TABLE (
    programme_mode  text,
    enabled         boolean,
    paused          boolean,
    union_quota_bps integer,
    payout_time     text
  )
  LANGUAGE sql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
  select s.programme_mode, s.enabled, s.paused, s.union_quota_bps, to_char(s.union_payout_time, 'HH24:MI')
    from rebate.settings s where s.id = 1 and (select auth.uid()) is not null
$function$;
comment on function public.programme_info() is 'Which programme the platform runs (classic | union), with what the union pages show: quota ratio and payout time (SPEC §13).';
revoke all on function public.programme_info() from public, anon, authenticated, service_role;
grant execute on function public.programme_info() to authenticated;

-- The daily payout (SPEC §13.6), run by the clock every minute (rebate.expected_schedules):
-- once the payout time (Asia/Shanghai) of a day has passed, the previous day is paid out, and
-- any earlier day not paid yet first, in order. Idempotent per day: a repeat returns the
-- day's first result (replayed). Nothing in classic mode.
CREATE OR REPLACE FUNCTION public.run_union_payout (
  p_at timestamp with time zone
)
  RETURNS jsonb
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  s rebate.settings;
  v_local timestamp;
  v_due date;
  v_last date;
  d date;
  p rebate.union_payouts;
begin
  if p_at is null or not isfinite(p_at) then
    raise exception using errcode = 'P0001', message = 'invalid_time', hint = '时间无效';
  end if;
  select * into s from rebate.settings x where x.id = 1;
  if s.programme_mode <> 'union' then
    return jsonb_build_object('ran', false, 'programme_mode', s.programme_mode);
  end if;
  v_local := p_at at time zone 'Asia/Shanghai';
  v_due := v_local::date - case when v_local::time >= s.union_payout_time then 1 else 2 end;
  perform pg_advisory_xact_lock(20261216, 1);
  select max(x.day) into v_last from rebate.union_payouts x;
  if v_last is not null and v_last >= v_due then
    select * into p from rebate.union_payouts x where x.day <= v_due order by x.day desc limit 1;
    return jsonb_build_object('ran', true, 'replayed', true) || coalesce(to_jsonb(p), '{}'::jsonb);
  end if;
  d := coalesce(v_last + 1, v_due);
  while d <= v_due loop
    p := rebate.union_payout_day(d, s.paused or not s.enabled);
    d := d + 1;
  end loop;
  return jsonb_build_object('ran', true, 'replayed', false) || to_jsonb(p);
end;
$function$;
comment on function public.run_union_payout(p_at timestamp with time zone) is 'The daily payout (SPEC §13.6), run every minute by the clock: once the payout time (Asia/Shanghai) has passed, the previous day (and any earlier day not paid yet, in order) is paid out. Idempotent per day (replayed). Nothing in classic mode. Service role.';
revoke all on function public.run_union_payout(p_at timestamp with time zone) from public, anon, authenticated, service_role;
grant execute on function public.run_union_payout(p_at timestamp with time zone) to service_role;

-- The union pool of the last 30 days paid out (分红池 page): each day's pool (contributions −
-- acceleration − taken back), what it paid, how many entries exited, the carry-over.
CREATE OR REPLACE FUNCTION public.union_pool_days()
  RETURNS TABLE (
    day            date,
    pool_fen       bigint,
    paid_fen       bigint,
    entries_paid   integer,
    carry_over_fen bigint,
    held           boolean
  )
  LANGUAGE sql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
  select p.day, p.contribution_fen - p.acceleration_fen - p.takeback_fen, p.paid_fen, p.entries_paid, p.carry_over_fen, p.held
    from rebate.union_payouts p
   where p.day >= rebate.shanghai_day(now()) - 30 and (select auth.uid()) is not null
   order by p.day
$function$;
comment on function public.union_pool_days() is 'The union pool of the last 30 days paid out (分红池): each day''s pool, paid, entries exited, carry-over.';
revoke all on function public.union_pool_days() from public, anon, authenticated, service_role;
grant execute on function public.union_pool_days() to authenticated;

-- ============================================================ triggers

CREATE TRIGGER settings_mode_switch
  BEFORE UPDATE OF programme_mode ON rebate.settings
  FOR EACH ROW
  WHEN ((new.programme_mode IS DISTINCT FROM old.programme_mode))
  EXECUTE FUNCTION rebate.settings_mode_switch();

CREATE TRIGGER union_accelerations_append_only
  BEFORE DELETE OR UPDATE ON rebate.union_accelerations
  FOR EACH ROW
  EXECUTE FUNCTION rebate.forbid_change();

CREATE TRIGGER union_payout_items_append_only
  BEFORE DELETE OR UPDATE ON rebate.union_payout_items
  FOR EACH ROW
  EXECUTE FUNCTION rebate.forbid_change();

CREATE TRIGGER union_payouts_append_only
  BEFORE DELETE OR UPDATE ON rebate.union_payouts
  FOR EACH ROW
  EXECUTE FUNCTION rebate.forbid_change();

CREATE TRIGGER union_takebacks_append_only
  BEFORE DELETE OR UPDATE ON rebate.union_takebacks
  FOR EACH ROW
  EXECUTE FUNCTION rebate.forbid_change();

-- ============================================================ policies

CREATE POLICY "Members can read their own union entries" ON "rebate"."union_entries"
  FOR SELECT
  TO "authenticated"
  USING ((member_id = ( SELECT auth.uid() AS uid)));

-- ============================================================ grants

GRANT SELECT ON TABLE "rebate"."union_entries" TO "service_role";

GRANT SELECT ON TABLE "rebate"."union_lines" TO "service_role";

GRANT SELECT ON TABLE "rebate"."union_accelerations" TO "service_role";

GRANT SELECT ON TABLE "rebate"."union_payouts" TO "service_role";

GRANT SELECT ON TABLE "rebate"."union_payout_items" TO "service_role";

GRANT SELECT ON TABLE "rebate"."union_takebacks" TO "service_role";

-- ============================================================ data
insert into rebate.ledger_reasons (code, label) values
  ('union_acceleration', '推广加速'),
  ('union_dividend', '工会分红')
on conflict (code) do nothing;
