-- Withdrawals (提现) of cash rebate and commission
-- SPEC §16.
-- The source of truth (docs/database.md): edit here, then `npm run db:diff -- <name>` writes the migration.

-- ============================================================ types

-- A withdrawal as the member's API returns it (request_withdrawal, my_withdrawals), with its
-- Chinese status label (审核中 / 已打款 / 已驳回) and, when rejected, the reason.
create type public.withdrawal_details as (
  withdrawal_id bigint,
  asset         text,        -- cash | commission
  amount_fen    bigint,
  fee_bps       integer,
  fee_fen       bigint,
  net_fen       bigint,
  status        text,        -- pending | approved | rejected
  status_label  text,
  payout_ref    text,
  reject_reason text,
  requested_at  timestamptz,
  decided_at    timestamptz
);
comment on type public.withdrawal_details is 'A withdrawal as the member''s API returns it (request_withdrawal, my_withdrawals), with its Chinese status label.';

-- The withdrawal rules and my room today (my_withdrawal_info).
create type public.withdrawal_info as (
  min_fen        bigint,
  fee_bps        integer,
  daily_limit    integer,
  today_count    integer,
  pending_fen    bigint,
  cash_fen       bigint,
  commission_fen bigint
);
comment on type public.withdrawal_info is 'The withdrawal rules and my room today (my_withdrawal_info).';

-- ============================================================ tables

CREATE TABLE "rebate"."withdrawals" (
  "id"               bigint                   GENERATED ALWAYS AS IDENTITY NOT NULL,
  "member_id"        uuid                     NOT NULL,
  "asset"            text                     NOT NULL,
  "amount_fen"       bigint                   NOT NULL,  -- held from the balance
  "fee_bps"          integer                  NOT NULL,
  "fee_fen"          bigint                   NOT NULL,
  "net_fen"          bigint                   NOT NULL,  -- paid out on approval
  "status"           text                     NOT NULL DEFAULT 'pending'::text,
  "local_day"        date                     NOT NULL,  -- Asia/Shanghai day of the request
  "hold_ledger_id"   bigint                   NOT NULL,
  "return_ledger_id" bigint,
  "payout_ref"       text,
  "reject_reason"    text,
  "requested_at"     timestamp with time zone NOT NULL DEFAULT now(),
  "decided_at"       timestamp with time zone,
  "decided_by"       uuid,
  CONSTRAINT "withdrawals_amount_fen_check" CHECK (((amount_fen >= 1) AND (amount_fen <= 100000000))),
  CONSTRAINT "withdrawals_amounts" CHECK (((fee_fen + net_fen) = amount_fen)),
  CONSTRAINT "withdrawals_asset_check" CHECK ((asset = ANY (ARRAY['cash'::text, 'commission'::text]))),
  CONSTRAINT "withdrawals_decided_by_fkey" FOREIGN KEY (decided_by) REFERENCES rebate.members(id),
  CONSTRAINT "withdrawals_decision" CHECK (
CASE status
    WHEN 'pending'::text THEN ((decided_at IS NULL) AND (payout_ref IS NULL) AND (return_ledger_id IS NULL) AND (reject_reason IS NULL))
    WHEN 'approved'::text THEN ((decided_at IS NOT NULL) AND (payout_ref IS NOT NULL) AND (return_ledger_id IS NULL) AND (reject_reason IS NULL))
    WHEN 'rejected'::text THEN ((decided_at IS NOT NULL) AND (payout_ref IS NULL) AND (return_ledger_id IS NOT NULL) AND (reject_reason IS NOT NULL))
    ELSE NULL::boolean
END),
  CONSTRAINT "withdrawals_fee_bps_check" CHECK (((fee_bps >= 0) AND (fee_bps <= 5000))),
  CONSTRAINT "withdrawals_fee_fen_check" CHECK ((fee_fen >= 0)),
  CONSTRAINT "withdrawals_hold_ledger_id_key" UNIQUE (hold_ledger_id),
  CONSTRAINT "withdrawals_member_id_fkey" FOREIGN KEY (member_id) REFERENCES rebate.members(id),
  CONSTRAINT "withdrawals_net_fen_check" CHECK ((net_fen >= 1)),
  CONSTRAINT "withdrawals_payout_ref_check" CHECK (((payout_ref IS NULL) OR (payout_ref ~ '^[A-Za-z0-9_.:|-]{1,64}$'::text))),
  CONSTRAINT "withdrawals_payout_ref_key" UNIQUE (payout_ref),
  CONSTRAINT "withdrawals_pkey" PRIMARY KEY (id),
  CONSTRAINT "withdrawals_reject_reason_check" CHECK (((reject_reason IS NULL) OR ((char_length(reject_reason) >= 1) AND (char_length(reject_reason) <= 200)))),
  CONSTRAINT "withdrawals_return_ledger_id_key" UNIQUE (return_ledger_id),
  CONSTRAINT "withdrawals_status_check" CHECK ((status = ANY (ARRAY['pending'::text, 'approved'::text, 'rejected'::text])))
);

ALTER TABLE "rebate"."withdrawals"
  ENABLE ROW LEVEL SECURITY;

CREATE INDEX withdrawals_member_day_idx ON rebate.withdrawals USING btree (member_id, local_day);

CREATE INDEX withdrawals_member_idx ON rebate.withdrawals USING btree (member_id, id);

CREATE INDEX withdrawals_status_idx ON rebate.withdrawals USING btree (status, id);

-- the foreign key's index (deleting or re-keying the referenced row, and lookups by it)
CREATE INDEX withdrawals_decided_by_idx ON rebate.withdrawals USING btree (decided_by) WHERE (decided_by IS NOT NULL);

-- ============================================================ functions

CREATE OR REPLACE FUNCTION rebate.withdrawal_row (
  w rebate.withdrawals
)
  RETURNS public.withdrawal_details
  LANGUAGE sql
  STABLE
  SET search_path TO ''
  AS $function$
  select row(w.id, w.asset, w.amount_fen, w.fee_bps, w.fee_fen, w.net_fen, w.status,
             case w.status when 'pending' then '审核中' when 'approved' then '已打款' else '已驳回' end,
             w.payout_ref, w.reject_reason, w.requested_at, w.decided_at)::public.withdrawal_details
$function$;
comment on function rebate.withdrawal_row(w rebate.withdrawals) is 'A withdrawal as the member''s API returns it (public.withdrawal_details).';
revoke all on function rebate.withdrawal_row(w rebate.withdrawals) from public, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION rebate.withdrawal_json (
  w rebate.withdrawals
)
  RETURNS jsonb
  LANGUAGE sql
  STABLE
  SET search_path TO ''
  AS $function$
  select to_jsonb(rebate.withdrawal_row(w))
$function$;
comment on function rebate.withdrawal_json(w rebate.withdrawals) is 'A withdrawal as the API returns it, with its Chinese status label.';
revoke all on function rebate.withdrawal_json(w rebate.withdrawals) from public, anon, authenticated, service_role;

-- Approves a pending withdrawal: the money went out, p_payout_ref is the transfer's reference
-- (unique). Approving again with the same reference returns the first result (replayed).
CREATE OR REPLACE FUNCTION public.admin_approve_withdrawal (
  p_withdrawal_id bigint,
  p_payout_ref    text
)
  RETURNS jsonb
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_admin uuid := rebate.require_role('finance');
  w rebate.withdrawals;
begin
  if p_payout_ref is null or p_payout_ref !~ '^[A-Za-z0-9_.:|-]{1,64}$' then
    raise exception using errcode = 'P0001', message = 'invalid_payout_ref', hint = '打款单号无效';
  end if;
  select * into w from rebate.withdrawals x where x.id = p_withdrawal_id for update;
  if not found then
    raise exception using errcode = 'P0001', message = 'withdrawal_not_found', hint = '提现申请不存在';
  end if;
  if w.status = 'approved' and w.payout_ref = p_payout_ref then
    return rebate.withdrawal_json(w) || jsonb_build_object('replayed', true);
  end if;
  if w.status <> 'pending' then
    raise exception using errcode = 'P0001', message = 'withdrawal_not_pending', hint = '该提现申请已处理';
  end if;
  begin
    update rebate.withdrawals x set status = 'approved', payout_ref = p_payout_ref, decided_at = now(),
           decided_by = v_admin
     where x.id = w.id
     returning * into w;
  exception when unique_violation then
    raise exception using errcode = 'P0001', message = 'payout_ref_conflict', hint = '打款单号已被其他提现使用';
  end;
  insert into rebate.messages (member_id, kind, title, body, amount_fen)
  values (w.member_id, 'withdrawal_approved', '提现已打款',
          '提现' || rebate.fen_text(w.amount_fen) || '已打款' || rebate.fen_text(w.net_fen)
            || case when w.fee_fen > 0 then '（手续费' || rebate.fen_text(w.fee_fen) || '）' else '' end,
          w.net_fen);
  perform rebate.audit('withdrawal.approve', 'withdrawal', w.id::text, jsonb_build_object('status', 'pending'),
                       jsonb_build_object('status', w.status, 'payout_ref', w.payout_ref, 'net_fen', w.net_fen), null);
  return rebate.withdrawal_json(w) || jsonb_build_object('replayed', false);
end;
$function$;
comment on function public.admin_approve_withdrawal(p_withdrawal_id bigint, p_payout_ref text) is 'Approves a pending withdrawal: the money went out, p_payout_ref is the transfer''s reference (unique). Approving again with the same reference returns the first result (replayed).';
revoke all on function public.admin_approve_withdrawal(p_withdrawal_id bigint, p_payout_ref text) from public, anon, authenticated, service_role;
grant execute on function public.admin_approve_withdrawal(p_withdrawal_id bigint, p_payout_ref text) to authenticated;

CREATE OR REPLACE FUNCTION public.admin_list_withdrawals (
  p_status    text    DEFAULT 'pending'::text,
  p_before_id bigint  DEFAULT NULL::bigint,
  p_limit     integer DEFAULT 20
)
  RETURNS jsonb
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
begin
  perform rebate.require_role('operations', 'finance');
  if p_status is not null and p_status not in ('pending', 'approved', 'rejected') then
    raise exception using errcode = 'P0001', message = 'invalid_status', hint = '状态无效';
  end if;
  if p_limit is null or p_limit not between 1 and 100 then
    raise exception using errcode = 'P0001', message = 'invalid_limit', hint = '每页数量应在 1 到 100 之间';
  end if;
  return coalesce((select jsonb_agg(rebate.withdrawal_json(w)
                                    || jsonb_build_object('member_id', w.member_id, 'member_code', m.member_code,
                                                          'nickname', m.nickname)
                                    order by w.id desc)
                     from (select * from rebate.withdrawals x
                            where (p_status is null or x.status = p_status) and (p_before_id is null or x.id < p_before_id)
                            order by x.id desc limit p_limit) w
                     join rebate.members m on m.id = w.member_id), '[]'::jsonb);
end;
$function$;
comment on function public.admin_list_withdrawals(p_status text, p_before_id bigint, p_limit integer) is 'Administrator: withdrawals by status, newest first (keyset on id), with the member.';
revoke all on function public.admin_list_withdrawals(p_status text, p_before_id bigint, p_limit integer) from public, anon, authenticated, service_role;
grant execute on function public.admin_list_withdrawals(p_status text, p_before_id bigint, p_limit integer) to authenticated;

-- Rejects a pending withdrawal with a reason; the held amount returns to the balance.
CREATE OR REPLACE FUNCTION public.admin_reject_withdrawal (
  p_withdrawal_id bigint,
  p_reason        text
)
  RETURNS jsonb
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_admin uuid := rebate.require_role('finance');
  v_reason text := btrim(coalesce(p_reason, ''));
  w rebate.withdrawals;
begin
  if char_length(v_reason) not between 1 and 200 then
    raise exception using errcode = 'P0001', message = 'invalid_reason', hint = '请填写驳回原因（1 到 200 个字）';
  end if;
  select * into w from rebate.withdrawals x where x.id = p_withdrawal_id for update;
  if not found then
    raise exception using errcode = 'P0001', message = 'withdrawal_not_found', hint = '提现申请不存在';
  end if;
  if w.status <> 'pending' then
    raise exception using errcode = 'P0001', message = 'withdrawal_not_pending', hint = '该提现申请已处理';
  end if;
  update rebate.withdrawals x set status = 'rejected', reject_reason = v_reason, decided_at = now(), decided_by = v_admin,
         return_ledger_id = (rebate.post_ledger(w.member_id, w.asset, w.amount_fen, 'withdrawal_return')).id
   where x.id = w.id
   returning * into w;
  insert into rebate.messages (member_id, kind, title, body, amount_fen)
  values (w.member_id, 'withdrawal_rejected', '提现未通过',
          left('提现' || rebate.fen_text(w.amount_fen) || '未通过，已退回余额：' || v_reason, 200), w.amount_fen);
  perform rebate.audit('withdrawal.reject', 'withdrawal', w.id::text, jsonb_build_object('status', 'pending'),
                       jsonb_build_object('status', w.status, 'returned_fen', w.amount_fen), v_reason);
  return rebate.withdrawal_json(w);
end;
$function$;
comment on function public.admin_reject_withdrawal(p_withdrawal_id bigint, p_reason text) is 'Rejects a pending withdrawal with a reason; the held amount returns to the balance.';
revoke all on function public.admin_reject_withdrawal(p_withdrawal_id bigint, p_reason text) from public, anon, authenticated, service_role;
grant execute on function public.admin_reject_withdrawal(p_withdrawal_id bigint, p_reason text) to authenticated;

-- The withdrawal rules and my room today (the wallet page).
CREATE OR REPLACE FUNCTION public.my_withdrawal_info()
  RETURNS public.withdrawal_info
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_uid uuid := rebate.require_member();
  s rebate.settings;
  r public.withdrawal_info;
begin
  select * into s from rebate.settings x where x.id = 1;
  r.min_fen := s.withdraw_min_fen;
  r.fee_bps := s.withdraw_fee_bps;
  r.daily_limit := s.withdraw_daily_limit;
  select count(*) into r.today_count from rebate.withdrawals w
   where w.member_id = v_uid and w.local_day = (now() at time zone 'Asia/Shanghai')::date;
  select coalesce(sum(w.amount_fen), 0) into r.pending_fen from rebate.withdrawals w
   where w.member_id = v_uid and w.status = 'pending';
  select coalesce(w.cash_fen, 0), coalesce(w.commission_fen, 0) into r.cash_fen, r.commission_fen
    from rebate.wallets w where w.member_id = v_uid;
  r.cash_fen := coalesce(r.cash_fen, 0);
  r.commission_fen := coalesce(r.commission_fen, 0);
  return r;
end;
$function$;
comment on function public.my_withdrawal_info() is 'The withdrawal rules and my room today (the wallet page).';
revoke all on function public.my_withdrawal_info() from public, anon, authenticated, service_role;
grant execute on function public.my_withdrawal_info() to authenticated;

CREATE OR REPLACE FUNCTION public.my_withdrawals (
  p_before_id bigint  DEFAULT NULL::bigint,
  p_limit     integer DEFAULT 20
)
  RETURNS SETOF public.withdrawal_details
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_uid uuid := rebate.require_member();
begin
  if p_limit is null or p_limit not between 1 and 100 then
    raise exception using errcode = 'P0001', message = 'invalid_limit', hint = '每页数量应在 1 到 100 之间';
  end if;
  return query
    select (rebate.withdrawal_row(x)).*
      from rebate.withdrawals x
     where x.member_id = v_uid and (p_before_id is null or x.id < p_before_id)
     order by x.id desc
     limit p_limit;
end;
$function$;
comment on function public.my_withdrawals(p_before_id bigint, p_limit integer) is 'My withdrawals, newest first (keyset on id).';
revoke all on function public.my_withdrawals(p_before_id bigint, p_limit integer) from public, anon, authenticated, service_role;
grant execute on function public.my_withdrawals(p_before_id bigint, p_limit integer) to authenticated;

-- Requests a withdrawal of p_amount_fen from my cash rebate ('cash') or commission ('commission').
-- Serialised per member by the wallet row lock: the daily count and the balance are read under it.
CREATE OR REPLACE FUNCTION public.request_withdrawal (
  p_asset      text,
  p_amount_fen bigint
)
  RETURNS public.withdrawal_details
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_uid uuid := rebate.require_member();
  s rebate.settings;
  v_day date := (now() at time zone 'Asia/Shanghai')::date;
  v_count integer;
  v_fee bigint;
  w rebate.withdrawals;
begin
  if p_asset is null or p_asset not in ('cash', 'commission') then
    raise exception using errcode = 'P0001', message = 'invalid_asset', hint = '只能提现返现余额或佣金';
  end if;
  if p_amount_fen is null or p_amount_fen < 1 then
    raise exception using errcode = 'P0001', message = 'invalid_amount', hint = '请输入有效的金额';
  end if;
  if p_amount_fen > 100000000 then
    raise exception using errcode = 'P0001', message = 'amount_too_large', hint = '金额超出上限';
  end if;
  select * into s from rebate.settings x where x.id = 1;
  if p_amount_fen < s.withdraw_min_fen then
    raise exception using errcode = 'P0001', message = 'withdraw_below_minimum',
      hint = '最低提现金额为' || rebate.fen_text(s.withdraw_min_fen);
  end if;
  v_fee := rebate.bps_of(p_amount_fen, s.withdraw_fee_bps);
  if p_amount_fen - v_fee < 1 then
    raise exception using errcode = 'P0001', message = 'withdraw_below_minimum', hint = '扣除手续费后金额不足';
  end if;

  perform 1 from rebate.wallets x where x.member_id = v_uid for update;
  select count(*) into v_count from rebate.withdrawals x where x.member_id = v_uid and x.local_day = v_day;
  if v_count >= s.withdraw_daily_limit then
    raise exception using errcode = 'P0001', message = 'withdraw_daily_limit',
      hint = '今日提现次数已达上限（' || s.withdraw_daily_limit || '次）';
  end if;
  -- raises insufficient_cash / insufficient_commission (余额不足)
  insert into rebate.withdrawals (member_id, asset, amount_fen, fee_bps, fee_fen, net_fen, local_day, hold_ledger_id)
  values (v_uid, p_asset, p_amount_fen, s.withdraw_fee_bps, v_fee, p_amount_fen - v_fee, v_day,
          (rebate.post_ledger(v_uid, p_asset, -p_amount_fen, 'withdrawal')).id)
  returning * into w;
  return rebate.withdrawal_row(w);
end;
$function$;
comment on function public.request_withdrawal(p_asset text, p_amount_fen bigint) is 'Requests a withdrawal of p_amount_fen from my cash rebate (''cash'') or commission (''commission''). Serialised per member by the wallet row lock: the daily count and the balance are read under it.';
revoke all on function public.request_withdrawal(p_asset text, p_amount_fen bigint) from public, anon, authenticated, service_role;
grant execute on function public.request_withdrawal(p_asset text, p_amount_fen bigint) to authenticated;

-- ============================================================ policies

CREATE POLICY "Members can read their own withdrawals" ON "rebate"."withdrawals"
  FOR SELECT
  TO "authenticated"
  USING ((member_id = ( SELECT auth.uid() AS uid)));

-- ============================================================ grants

GRANT SELECT ON TABLE "rebate"."withdrawals" TO "service_role";
