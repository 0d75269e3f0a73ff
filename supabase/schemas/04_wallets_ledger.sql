-- Wallets and the ledger: balances of cash rebate, commission, points and love value; every change is one ledger row
-- SPEC §2, §9.
-- The source of truth (docs/database.md): edit here, then `npm run db:diff -- <name>` writes the migration.

-- ============================================================ tables

-- Hot tables (wallets, ledger, messages here; queues, orders, lines, entries in the engine)
-- hold their row invariants in ONE check constraint that calls a plpgsql function on the
-- whole row: PostgreSQL re-parses every CHECK expression for each INSERT/UPDATE statement,
-- and on the settlement path a dozen plain CHECKs cost more than the statement itself; one
-- function call is about twenty times cheaper. Each function raises check_violation
-- (23514) naming the broken invariant. Cold tables keep plain CHECK constraints.
CREATE TABLE "rebate"."wallets" (
  "member_id"       uuid                     NOT NULL,
  "cash_fen"        bigint                   NOT NULL DEFAULT 0,  -- 可提现余额 / 返现
  "commission_fen"  bigint                   NOT NULL DEFAULT 0,  -- 佣金
  "points"          bigint                   NOT NULL DEFAULT 0,  -- 积分
  "love_fen"        bigint                   NOT NULL DEFAULT 0,  -- 爱心值 (available)
  "love_frozen_fen" bigint                   NOT NULL DEFAULT 0,  -- 爱心值 (frozen)
  "updated_at"      timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT "wallets_member_id_fkey" FOREIGN KEY (member_id) REFERENCES rebate.members(id),
  CONSTRAINT "wallets_pkey" PRIMARY KEY (member_id)
);

ALTER TABLE "rebate"."wallets"
  ENABLE ROW LEVEL SECURITY;

ALTER TABLE "rebate"."wallets"
  SET (fillfactor=80);

CREATE TABLE "rebate"."ledger" (
  "id"              bigint                   GENERATED ALWAYS AS IDENTITY NOT NULL,
  "member_id"       uuid                     NOT NULL,
  "asset"           text                     NOT NULL,  -- cash | commission | points | love | love_frozen
  "delta"           bigint                   NOT NULL,
  "balance_before"  bigint                   NOT NULL,
  "balance_after"   bigint                   NOT NULL,
  "reason"          text                     NOT NULL,  -- a rebate.ledger_reasons code (reconcile() checks it)
  "order_id"        bigint,
  "entry_id"        bigint,
  "distribution_id" bigint,
  "refund_id"       bigint,
  "created_at"      timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT "ledger_pkey" PRIMARY KEY (id),
  CONSTRAINT "ledger_member_id_fkey" FOREIGN KEY (member_id) REFERENCES rebate.wallets(member_id)
);

ALTER TABLE "rebate"."ledger"
  ENABLE ROW LEVEL SECURITY;

CREATE INDEX ledger_member_idx ON rebate.ledger USING btree (member_id, id);

-- Why a balance changed. Later issues add their reasons here.
CREATE TABLE "rebate"."ledger_reasons" (
  "code"  text NOT NULL,
  "label" text NOT NULL,
  CONSTRAINT "ledger_reasons_code_check" CHECK ((code ~ '^[a-z][a-z0-9_]{1,39}$'::text)),
  CONSTRAINT "ledger_reasons_pkey" PRIMARY KEY (code)
);

ALTER TABLE "rebate"."ledger_reasons"
  ENABLE ROW LEVEL SECURITY;

-- ============================================================ functions

CREATE OR REPLACE FUNCTION rebate.ledger_ok (
  r rebate.ledger
)
  RETURNS boolean
  LANGUAGE plpgsql
  IMMUTABLE
  AS $function$
declare
  -- the first rule the row breaks, if any
  v_broken constant text := case
      when r.asset not in ('cash', 'commission', 'points', 'love', 'love_frozen')
        then 'ledger_asset'
      when r.delta = 0 or r.balance_before < 0 or r.balance_after < 0
        then 'ledger_amounts'
      when r.balance_before + r.delta <> r.balance_after
        then 'ledger_balance'
    end;
begin
  if v_broken is not null then
    return rebate.invariant_failed(v_broken);
  end if;
  return true;
end;
$function$;
comment on function rebate.ledger_ok(r rebate.ledger) is 'Row invariants of a ledger row (one CHECK): asset and reason known, delta non-zero, balance after = before + delta, never negative.';
revoke all on function rebate.ledger_ok(r rebate.ledger) from public, anon, authenticated, service_role;

-- Every member has a wallet from the start.
CREATE OR REPLACE FUNCTION rebate.members_after_insert()
  RETURNS TRIGGER
  LANGUAGE plpgsql
  SET search_path TO ''
  AS $function$
begin
  insert into rebate.wallets (member_id) values (new.id) on conflict do nothing;
  return null;
end;
$function$;
comment on function rebate.members_after_insert() is 'Every member has a wallet from the start.';
revoke all on function rebate.members_after_insert() from public, anon, authenticated, service_role;

-- The one way a balance changes (SPEC §2, §9): every credit and debit of cash rebate,
-- commission, points, love value and frozen love value — rebates at settlement, commissions,
-- refunds and clawbacks, withdrawals and their returns, transfers, exchanges, deductions —
-- is one call here: the wallet's balance and its append-only ledger row (balance before and
-- after) in one statement. A debit larger than the balance raises insufficient_<asset>
-- (the balance is never negative). The caller locks wallets in member order first when it
-- touches several. Returns the ledger row (null for a zero delta, which writes nothing).
CREATE OR REPLACE FUNCTION rebate.post_ledger (
  p_member_id       uuid,
  p_asset           text,
  p_delta           bigint,
  p_reason          text,
  p_order_id        bigint DEFAULT NULL::bigint,
  p_entry_id        bigint DEFAULT NULL::bigint,
  p_distribution_id bigint DEFAULT NULL::bigint,
  p_refund_id       bigint DEFAULT NULL::bigint
)
  RETURNS rebate.ledger
  LANGUAGE plpgsql
  SET search_path TO ''
  AS $function$
declare
  v_row rebate.ledger;
begin
  if p_delta = 0 then
    return null;
  end if;
  -- one statement: the balance change and its ledger row
  with w as (
    update rebate.wallets w set
      cash_fen        = w.cash_fen        + case when p_asset = 'cash'        then p_delta else 0 end,
      commission_fen  = w.commission_fen  + case when p_asset = 'commission'  then p_delta else 0 end,
      points          = w.points          + case when p_asset = 'points'      then p_delta else 0 end,
      love_fen        = w.love_fen        + case when p_asset = 'love'        then p_delta else 0 end,
      love_frozen_fen = w.love_frozen_fen + case when p_asset = 'love_frozen' then p_delta else 0 end,
      updated_at = now()
     where w.member_id = p_member_id
       and (p_delta > 0 or case p_asset when 'cash' then w.cash_fen when 'commission' then w.commission_fen
                                        when 'points' then w.points when 'love' then w.love_fen
                                        else w.love_frozen_fen end + p_delta >= 0)
     returning case p_asset when 'cash' then w.cash_fen when 'commission' then w.commission_fen
                            when 'points' then w.points when 'love' then w.love_fen
                            else w.love_frozen_fen end as balance_after
  )
  insert into rebate.ledger (member_id, asset, delta, balance_before, balance_after, reason,
                             order_id, entry_id, distribution_id, refund_id)
  select p_member_id, p_asset, p_delta, w.balance_after - p_delta, w.balance_after, p_reason,
         p_order_id, p_entry_id, p_distribution_id, p_refund_id
    from w
  returning * into v_row;
  if v_row.id is null then
    if not exists (select 1 from rebate.wallets w where w.member_id = p_member_id) then
      raise exception using errcode = 'P0001', message = 'wallet_not_found', hint = '钱包不存在';
    end if;
    raise exception using errcode = 'P0001', message = 'insufficient_' || p_asset,
      hint = case p_asset when 'points' then '积分不足' when 'love' then '爱心值不足' else '余额不足' end;
  end if;
  return v_row;
end;
$function$;
comment on function rebate.post_ledger(p_member_id uuid, p_asset text, p_delta bigint, p_reason text, p_order_id bigint, p_entry_id bigint, p_distribution_id bigint, p_refund_id bigint) is 'The one way a balance changes: the wallet and its append-only ledger row in one statement; a debit beyond the balance raises insufficient_<asset>. Returns the ledger row.';
revoke all on function rebate.post_ledger(p_member_id uuid, p_asset text, p_delta bigint, p_reason text, p_order_id bigint, p_entry_id bigint, p_distribution_id bigint, p_refund_id bigint) from public, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION rebate.wallet_ok (
  r rebate.wallets
)
  RETURNS boolean
  LANGUAGE plpgsql
  IMMUTABLE
  AS $function$
declare
  -- the first rule the row breaks, if any
  v_broken constant text := case
      when r.cash_fen < 0 or r.commission_fen < 0 or r.points < 0 or r.love_fen < 0 or r.love_frozen_fen < 0
        then 'wallets_non_negative'
    end;
begin
  if v_broken is not null then
    return rebate.invariant_failed(v_broken);
  end if;
  return true;
end;
$function$;
comment on function rebate.wallet_ok(r rebate.wallets) is 'Row invariants of a wallet (one CHECK): no balance is negative.';
revoke all on function rebate.wallet_ok(r rebate.wallets) from public, anon, authenticated, service_role;

-- The signed-in member's ledger, newest first; page with p_before_id (the last id seen).
CREATE OR REPLACE FUNCTION public.my_ledger (
  p_asset     text    DEFAULT NULL::text,
  p_before_id bigint  DEFAULT NULL::bigint,
  p_limit     integer DEFAULT 20
)
  RETURNS TABLE (
    id             bigint,
    asset          text,
    delta          bigint,
    balance_before bigint,
    balance_after  bigint,
    reason         text,
    reason_label   text,
    order_id       bigint,
    entry_id       bigint,
    created_at     timestamp with time zone
  )
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_uid uuid := rebate.require_member();
begin
  if p_asset is not null and p_asset not in ('cash', 'commission', 'points', 'love', 'love_frozen') then
    raise exception using errcode = 'P0001', message = 'invalid_asset', hint = '账户类型无效';
  end if;
  if p_limit is null or p_limit not between 1 and 100 then
    raise exception using errcode = 'P0001', message = 'invalid_limit', hint = '每页数量应在 1 到 100 之间';
  end if;
  return query
    select l.id, l.asset, l.delta, l.balance_before, l.balance_after, l.reason, r.label,
           l.order_id, l.entry_id, l.created_at
      from rebate.ledger l
      join rebate.ledger_reasons r on r.code = l.reason
     where l.member_id = v_uid
       and (p_asset is null or l.asset = p_asset)
       and (p_before_id is null or l.id < p_before_id)
     order by l.id desc
     limit p_limit;
end;
$function$;
comment on function public.my_ledger(p_asset text, p_before_id bigint, p_limit integer) is 'The signed-in member''s ledger, newest first; page with p_before_id (the last id seen).';
revoke all on function public.my_ledger(p_asset text, p_before_id bigint, p_limit integer) from public, anon, authenticated, service_role;
grant execute on function public.my_ledger(p_asset text, p_before_id bigint, p_limit integer) to authenticated;

-- The signed-in member's balances.
CREATE OR REPLACE FUNCTION public.my_wallet()
  RETURNS TABLE (
    cash_fen        bigint,
    commission_fen  bigint,
    points          bigint,
    love_fen        bigint,
    love_frozen_fen bigint
  )
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_uid uuid := rebate.require_member();
begin
  return query
    select w.cash_fen, w.commission_fen, w.points, w.love_fen, w.love_frozen_fen
      from rebate.wallets w where w.member_id = v_uid;
end;
$function$;
comment on function public.my_wallet() is 'The signed-in member''s balances.';
revoke all on function public.my_wallet() from public, anon, authenticated, service_role;
grant execute on function public.my_wallet() to authenticated;

-- ============================================================ triggers

CREATE TRIGGER ledger_append_only
  BEFORE DELETE OR UPDATE ON rebate.ledger
  FOR EACH ROW
  EXECUTE FUNCTION rebate.forbid_change();

CREATE TRIGGER ledger_no_truncate
  BEFORE TRUNCATE ON rebate.ledger
  FOR EACH STATEMENT
  EXECUTE FUNCTION rebate.forbid_change();

CREATE TRIGGER members_create_wallet
  AFTER INSERT ON rebate.members
  FOR EACH ROW
  EXECUTE FUNCTION rebate.members_after_insert();

-- ============================================================ constraints

ALTER TABLE "rebate"."wallets"
  ADD CONSTRAINT "wallets_invariants" CHECK (rebate.wallet_ok(wallets.*));

ALTER TABLE "rebate"."ledger"
  ADD CONSTRAINT "ledger_invariants" CHECK (rebate.ledger_ok(ledger.*));

-- ============================================================ policies

CREATE POLICY "Members can read their own wallet" ON "rebate"."wallets"
  FOR SELECT
  TO "authenticated"
  USING ((member_id = ( SELECT auth.uid() AS uid)));

CREATE POLICY "Members can read their own ledger" ON "rebate"."ledger"
  FOR SELECT
  TO "authenticated"
  USING ((member_id = ( SELECT auth.uid() AS uid)));

CREATE POLICY "Signed-in members can read ledger reasons" ON "rebate"."ledger_reasons"
  FOR SELECT
  TO "authenticated"
  USING (true);

-- ============================================================ grants

GRANT SELECT ON TABLE "rebate"."wallets" TO "service_role";

GRANT SELECT ON TABLE "rebate"."ledger" TO "service_role";

GRANT SELECT ON TABLE "rebate"."ledger_reasons" TO "service_role";

-- ============================================================ data
insert into rebate.ledger_reasons (code, label) values
  ('queue_rebate', '排队返利'),
  ('order_deduction', '订单抵扣'),
  ('order_cancel_return', '订单取消退回'),
  ('order_refund_return', '订单退款退回'),
  ('admin_adjustment', '后台调整'),
  ('entry_exchange', '排队名额兑换'),
  ('points_transfer_out', '积分转赠（转出）'),
  ('points_transfer_in', '积分转赠（转入）'),
  ('random_return_points', '随机返积分'),
  ('refund_points_back', '退款扣回积分'),
  ('refund_love_back', '退款扣回爱心值'),
  ('commission_direct', '直推奖励'),
  ('commission_indirect', '间推奖励'),
  ('commission_level_diff', '级差奖励'),
  ('commission_merchant_recruit', '招商奖励'),
  ('commission_dividend', '股东分红'),
  ('commission_reversal', '佣金退回'),
  ('withdrawal', '提现'),
  ('withdrawal_return', '提现驳回退回'),
  ('withdrawal_transfer_return', '提现打款退回')
on conflict (code) do nothing;
