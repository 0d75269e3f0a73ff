-- Exchange (兑换) and points (SPEC §9): a member turns a waiting entry's remaining
-- entitlement into points or love value at the configured ratio (love value credited
-- available or frozen per settings.love_exchange_frozen); the entry leaves the queue
-- (已兑换), final. Points transfer between members by member code.
--
-- Atomic with the queue: exchange_entry takes the entry's queue lock first (the lock every
-- distribution holds), re-reads the entry under it, then credits one wallet. A distribution
-- racing the exchange either ran before (the exchange converts what is left) or runs after
-- (the entry is no longer waiting and is not paid): no fen is lost or counted twice.

-- ============================================================ tables
create table rebate.exchanges (
  id             bigint generated always as identity primary key,
  entry_id       bigint not null unique references rebate.entries (id),
  member_id      uuid not null,
  queue_id       bigint not null,
  target         text not null check (target in ('points', 'love')),
  asset          text not null check (asset in ('points', 'love', 'love_frozen')),
  remaining_fen  bigint not null check (remaining_fen >= 1),    -- the entitlement given up
  ratio_bps      integer not null check (ratio_bps between 1 and 1000000),
  amount         bigint not null check (amount >= 1),           -- points, or love value in fen units
  created_at     timestamptz not null default now(),
  constraint exchanges_asset check ((target = 'points') = (asset = 'points'))
);

create table rebate.points_transfers (
  id              bigint generated always as identity primary key,
  from_member_id  uuid not null references rebate.members (id),
  to_member_id    uuid not null references rebate.members (id),
  points          bigint not null check (points between 1 and 100000000),
  created_at      timestamptz not null default now(),
  constraint points_transfers_not_self check (from_member_id <> to_member_id)
);

-- ============================================================ indexes
create index exchanges_member_idx on rebate.exchanges (member_id, id);
create index points_transfers_from_idx on rebate.points_transfers (from_member_id, id);
create index points_transfers_to_idx on rebate.points_transfers (to_member_id, id);

-- ============================================================ functions
-- The terms of exchanging this entry's remaining entitlement into p_target now.
create or replace function rebate.exchange_terms(p_entry rebate.entries, p_target text, p_settings rebate.settings,
  out remaining_fen bigint, out ratio_bps integer, out amount bigint, out asset text, out frozen boolean)
language plpgsql immutable set search_path = ''
as $$
begin
  remaining_fen := p_entry.entitlement_fen - p_entry.received_fen;
  if p_target = 'points' then
    ratio_bps := p_settings.points_exchange_bps;
    asset := 'points';
    frozen := false;
  else
    ratio_bps := p_settings.love_exchange_bps;
    frozen := p_settings.love_exchange_frozen;
    asset := case when frozen then 'love_frozen' else 'love' end;
  end if;
  amount := rebate.bps_of(remaining_fen, ratio_bps);
end;
$$;

-- Checks a member may exchange this entry into p_target; raises the refusal otherwise.
create or replace function rebate.check_exchange(p_entry rebate.entries, p_target text, p_settings rebate.settings)
returns void
language plpgsql immutable set search_path = ''
as $$
begin
  if p_entry.status <> 'waiting' then
    raise exception using errcode = 'P0001', message = 'entry_not_waiting', hint = '该排队名额已不在排队中，不能兑换';
  end if;
  if (case p_target when 'points' then p_settings.points_exchange_bps else p_settings.love_exchange_bps end) = 0 then
    raise exception using errcode = 'P0001', message = 'exchange_off',
      hint = case p_target when 'points' then '暂不支持兑换积分' else '暂不支持兑换爱心值' end;
  end if;
  if rebate.bps_of(p_entry.entitlement_fen - p_entry.received_fen,
                   case p_target when 'points' then p_settings.points_exchange_bps else p_settings.love_exchange_bps end) = 0 then
    raise exception using errcode = 'P0001', message = 'exchange_amount_zero', hint = '可兑换数量为 0';
  end if;
end;
$$;

create or replace function rebate.check_exchange_target(p_target text) returns void
language plpgsql immutable set search_path = ''
as $$
begin
  if p_target is null or p_target not in ('points', 'love') then
    raise exception using errcode = 'P0001', message = 'invalid_exchange_target', hint = '请选择兑换积分或爱心值';
  end if;
end;
$$;

-- What exchanging one of my waiting entries would give, exactly (nothing changes).
-- → {entry_id, target, remaining_fen, ratio_bps, exchange_bps, amount, asset, frozen}
create or replace function public.preview_exchange(p_entry_id bigint, p_target text) returns jsonb
language plpgsql stable security definer set search_path = ''
as $$
declare
  v_uid uuid := rebate.require_member();
  e rebate.entries;
  s rebate.settings;
  t record;
begin
  perform rebate.check_exchange_target(p_target);
  select * into e from rebate.entries x where x.id = p_entry_id and x.member_id = v_uid;
  if not found then
    raise exception using errcode = 'P0001', message = 'entry_not_found', hint = '排队名额不存在';
  end if;
  select * into s from rebate.settings x where x.id = 1;
  perform rebate.check_exchange(e, p_target, s);
  select * into t from rebate.exchange_terms(e, p_target, s);
  return jsonb_build_object('entry_id', e.id, 'target', p_target, 'remaining_fen', t.remaining_fen,
                            'ratio_bps', t.ratio_bps, 'exchange_bps', t.ratio_bps, 'amount', t.amount,
                            'asset', t.asset, 'frozen', t.frozen);
end;
$$;

-- Exchanges one of my waiting entries (final). → the preview's fields plus
-- {exchange_id, status: 'exchanged', entry_status, balance_after, exchanged_at}
create or replace function public.exchange_entry(p_entry_id bigint, p_target text) returns jsonb
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_uid uuid := rebate.require_member();
  e rebate.entries;
  s rebate.settings;
  t record;
  x rebate.exchanges;
  v_after bigint;
begin
  perform rebate.check_exchange_target(p_target);
  select * into e from rebate.entries y where y.id = p_entry_id and y.member_id = v_uid;
  if not found then
    raise exception using errcode = 'P0001', message = 'entry_not_found', hint = '排队名额不存在';
  end if;
  -- the queue's lock first, as every distribution takes it; then the entry as it is now
  perform 1 from rebate.queues q where q.id = e.queue_id for update;
  select * into e from rebate.entries y where y.id = p_entry_id for update;
  select * into s from rebate.settings y where y.id = 1;
  perform rebate.check_exchange(e, p_target, s);
  select * into t from rebate.exchange_terms(e, p_target, s);

  update rebate.entries y set status = 'exchanged', closed_fen = t.remaining_fen, ended_at = now() where y.id = e.id;
  insert into rebate.exchanges (entry_id, member_id, queue_id, target, asset, remaining_fen, ratio_bps, amount)
  values (e.id, e.member_id, e.queue_id, p_target, t.asset, t.remaining_fen, t.ratio_bps, t.amount)
  returning * into x;
  v_after := rebate.wallet_apply(e.member_id, t.asset, t.amount, 'entry_exchange', e.order_id, e.id);
  insert into rebate.messages (member_id, kind, title, body, entry_id, order_id, amount_fen)
  values (e.member_id, 'entry_exchanged', s.display_name || s.exchange_name || '成功',
          '排队名额剩余' || rebate.fen_text(t.remaining_fen) || '已' || s.exchange_name || '为'
            || case when p_target = 'points' then t.amount::text || '积分'
                    else '爱心值' || rebate.fen_text(t.amount) || case when t.frozen then '（冻结）' else '' end end,
          e.id, e.order_id, t.amount);

  return jsonb_build_object('entry_id', e.id, 'target', p_target, 'remaining_fen', t.remaining_fen,
                            'ratio_bps', t.ratio_bps, 'exchange_bps', t.ratio_bps, 'amount', t.amount,
                            'asset', t.asset, 'frozen', t.frozen, 'exchange_id', x.id, 'status', 'exchanged',
                            'entry_status', 'exchanged', 'balance_after', v_after, 'exchanged_at', x.created_at);
end;
$$;

-- Sends points to another member, found by member code. Both wallets are locked in member
-- order; the sender's balance never goes negative (insufficient_points).
-- → {transfer_id, points, points_balance, balance_after, to_member_code, to_nickname_masked, to_nickname}
create or replace function public.transfer_points(p_to_member_code text, p_points bigint) returns jsonb
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_uid uuid := rebate.require_member();
  v_code text := upper(btrim(coalesce(p_to_member_code, '')));
  v_to rebate.members;
  v_from_name text;
  v_id bigint;
  v_after bigint;
begin
  if v_code !~ '^[A-Z0-9]{8}$' then
    raise exception using errcode = 'P0001', message = 'invalid_member_code', hint = '会员编号无效';
  end if;
  if p_points is null or p_points not between 1 and 100000000 then
    raise exception using errcode = 'P0001', message = 'invalid_points', hint = '转赠积分应在 1 到 100000000 之间';
  end if;
  select * into v_to from rebate.members m where m.member_code = v_code;
  if not found then
    raise exception using errcode = 'P0001', message = 'member_not_found', hint = '收款会员不存在';
  end if;
  if v_to.id = v_uid then
    raise exception using errcode = 'P0001', message = 'transfer_to_self', hint = '不能转赠给自己';
  end if;
  perform 1 from rebate.wallets w where w.member_id in (v_uid, v_to.id) order by w.member_id for update;
  v_after := rebate.wallet_apply(v_uid, 'points', -p_points, 'points_transfer_out');
  perform rebate.wallet_apply(v_to.id, 'points', p_points, 'points_transfer_in');
  insert into rebate.points_transfers (from_member_id, to_member_id, points) values (v_uid, v_to.id, p_points)
  returning id into v_id;
  select m.nickname into v_from_name from rebate.members m where m.id = v_uid;
  insert into rebate.messages (member_id, kind, title, body, amount_fen)
  values (v_to.id, 'points_received', '收到积分转赠',
          '会员' || rebate.mask_name(v_from_name) || '转赠给你' || p_points::text || '积分', p_points);
  return jsonb_build_object('transfer_id', v_id, 'points', p_points, 'points_balance', v_after, 'balance_after', v_after,
                            'to_member_code', v_to.member_code, 'to_nickname_masked', rebate.mask_name(v_to.nickname),
                            'to_nickname', rebate.mask_name(v_to.nickname));
end;
$$;

-- ============================================================ functions: triggers
create trigger exchanges_append_only before update or delete on rebate.exchanges
  for each row execute function rebate.forbid_change();
create trigger points_transfers_append_only before update or delete on rebate.points_transfers
  for each row execute function rebate.forbid_change();

-- ============================================================ policies
alter table rebate.exchanges enable row level security;
alter table rebate.points_transfers enable row level security;

create policy "Members can read their own exchanges"
  on rebate.exchanges for select to authenticated using (member_id = (select auth.uid()));
create policy "Members can read the transfers they sent or received"
  on rebate.points_transfers for select to authenticated
  using (from_member_id = (select auth.uid()) or to_member_id = (select auth.uid()));

-- ============================================================ grants
revoke all on rebate.exchanges, rebate.points_transfers from public, anon, authenticated, service_role;
grant select on rebate.exchanges, rebate.points_transfers to service_role;

revoke all on function rebate.exchange_terms(rebate.entries, text, rebate.settings),
  rebate.check_exchange(rebate.entries, text, rebate.settings), rebate.check_exchange_target(text)
  from public, anon, authenticated;

revoke all on function public.preview_exchange(bigint, text), public.exchange_entry(bigint, text),
  public.transfer_points(text, bigint)
  from public, anon, authenticated, service_role;
grant execute on function public.preview_exchange(bigint, text), public.exchange_entry(bigint, text),
  public.transfer_points(text, bigint)
  to authenticated;

-- ============================================================ data
insert into rebate.ledger_reasons (code, label) values
  ('entry_exchange',       '排队名额兑换'),
  ('points_transfer_out',  '积分转赠（转出）'),
  ('points_transfer_in',   '积分转赠（转入）'),
  ('random_return_points', '随机返积分'),
  ('refund_points_back',   '退款扣回积分'),
  ('refund_love_back',     '退款扣回爱心值');
