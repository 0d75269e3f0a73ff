-- Withdrawals (提现) of cash rebate and commission
-- SPEC §16.
-- The source of truth (docs/database.md): edit here, then `npm run db:diff -- <name>` writes the migration.

-- ============================================================ types

-- A withdrawal as the member's API returns it (request_withdrawal, my_withdrawals), with its
-- Chinese status label (审核中 / 打款中 / 待确认收款 / 已打款 / 已驳回 / 已退回) and, when rejected or
-- returned, the reason. While a merchant transfer waits for the member (待确认收款) it carries
-- what wx.requestMerchantTransfer takes: mch_id, app_id and package_info.
create type public.withdrawal_details as (
  withdrawal_id bigint,
  asset         text,        -- cash | commission
  amount_fen    bigint,
  fee_bps       integer,
  fee_fen       bigint,
  net_fen       bigint,
  status        text,        -- pending | paying | approved | rejected | returned
  status_label  text,
  payout_ref    text,
  reject_reason text,
  requested_at  timestamptz,
  decided_at    timestamptz,
  app_id        text,        -- while WAIT_USER_CONFIRM / TRANSFERING, what wx.requestMerchantTransfer takes
  mch_id        text,
  package_info  text,
  transfer_state text        -- the merchant transfer's WeChat state (null: none)
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
  "status"           text                     NOT NULL DEFAULT 'pending'::text,  -- pending | paying (merchant transfer under way) | approved (paid) | rejected | returned (transfer failed or cancelled)
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
    WHEN 'paying'::text THEN ((decided_at IS NOT NULL) AND (payout_ref IS NOT NULL) AND (return_ledger_id IS NULL) AND (reject_reason IS NULL))
    WHEN 'rejected'::text THEN ((decided_at IS NOT NULL) AND (payout_ref IS NULL) AND (return_ledger_id IS NOT NULL) AND (reject_reason IS NOT NULL))
    WHEN 'returned'::text THEN ((decided_at IS NOT NULL) AND (payout_ref IS NOT NULL) AND (return_ledger_id IS NOT NULL) AND (reject_reason IS NOT NULL))
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
  CONSTRAINT "withdrawals_status_check" CHECK ((status = ANY (ARRAY['pending'::text, 'paying'::text, 'approved'::text, 'rejected'::text, 'returned'::text])))
);

ALTER TABLE "rebate"."withdrawals"
  ENABLE ROW LEVEL SECURITY;

CREATE INDEX withdrawals_member_day_idx ON rebate.withdrawals USING btree (member_id, local_day);

CREATE INDEX withdrawals_member_idx ON rebate.withdrawals USING btree (member_id, id);

CREATE INDEX withdrawals_status_idx ON rebate.withdrawals USING btree (status, id);

-- the foreign key's index (deleting or re-keying the referenced row, and lookups by it)
CREATE INDEX withdrawals_decided_by_idx ON rebate.withdrawals USING btree (decided_by) WHERE (decided_by IS NOT NULL);

-- A withdrawal paid by WeChat Pay merchant transfer (商家转账, WECHAT-NOTES.md §6): one per
-- withdrawal, created on approval BEFORE WeChat is called, so out_bill_no (the idempotency key)
-- exists when a crash interrupts the call and the retry sends the same request. `state` is
-- WeChat's (created = not yet accepted by WeChat); SUCCESS, FAIL and CANCELLED are final.
CREATE TABLE "rebate"."withdrawal_transfers" (
  "id"              bigint                   GENERATED ALWAYS AS IDENTITY NOT NULL,
  "withdrawal_id"   bigint                   NOT NULL,
  "member_id"       uuid                     NOT NULL,
  "out_bill_no"     text                     NOT NULL,
  "openid"          text                     NOT NULL,
  "amount_fen"      bigint                   NOT NULL,  -- the withdrawal's net_fen
  "scene_id"        text                     NOT NULL,  -- transfer_scene_id: 1000 现金营销 (cash), 1005 佣金报酬 (commission)
  "remark"          text                     NOT NULL,  -- transfer_remark, shown to the member
  "real_name"       text,                               -- user_name for ≥ ¥2,000; cleared once final
  "app_id"          text,                               -- as first sent (the same on every retry)
  "mch_id"          text,
  "state"           text                     NOT NULL DEFAULT 'created'::text,
  "transfer_bill_no" text,
  "package_info"    text,
  "fail_reason"     text,
  "attempts"        integer                  NOT NULL DEFAULT 0,  -- calls that did not get an answer
  "last_error"      text,
  "next_attempt_at" timestamp with time zone NOT NULL DEFAULT now(),  -- when the job next sends, queries or cancels
  "cancel_requested_at" timestamp with time zone,
  "created_at"      timestamp with time zone NOT NULL DEFAULT now(),
  "updated_at"      timestamp with time zone NOT NULL DEFAULT now(),
  "finished_at"     timestamp with time zone,
  CONSTRAINT "withdrawal_transfers_amount_fen_check" CHECK ((amount_fen >= 10)),
  CONSTRAINT "withdrawal_transfers_final" CHECK (((state = ANY (ARRAY['SUCCESS'::text, 'FAIL'::text, 'CANCELLED'::text])) = (finished_at IS NOT NULL))),
  CONSTRAINT "withdrawal_transfers_member_id_fkey" FOREIGN KEY (member_id) REFERENCES rebate.members(id),
  CONSTRAINT "withdrawal_transfers_out_bill_no_check" CHECK ((out_bill_no ~ '^[0-9A-Za-z]{1,32}$'::text)),
  CONSTRAINT "withdrawal_transfers_out_bill_no_key" UNIQUE (out_bill_no),
  CONSTRAINT "withdrawal_transfers_pkey" PRIMARY KEY (id),
  CONSTRAINT "withdrawal_transfers_remark_check" CHECK ((char_length(remark) <= 32)),
  CONSTRAINT "withdrawal_transfers_state_check" CHECK ((state = ANY (ARRAY['created'::text, 'ACCEPTED'::text, 'PROCESSING'::text, 'WAIT_USER_CONFIRM'::text, 'TRANSFERING'::text, 'SUCCESS'::text, 'FAIL'::text, 'CANCELING'::text, 'CANCELLED'::text]))),
  CONSTRAINT "withdrawal_transfers_transfer_bill_no_key" UNIQUE (transfer_bill_no),
  CONSTRAINT "withdrawal_transfers_withdrawal_id_fkey" FOREIGN KEY (withdrawal_id) REFERENCES rebate.withdrawals(id),
  CONSTRAINT "withdrawal_transfers_withdrawal_id_key" UNIQUE (withdrawal_id)
);

ALTER TABLE "rebate"."withdrawal_transfers"
  ENABLE ROW LEVEL SECURITY;

-- the job's work list: transfers not final, by when they are due
CREATE INDEX withdrawal_transfers_due_idx ON rebate.withdrawal_transfers USING btree (next_attempt_at)
  WHERE (finished_at IS NULL);

-- the foreign key's index
CREATE INDEX withdrawal_transfers_member_idx ON rebate.withdrawal_transfers USING btree (member_id);

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
             case w.status
               when 'pending' then '审核中'
               when 'paying' then case when t.state in ('WAIT_USER_CONFIRM', 'TRANSFERING') then '待确认收款' else '打款中' end
               when 'approved' then '已打款'
               when 'returned' then '已退回'
               else '已驳回' end,
             w.payout_ref, w.reject_reason, w.requested_at, w.decided_at,
             case when t.state in ('WAIT_USER_CONFIRM', 'TRANSFERING') then t.app_id end,
             case when t.state in ('WAIT_USER_CONFIRM', 'TRANSFERING') then t.mch_id end,
             case when t.state in ('WAIT_USER_CONFIRM', 'TRANSFERING') then t.package_info end,
             t.state)::public.withdrawal_details
    from (select 1) one
    left join rebate.withdrawal_transfers t on t.withdrawal_id = w.id
$function$;
comment on function rebate.withdrawal_row(w rebate.withdrawals) is 'A withdrawal as the member''s API returns it (public.withdrawal_details), with its merchant transfer''s state and, while it waits for the member, the wx.requestMerchantTransfer parameters.';
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
  if p_status is not null and p_status not in ('pending', 'paying', 'approved', 'rejected', 'returned') then
    raise exception using errcode = 'P0001', message = 'invalid_status', hint = '状态无效';
  end if;
  if p_limit is null or p_limit not between 1 and 100 then
    raise exception using errcode = 'P0001', message = 'invalid_limit', hint = '每页数量应在 1 到 100 之间';
  end if;
  return coalesce((select jsonb_agg(rebate.withdrawal_json(w)
                                    || jsonb_build_object('member_id', w.member_id, 'member_code', m.member_code,
                                                          'nickname', m.nickname,
                                                          'transfer', case when t.id is not null then jsonb_build_object(
                                                            'out_bill_no', t.out_bill_no, 'state', t.state,
                                                            'transfer_bill_no', t.transfer_bill_no, 'fail_reason', t.fail_reason,
                                                            'attempts', t.attempts, 'last_error', t.last_error,
                                                            'next_attempt_at', t.next_attempt_at, 'updated_at', t.updated_at) end)
                                    order by w.id desc)
                     from (select * from rebate.withdrawals x
                            where (p_status is null or x.status = p_status) and (p_before_id is null or x.id < p_before_id)
                            order by x.id desc limit p_limit) w
                     join rebate.members m on m.id = w.member_id
                     left join rebate.withdrawal_transfers t on t.withdrawal_id = w.id), '[]'::jsonb);
end;
$function$;
comment on function public.admin_list_withdrawals(p_status text, p_before_id bigint, p_limit integer) is 'Administrator: withdrawals by status, newest first (keyset on id), with the member and the merchant transfer (state, WeChat''s bill number, the last error while it is retried).';
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

-- ------------------------------------------------------------ merchant transfers (商家转账)

-- What a member reads for a transfer's WeChat fail reason (WECHAT-NOTES.md §6; the codes WeChat
-- documents for transfer bills; an unknown code reads as a plain failure with the code).
CREATE OR REPLACE FUNCTION rebate.transfer_fail_text (
  p_state  text,
  p_reason text
)
  RETURNS text
  LANGUAGE sql
  IMMUTABLE
  SET search_path TO ''
  AS $function$
  select case
    when p_state = 'CANCELLED' then '超时未确认收款，转账已撤销，金额已退回余额'
    when p_reason = 'OVERDUE_CLOSE' then '超时未确认收款，金额已退回余额'
    when p_reason = 'ACCOUNT_FROZEN' then '微信账户已冻结，金额已退回余额'
    when p_reason = 'REAL_NAME_CHECK_FAIL' then '微信未实名认证，金额已退回余额'
    when p_reason = 'NAME_NOT_CORRECT' then '姓名与微信实名不一致，金额已退回余额'
    when p_reason = 'OPENID_INVALID' then '微信账号无效，金额已退回余额'
    when p_reason in ('TRANSFER_QUOTA_EXCEED', 'DAY_RECEIVED_QUOTA_EXCEED', 'MONTH_RECEIVED_QUOTA_EXCEED',
                      'DAY_RECEIVED_COUNT_EXCEED') then '超出微信收款限额，金额已退回余额'
    when p_reason = 'TRANSFER_RISK' then '微信风控拦截，金额已退回余额'
    when p_reason like 'REFUSED:%' then left('微信拒绝了转账请求（' || substr(p_reason, 9) || '），金额已退回余额', 200)
    else left('微信转账失败' || coalesce('（' || p_reason || '）', '') || '，金额已退回余额', 200)
  end
$function$;
comment on function rebate.transfer_fail_text(p_state text, p_reason text) is 'The member''s Chinese reason for a failed or cancelled merchant transfer (WeChat''s fail_reason codes; REFUSED:<code> when WeChat refused the request itself).';
revoke all on function rebate.transfer_fail_text(p_state text, p_reason text) from public, anon, authenticated, service_role;

-- Approves a pending withdrawal for payment by WeChat Pay merchant transfer (财务 / 超级管理员,
-- audited): the withdrawal becomes 'paying' and its transfer row is created with its
-- idempotent out_bill_no BEFORE WeChat is called (the withdrawal-transfer edge function then
-- sends it; the payout job retries it). Transfers of ¥2,000.00 or more need the member's real
-- name (WeChat's user_name rule); it is kept only until the transfer is final. Approving again
-- returns the same transfer (replayed).
CREATE OR REPLACE FUNCTION public.admin_approve_withdrawal_transfer (
  p_withdrawal_id bigint,
  p_real_name     text DEFAULT NULL::text
)
  RETURNS jsonb
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_admin uuid := rebate.require_role('finance');
  v_name text := nullif(btrim(coalesce(p_real_name, '')), '');
  v_openid text;
  v_no text;
  w rebate.withdrawals;
  t rebate.withdrawal_transfers;
begin
  select * into w from rebate.withdrawals x where x.id = p_withdrawal_id for update;
  if not found then
    raise exception using errcode = 'P0001', message = 'withdrawal_not_found', hint = '提现申请不存在';
  end if;
  select * into t from rebate.withdrawal_transfers x where x.withdrawal_id = w.id;
  if found then
    return rebate.withdrawal_json(w) || jsonb_build_object('out_bill_no', t.out_bill_no, 'replayed', true);
  end if;
  if w.status <> 'pending' then
    raise exception using errcode = 'P0001', message = 'withdrawal_not_pending', hint = '该提现申请已处理';
  end if;
  select m.openid into v_openid from rebate.members m where m.id = w.member_id;
  if v_openid is null then
    raise exception using errcode = 'P0001', message = 'openid_missing', hint = '该会员未绑定微信，无法转账';
  end if;
  if w.net_fen < 10 then
    raise exception using errcode = 'P0001', message = 'transfer_below_minimum', hint = '微信转账金额至少为¥0.10';
  end if;
  if w.net_fen >= 200000 and v_name is null then
    raise exception using errcode = 'P0001', message = 'real_name_required', hint = '转账金额满¥2,000.00，须填写收款人真实姓名';
  end if;
  if v_name is not null and char_length(v_name) > 50 then
    raise exception using errcode = 'P0001', message = 'invalid_real_name', hint = '收款人姓名无效';
  end if;
  v_no := 'WD' || to_char(w.requested_at at time zone 'Asia/Shanghai', 'YYYYMMDD') || lpad(w.id::text, 12, '0');
  update rebate.withdrawals x set status = 'paying', payout_ref = v_no, decided_at = now(), decided_by = v_admin
   where x.id = w.id
   returning * into w;
  insert into rebate.withdrawal_transfers (withdrawal_id, member_id, out_bill_no, openid, amount_fen, scene_id, remark, real_name)
  values (w.id, w.member_id, v_no, v_openid, w.net_fen,
          case w.asset when 'cash' then '1000' else '1005' end,
          case w.asset when 'cash' then '排队返利提现' else '佣金提现' end,
          case when w.net_fen >= 200000 then v_name end);
  insert into rebate.messages (member_id, kind, title, body, amount_fen)
  values (w.member_id, 'withdrawal_approved', '提现审核通过',
          '提现' || rebate.fen_text(w.amount_fen) || '已通过审核，' || rebate.fen_text(w.net_fen)
            || '将通过微信转账打款，请在提现记录中确认收款', w.net_fen);
  perform rebate.audit('withdrawal.approve_transfer', 'withdrawal', w.id::text, jsonb_build_object('status', 'pending'),
                       jsonb_build_object('status', w.status, 'out_bill_no', v_no, 'net_fen', w.net_fen,
                                          'real_name_given', v_name is not null), null);
  return rebate.withdrawal_json(w) || jsonb_build_object('out_bill_no', v_no, 'replayed', false);
end;
$function$;
comment on function public.admin_approve_withdrawal_transfer(p_withdrawal_id bigint, p_real_name text) is 'Finance: approves a pending withdrawal for payment by WeChat merchant transfer; creates the transfer with its idempotent out_bill_no before WeChat is called (audited). Again: the same transfer (replayed).';
revoke all on function public.admin_approve_withdrawal_transfer(p_withdrawal_id bigint, p_real_name text) from public, anon, authenticated, service_role;
grant execute on function public.admin_approve_withdrawal_transfer(p_withdrawal_id bigint, p_real_name text) to authenticated;

-- What to send to POST /v3/fund-app/mch-transfer/transfer-bills for this out_bill_no. The first
-- call records the appid and mchid it is sent with; a later call with others is refused, so every
-- retry sends the same parameters (WeChat's rule for a retried out_bill_no).
CREATE OR REPLACE FUNCTION public.transfer_request (
  p_out_bill_no text,
  p_app_id      text,
  p_mch_id      text
)
  RETURNS jsonb
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  t rebate.withdrawal_transfers;
  v_asset text;
begin
  select * into t from rebate.withdrawal_transfers x where x.out_bill_no = p_out_bill_no for update;
  if not found then
    raise exception using errcode = 'P0001', message = 'transfer_not_found', hint = '转账单不存在';
  end if;
  if coalesce(p_app_id, '') = '' or coalesce(p_mch_id, '') = '' then
    raise exception using errcode = 'P0001', message = 'invalid_transfer_params', hint = '转账参数无效';
  end if;
  if t.app_id is null then
    update rebate.withdrawal_transfers x set app_id = p_app_id, mch_id = p_mch_id where x.id = t.id returning * into t;
  elsif t.app_id <> p_app_id or t.mch_id <> p_mch_id then
    raise exception using errcode = 'P0001', message = 'transfer_params_changed', hint = '转账参数与首次发送时不一致';
  end if;
  select w.asset into v_asset from rebate.withdrawals w where w.id = t.withdrawal_id;
  return jsonb_build_object('out_bill_no', t.out_bill_no, 'openid', t.openid, 'amount_fen', t.amount_fen,
                            'scene_id', t.scene_id, 'remark', t.remark, 'real_name', t.real_name, 'asset', v_asset,
                            'state', t.state, 'final', t.finished_at is not null, 'app_id', t.app_id, 'mch_id', t.mch_id,
                            'attempts', t.attempts, 'cancel_requested', t.cancel_requested_at is not null);
end;
$function$;
comment on function public.transfer_request(p_out_bill_no text, p_app_id text, p_mch_id text) is 'Service role: the merchant transfer request for this out_bill_no (the same on every retry; the first call fixes appid and mchid).';
revoke all on function public.transfer_request(p_out_bill_no text, p_app_id text, p_mch_id text) from public, anon, authenticated, service_role;
grant execute on function public.transfer_request(p_out_bill_no text, p_app_id text, p_mch_id text) to service_role;

-- The order of the states a transfer goes through (finals last); an observation of an earlier
-- state than the one recorded is stale.
CREATE OR REPLACE FUNCTION rebate.transfer_state_rank (
  p_state text
)
  RETURNS integer
  LANGUAGE sql
  IMMUTABLE
  SET search_path TO ''
  AS $function$
  select case p_state when 'created' then 0 when 'ACCEPTED' then 1 when 'PROCESSING' then 2
                      when 'WAIT_USER_CONFIRM' then 3 when 'TRANSFERING' then 4 when 'CANCELING' then 5
                      when 'SUCCESS' then 9 when 'FAIL' then 9 when 'CANCELLED' then 9 end
$function$;
comment on function rebate.transfer_state_rank(p_state text) is 'The order of merchant transfer states (created first, the finals SUCCESS / FAIL / CANCELLED last).';
revoke all on function rebate.transfer_state_rank(p_state text) from public, anon, authenticated, service_role;

-- Applies what WeChat said about a transfer (the create answer, a query, the notification, the
-- cancel answer), exactly once whatever arrives twice or in any order: the withdrawal's lock
-- serialises them; a final state is final (the same again is a repeat, another final state is
-- refused for a person to look at, anything earlier is stale and ignored). SUCCESS pays the
-- withdrawal; FAIL or CANCELLED returns its whole amount (the fee too: nothing was paid) to the
-- balance with a ledger row. p_amount_fen, when WeChat states it, must be the transfer's.
CREATE OR REPLACE FUNCTION public.record_transfer_result (
  p_out_bill_no      text,
  p_state            text,
  p_transfer_bill_no text DEFAULT NULL::text,
  p_package_info     text DEFAULT NULL::text,
  p_fail_reason      text DEFAULT NULL::text,
  p_amount_fen       bigint DEFAULT NULL::bigint,
  p_source           text DEFAULT 'query'::text
)
  RETURNS jsonb
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_wid bigint;
  v_final boolean := p_state in ('SUCCESS', 'FAIL', 'CANCELLED');
  v_reason text;
  w rebate.withdrawals;
  t rebate.withdrawal_transfers;
begin
  if p_state is null or rebate.transfer_state_rank(p_state) is null or p_state = 'created' then
    raise exception using errcode = 'P0001', message = 'invalid_transfer_state', hint = '转账状态无效';
  end if;
  select x.withdrawal_id into v_wid from rebate.withdrawal_transfers x where x.out_bill_no = p_out_bill_no;
  if not found then
    raise exception using errcode = 'P0001', message = 'transfer_not_found', hint = '转账单不存在';
  end if;
  select * into w from rebate.withdrawals x where x.id = v_wid for update;
  select * into t from rebate.withdrawal_transfers x where x.withdrawal_id = v_wid for update;
  if p_amount_fen is not null and p_amount_fen <> t.amount_fen then
    raise exception using errcode = 'P0001', message = 'transfer_amount_mismatch', hint = '转账金额与提现不一致';
  end if;
  if p_transfer_bill_no is not null and t.transfer_bill_no is not null and p_transfer_bill_no <> t.transfer_bill_no then
    raise exception using errcode = 'P0001', message = 'transfer_bill_mismatch', hint = '微信转账单号不一致';
  end if;

  if t.finished_at is not null then
    if p_state = t.state then
      return jsonb_build_object('out_bill_no', t.out_bill_no, 'state', t.state, 'replayed', true, 'stale', false);
    elsif v_final then
      raise exception using errcode = 'P0001', message = 'transfer_state_conflict',
        hint = '转账已是' || t.state || '，不能再变为' || p_state;
    end if;
    return jsonb_build_object('out_bill_no', t.out_bill_no, 'state', t.state, 'replayed', false, 'stale', true);
  end if;

  if rebate.transfer_state_rank(p_state) < rebate.transfer_state_rank(t.state) then
    -- an older observation (e.g. the create answer after the notification): keep what it adds
    update rebate.withdrawal_transfers x
       set transfer_bill_no = coalesce(x.transfer_bill_no, p_transfer_bill_no),
           package_info = coalesce(x.package_info, p_package_info)
     where x.id = t.id;
    return jsonb_build_object('out_bill_no', t.out_bill_no, 'state', t.state, 'replayed', false, 'stale', true);
  end if;

  update rebate.withdrawal_transfers x
     set state = p_state,
         transfer_bill_no = coalesce(x.transfer_bill_no, p_transfer_bill_no),
         package_info = coalesce(p_package_info, x.package_info),
         fail_reason = case when v_final and p_state <> 'SUCCESS' then coalesce(p_fail_reason, x.fail_reason) else x.fail_reason end,
         last_error = null,
         updated_at = now(),
         finished_at = case when v_final then now() end,
         real_name = case when v_final then null else x.real_name end,
         next_attempt_at = now() + case p_state when 'WAIT_USER_CONFIRM' then interval '1 hour' else interval '5 minutes' end
   where x.id = t.id
   returning * into t;

  if p_state = 'SUCCESS' then
    update rebate.withdrawals x set status = 'approved' where x.id = w.id returning * into w;
    insert into rebate.messages (member_id, kind, title, body, amount_fen)
    values (w.member_id, 'withdrawal_paid', '提现已到账',
            '提现' || rebate.fen_text(w.amount_fen) || '已到账' || rebate.fen_text(w.net_fen) || '（微信零钱）'
              || case when w.fee_fen > 0 then '，手续费' || rebate.fen_text(w.fee_fen) else '' end, w.net_fen);
  elsif v_final then
    v_reason := rebate.transfer_fail_text(p_state, t.fail_reason);
    update rebate.withdrawals x
       set status = 'returned', reject_reason = v_reason,
           return_ledger_id = (rebate.post_ledger(w.member_id, w.asset, w.amount_fen, 'withdrawal_transfer_return')).id
     where x.id = w.id
     returning * into w;
    insert into rebate.messages (member_id, kind, title, body, amount_fen)
    values (w.member_id, 'withdrawal_returned', '提现已退回',
            left('提现' || rebate.fen_text(w.amount_fen) || '已退回余额：' || v_reason, 200), w.amount_fen);
  elsif p_state = 'WAIT_USER_CONFIRM' and not exists (
          select 1 from rebate.messages m where m.member_id = w.member_id and m.kind = 'withdrawal_confirm'
             and m.created_at >= w.decided_at and m.amount_fen = w.net_fen) then
    insert into rebate.messages (member_id, kind, title, body, amount_fen)
    values (w.member_id, 'withdrawal_confirm', '提现待确认收款',
            '提现' || rebate.fen_text(w.net_fen) || '已发起微信转账，请在提现记录中点击“确认收款”', w.net_fen);
  end if;
  return jsonb_build_object('out_bill_no', t.out_bill_no, 'state', t.state, 'replayed', false, 'stale', false,
                            'withdrawal_status', w.status, 'source', p_source);
end;
$function$;
comment on function public.record_transfer_result(p_out_bill_no text, p_state text, p_transfer_bill_no text, p_package_info text, p_fail_reason text, p_amount_fen bigint, p_source text) is 'Service role: applies WeChat''s word on a merchant transfer (create answer, query, notification, cancel answer) exactly once in any order; SUCCESS pays the withdrawal, FAIL / CANCELLED return its amount with a ledger row.';
revoke all on function public.record_transfer_result(p_out_bill_no text, p_state text, p_transfer_bill_no text, p_package_info text, p_fail_reason text, p_amount_fen bigint, p_source text) from public, anon, authenticated, service_role;
grant execute on function public.record_transfer_result(p_out_bill_no text, p_state text, p_transfer_bill_no text, p_package_info text, p_fail_reason text, p_amount_fen bigint, p_source text) to service_role;

-- A call to WeChat about this transfer got no usable answer (time-out, 5xx, SYSTEM_ERROR,
-- FREQUENCY_LIMITED, NOT_ENOUGH): the error is kept for finance to see and the job tries again
-- later with the same out_bill_no, backing off (30 s doubling, at most an hour).
CREATE OR REPLACE FUNCTION public.record_transfer_error (
  p_out_bill_no text,
  p_error       text
)
  RETURNS jsonb
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  t rebate.withdrawal_transfers;
begin
  update rebate.withdrawal_transfers x
     set attempts = x.attempts + 1, last_error = left(coalesce(p_error, '未知错误'), 200), updated_at = now(),
         next_attempt_at = now() + make_interval(secs => least(3600, 30 * power(2, least(x.attempts, 7))))
   where x.out_bill_no = p_out_bill_no and x.finished_at is null
   returning * into t;
  if not found then
    return jsonb_build_object('out_bill_no', p_out_bill_no, 'recorded', false);
  end if;
  return jsonb_build_object('out_bill_no', t.out_bill_no, 'recorded', true, 'attempts', t.attempts,
                            'next_attempt_at', t.next_attempt_at);
end;
$function$;
comment on function public.record_transfer_error(p_out_bill_no text, p_error text) is 'Service role: a call about this transfer got no usable answer; keeps the error and schedules the retry (same out_bill_no, backing off).';
revoke all on function public.record_transfer_error(p_out_bill_no text, p_error text) from public, anon, authenticated, service_role;
grant execute on function public.record_transfer_error(p_out_bill_no text, p_error text) to service_role;

-- The payout job's work (a batch): transfers to send (never accepted by WeChat yet), to query
-- (not final and due: stuck, or a notification may be lost) and to cancel (waiting for the
-- member's confirmation longer than p_confirm_hours; WeChat itself closes them after 24 h).
-- Each picked transfer is leased for two minutes, so overlapping runs do not pick it again.
CREATE OR REPLACE FUNCTION public.due_transfers (
  p_limit         integer DEFAULT 100,
  p_confirm_hours integer DEFAULT 20
)
  RETURNS jsonb
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_out jsonb;
begin
  if p_limit is null or p_limit not between 1 and 1000 then
    raise exception using errcode = 'P0001', message = 'invalid_limit', hint = '每批数量应在 1 到 1000 之间';
  end if;
  if p_confirm_hours is null or p_confirm_hours not between 1 and 23 then
    raise exception using errcode = 'P0001', message = 'invalid_confirm_hours', hint = '确认收款时限应在 1 到 23 小时之间';
  end if;
  with picked as (
    select x.id,
           case when x.state = 'created' then 'send'
                when x.state = 'WAIT_USER_CONFIRM' and x.cancel_requested_at is null
                     and x.created_at < now() - make_interval(hours => p_confirm_hours) then 'cancel'
                else 'query' end as action
      from rebate.withdrawal_transfers x
     where x.finished_at is null and x.next_attempt_at <= now()
     order by x.next_attempt_at, x.id
     limit p_limit
     for update skip locked),
  leased as (
    update rebate.withdrawal_transfers x
       set next_attempt_at = now() + interval '2 minutes',
           cancel_requested_at = case when p.action = 'cancel' then now() else x.cancel_requested_at end
      from picked p where x.id = p.id
    returning x.out_bill_no, p.action, x.id)
  select coalesce(jsonb_agg(jsonb_build_object('out_bill_no', l.out_bill_no, 'action', l.action) order by l.id), '[]')
    into v_out from leased l;
  return v_out;
end;
$function$;
comment on function public.due_transfers(p_limit integer, p_confirm_hours integer) is 'Service role: the payout job''s batch of merchant transfers to send, query or cancel (each leased for two minutes).';
revoke all on function public.due_transfers(p_limit integer, p_confirm_hours integer) from public, anon, authenticated, service_role;
grant execute on function public.due_transfers(p_limit integer, p_confirm_hours integer) to service_role;

-- Reconcile findings of merchant transfers: each transfer agrees with its withdrawal (member,
-- amount, bill number, state ↔ status), a failed or cancelled one returned exactly its amount.
CREATE OR REPLACE FUNCTION rebate.reconcile_check_payouts()
  RETURNS TABLE (
    check_name text,
    subject    text,
    expected   bigint,
    actual     bigint
  )
  LANGUAGE sql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
  select 'transfer_withdrawal', t.out_bill_no, w.net_fen, t.amount_fen
    from rebate.withdrawal_transfers t join rebate.withdrawals w on w.id = t.withdrawal_id
   where t.amount_fen <> w.net_fen or t.member_id <> w.member_id or w.payout_ref is distinct from t.out_bill_no
      or w.status <> case when t.state = 'SUCCESS' then 'approved'
                          when t.state in ('FAIL', 'CANCELLED') then 'returned' else 'paying' end
  union all
  -- a withdrawal being paid or returned by transfer has its transfer
  select 'withdrawal_transfer_missing', w.id::text, w.net_fen, null::bigint
    from rebate.withdrawals w
   where w.status in ('paying', 'returned')
     and not exists (select 1 from rebate.withdrawal_transfers t where t.withdrawal_id = w.id)
  union all
  -- a returned withdrawal got back exactly what was held, once
  select 'transfer_return_ledger', w.id::text, w.amount_fen, g.delta
    from rebate.withdrawals w left join rebate.ledger g on g.id = w.return_ledger_id
   where w.status = 'returned'
     and (g.id is null or g.member_id <> w.member_id or g.asset <> w.asset or g.delta <> w.amount_fen
          or g.reason <> 'withdrawal_transfer_return')
  union all
  -- the real name is kept only while the transfer is under way
  select 'transfer_real_name_kept', t.out_bill_no, null::bigint, null::bigint
    from rebate.withdrawal_transfers t where t.finished_at is not null and t.real_name is not null
$function$;
comment on function rebate.reconcile_check_payouts() is 'Reconcile findings of merchant transfers: each agrees with its withdrawal (amount, member, bill number, state); a failed or cancelled one returned its amount once.';
revoke all on function rebate.reconcile_check_payouts() from public, anon, authenticated, service_role;

-- ============================================================ policies

CREATE POLICY "Members can read their own withdrawals" ON "rebate"."withdrawals"
  FOR SELECT
  TO "authenticated"
  USING ((member_id = ( SELECT auth.uid() AS uid)));

CREATE POLICY "Members can read their own withdrawal transfers" ON "rebate"."withdrawal_transfers"
  FOR SELECT
  TO "authenticated"
  USING ((member_id = ( SELECT auth.uid() AS uid)));

-- ============================================================ grants

GRANT SELECT ON TABLE "rebate"."withdrawal_transfers" TO "service_role";

GRANT SELECT ON TABLE "rebate"."withdrawals" TO "service_role";
