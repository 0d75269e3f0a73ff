-- Withdrawals (提现) of cash rebate and commission. A request holds the amount at once (a ledger
-- debit, reason withdrawal), so it cannot be spent or withdrawn twice; the admin approves it with
-- the payout reference (the money went out: amount − fee) or rejects it with a reason (the held
-- amount returns, reason withdrawal_return). Minimum amount, fee rate and a daily count limit
-- (Asia/Shanghai days, every request counts) come from settings.

-- ============================================================ settings
alter table rebate.settings
  add column withdraw_min_fen      bigint not null default 100 check (withdraw_min_fen between 1 and 100000000),
  add column withdraw_fee_bps      integer not null default 0 check (withdraw_fee_bps between 0 and 5000),
  add column withdraw_daily_limit  smallint not null default 3 check (withdraw_daily_limit between 1 and 100);

insert into rebate.setting_fields (name, kind, min_value, max_value, choices, label) values
  ('withdraw_min_fen',     'integer', 1, 100000000, null, '最低提现金额'),
  ('withdraw_fee_bps',     'integer', 0, 5000, null, '提现手续费比例'),
  ('withdraw_daily_limit', 'integer', 1, 100, null, '每日提现次数');

-- ============================================================ tables
create table rebate.withdrawals (
  id                bigint generated always as identity primary key,
  member_id         uuid not null references rebate.members (id),
  asset             text not null check (asset in ('cash', 'commission')),
  amount_fen        bigint not null check (amount_fen between 1 and 100000000),   -- held from the balance
  fee_bps           integer not null check (fee_bps between 0 and 5000),
  fee_fen           bigint not null check (fee_fen >= 0),
  net_fen           bigint not null check (net_fen >= 1),                          -- paid out on approval
  status            text not null default 'pending' check (status in ('pending', 'approved', 'rejected')),
  local_day         date not null,                                                 -- Asia/Shanghai day of the request
  hold_ledger_id    bigint not null unique,
  return_ledger_id  bigint unique,
  payout_ref        text unique check (payout_ref is null or payout_ref ~ '^[A-Za-z0-9_.:|-]{1,64}$'),
  reject_reason     text check (reject_reason is null or char_length(reject_reason) between 1 and 200),
  requested_at      timestamptz not null default now(),
  decided_at        timestamptz,
  decided_by        uuid references rebate.members (id),
  constraint withdrawals_amounts check (fee_fen + net_fen = amount_fen),
  constraint withdrawals_decision check (case status
    when 'pending'  then decided_at is null and payout_ref is null and return_ledger_id is null and reject_reason is null
    when 'approved' then decided_at is not null and payout_ref is not null and return_ledger_id is null and reject_reason is null
    when 'rejected' then decided_at is not null and payout_ref is null and return_ledger_id is not null and reject_reason is not null end)
);

-- ============================================================ indexes
create index withdrawals_member_idx on rebate.withdrawals (member_id, id);
create index withdrawals_member_day_idx on rebate.withdrawals (member_id, local_day);
create index withdrawals_status_idx on rebate.withdrawals (status, id);

-- ============================================================ functions: internal
create or replace function rebate.withdrawal_json(w rebate.withdrawals) returns jsonb
language sql stable set search_path = ''
as $$
  select jsonb_build_object(
    'withdrawal_id', w.id, 'asset', w.asset, 'amount_fen', w.amount_fen, 'fee_bps', w.fee_bps, 'fee_fen', w.fee_fen,
    'net_fen', w.net_fen, 'status', w.status,
    'status_label', case w.status when 'pending' then '审核中' when 'approved' then '已打款' else '已驳回' end,
    'payout_ref', w.payout_ref, 'reject_reason', w.reject_reason, 'requested_at', w.requested_at,
    'decided_at', w.decided_at)
$$;

-- ============================================================ functions: members
-- The withdrawal rules and my room today (the wallet page).
create or replace function public.my_withdrawal_info() returns jsonb
language plpgsql stable security definer set search_path = ''
as $$
declare
  v_uid uuid := rebate.require_member();
  s rebate.settings;
  v_today_count integer;
begin
  select * into s from rebate.settings x where x.id = 1;
  select count(*) into v_today_count from rebate.withdrawals w
   where w.member_id = v_uid and w.local_day = (now() at time zone 'Asia/Shanghai')::date;
  return jsonb_build_object(
    'min_fen', s.withdraw_min_fen, 'fee_bps', s.withdraw_fee_bps, 'daily_limit', s.withdraw_daily_limit,
    'today_count', v_today_count,
    'pending_fen', (select coalesce(sum(w.amount_fen), 0) from rebate.withdrawals w
                     where w.member_id = v_uid and w.status = 'pending'),
    'cash_fen', (select w.cash_fen from rebate.wallets w where w.member_id = v_uid),
    'commission_fen', (select w.commission_fen from rebate.wallets w where w.member_id = v_uid));
end;
$$;

-- Requests a withdrawal of p_amount_fen from my cash rebate ('cash') or commission ('commission').
-- Serialised per member by the wallet row lock: the daily count and the balance are read under it.
create or replace function public.request_withdrawal(p_asset text, p_amount_fen bigint) returns jsonb
language plpgsql volatile security definer set search_path = ''
as $$
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
  perform rebate.wallet_apply(v_uid, p_asset, -p_amount_fen, 'withdrawal');
  insert into rebate.withdrawals (member_id, asset, amount_fen, fee_bps, fee_fen, net_fen, local_day, hold_ledger_id)
  values (v_uid, p_asset, p_amount_fen, s.withdraw_fee_bps, v_fee, p_amount_fen - v_fee, v_day,
          currval('rebate.ledger_id_seq'::regclass))
  returning * into w;
  return rebate.withdrawal_json(w);
end;
$$;

create or replace function public.my_withdrawals(p_before_id bigint default null, p_limit integer default 20) returns jsonb
language plpgsql stable security definer set search_path = ''
as $$
declare
  v_uid uuid := rebate.require_member();
begin
  if p_limit is null or p_limit not between 1 and 100 then
    raise exception using errcode = 'P0001', message = 'invalid_limit', hint = '每页数量应在 1 到 100 之间';
  end if;
  return coalesce((select jsonb_agg(rebate.withdrawal_json(w) order by w.id desc)
                     from (select * from rebate.withdrawals x
                            where x.member_id = v_uid and (p_before_id is null or x.id < p_before_id)
                            order by x.id desc limit p_limit) w), '[]'::jsonb);
end;
$$;

-- ============================================================ functions: admin
create or replace function public.admin_list_withdrawals(p_status text default 'pending', p_before_id bigint default null,
                                                         p_limit integer default 20) returns jsonb
language plpgsql stable security definer set search_path = ''
as $$
begin
  perform rebate.require_admin();
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
$$;

-- Approves a pending withdrawal: the money went out, p_payout_ref is the transfer's reference
-- (unique). Approving again with the same reference returns the first result (replayed).
create or replace function public.admin_approve_withdrawal(p_withdrawal_id bigint, p_payout_ref text) returns jsonb
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_admin uuid := rebate.require_admin();
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
  return rebate.withdrawal_json(w) || jsonb_build_object('replayed', false);
end;
$$;

-- Rejects a pending withdrawal with a reason; the held amount returns to the balance.
create or replace function public.admin_reject_withdrawal(p_withdrawal_id bigint, p_reason text) returns jsonb
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_admin uuid := rebate.require_admin();
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
  perform rebate.wallet_apply(w.member_id, w.asset, w.amount_fen, 'withdrawal_return');
  update rebate.withdrawals x set status = 'rejected', reject_reason = v_reason, decided_at = now(), decided_by = v_admin,
         return_ledger_id = currval('rebate.ledger_id_seq'::regclass)
   where x.id = w.id
   returning * into w;
  insert into rebate.messages (member_id, kind, title, body, amount_fen)
  values (w.member_id, 'withdrawal_rejected', '提现未通过',
          left('提现' || rebate.fen_text(w.amount_fen) || '未通过，已退回余额：' || v_reason, 200), w.amount_fen);
  return rebate.withdrawal_json(w);
end;
$$;

-- ============================================================ policies
alter table rebate.withdrawals enable row level security;

create policy "Members can read their own withdrawals"
  on rebate.withdrawals for select to authenticated using (member_id = (select auth.uid()));

-- ============================================================ grants
revoke all on rebate.withdrawals from public, anon, authenticated, service_role;
grant select on rebate.withdrawals to service_role;

revoke all on function rebate.withdrawal_json(rebate.withdrawals) from public, anon, authenticated;

revoke all on function public.my_withdrawal_info(), public.request_withdrawal(text, bigint),
  public.my_withdrawals(bigint, integer), public.admin_list_withdrawals(text, bigint, integer),
  public.admin_approve_withdrawal(bigint, text), public.admin_reject_withdrawal(bigint, text)
  from public, anon, authenticated, service_role;
grant execute on function public.my_withdrawal_info(), public.request_withdrawal(text, bigint),
  public.my_withdrawals(bigint, integer), public.admin_list_withdrawals(text, bigint, integer),
  public.admin_approve_withdrawal(bigint, text), public.admin_reject_withdrawal(bigint, text)
  to authenticated;

-- ============================================================ data
insert into rebate.ledger_reasons (code, label) values
  ('withdrawal',        '提现'),
  ('withdrawal_return', '提现驳回退回');
