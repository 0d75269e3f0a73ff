-- Wallets and the append-only ledger (SPEC §9): every balance change of cash rebate,
-- commission, points or love value is one ledger row with balance before and after,
-- its reason and its source. Balances never go negative.
-- Units: cash and commission in fen; points are whole points (1 point deducts 1 fen);
-- love value (爱心值) is kept in fen units (1.00 爱心值 = 100, deducts 1.00 yuan).

-- ============================================================ tables
-- Hot tables (wallets, ledger, messages here; queues, orders, lines, entries in the engine)
-- hold their row invariants in ONE check constraint that calls a plpgsql function on the
-- whole row: PostgreSQL re-parses every CHECK expression for each INSERT/UPDATE statement,
-- and on the settlement path a dozen plain CHECKs cost more than the statement itself; one
-- function call is about twenty times cheaper. Each function raises check_violation
-- (23514) naming the broken invariant. Cold tables keep plain CHECK constraints.
create table rebate.wallets (
  member_id        uuid primary key references rebate.members (id),
  cash_fen         bigint not null default 0,          -- 可提现余额 / 返现
  commission_fen   bigint not null default 0,          -- 佣金
  points           bigint not null default 0,          -- 积分
  love_fen         bigint not null default 0,          -- 爱心值 (available)
  love_frozen_fen  bigint not null default 0,          -- 爱心值 (frozen)
  updated_at       timestamptz not null default now()
) with (fillfactor = 80);

-- Why a balance changed. Later issues add their reasons here.
create table rebate.ledger_reasons (
  code   text primary key check (code ~ '^[a-z][a-z0-9_]{1,39}$'),
  label  text not null
);

create table rebate.ledger (
  id               bigint generated always as identity primary key,
  member_id        uuid not null references rebate.wallets (member_id),
  asset            text not null,         -- cash | commission | points | love | love_frozen
  delta            bigint not null,
  balance_before   bigint not null,
  balance_after    bigint not null,
  reason           text not null,         -- a rebate.ledger_reasons code (reconcile() checks it)
  -- the source: whichever of these apply
  order_id         bigint,
  entry_id         bigint,
  distribution_id  bigint,
  refund_id        bigint,
  created_at       timestamptz not null default now()
);

-- In-app messages (SPEC §12), written in the same transaction as the event.
create table rebate.messages (
  id          bigint generated always as identity primary key,
  member_id   uuid not null,             -- a member (no foreign key: notifications stay off the hot path)
  kind        text not null,
  title       text not null,
  body        text not null,
  entry_id    bigint,
  order_id    bigint,
  amount_fen  bigint,
  read_at     timestamptz,
  created_at  timestamptz not null default now()
);

-- ============================================================ functions (row invariants)
create or replace function rebate.invariant_failed(p_name text) returns boolean
language plpgsql immutable
as $$
begin
  raise exception using errcode = 'check_violation', message = p_name,
    hint = '数据校验失败：' || p_name;
end;
$$;

create or replace function rebate.wallet_ok(r rebate.wallets) returns boolean
language plpgsql immutable
as $$
begin
  if r.cash_fen < 0 or r.commission_fen < 0 or r.points < 0 or r.love_fen < 0 or r.love_frozen_fen < 0 then
    return rebate.invariant_failed('wallets_non_negative');
  end if;
  return true;
end;
$$;

create or replace function rebate.ledger_ok(r rebate.ledger) returns boolean
language plpgsql immutable
as $$
begin
  if r.asset not in ('cash', 'commission', 'points', 'love', 'love_frozen') then
    return rebate.invariant_failed('ledger_asset');
  end if;
  if r.delta = 0 or r.balance_before < 0 or r.balance_after < 0 then
    return rebate.invariant_failed('ledger_amounts');
  end if;
  if r.balance_before + r.delta <> r.balance_after then
    return rebate.invariant_failed('ledger_balance');
  end if;
  return true;
end;
$$;

create or replace function rebate.message_ok(r rebate.messages) returns boolean
language plpgsql immutable
as $$
begin
  if char_length(r.kind) not between 1 and 32 or char_length(r.title) not between 1 and 40
     or char_length(r.body) not between 1 and 200 then
    return rebate.invariant_failed('messages_text');
  end if;
  return true;
end;
$$;

alter table rebate.wallets add constraint wallets_invariants check (rebate.wallet_ok(wallets));
alter table rebate.ledger add constraint ledger_invariants check (rebate.ledger_ok(ledger));
alter table rebate.messages add constraint messages_invariants check (rebate.message_ok(messages));

-- ============================================================ indexes
create index ledger_member_idx on rebate.ledger (member_id, id);
create index messages_member_idx on rebate.messages (member_id, id);
create index messages_unread_idx on rebate.messages (member_id, id) where read_at is null;

-- ============================================================ functions
-- Ledger rows are never changed or removed: a correction is a new row.
create or replace function rebate.forbid_change() returns trigger
language plpgsql set search_path = ''
as $$
begin
  raise exception using errcode = 'P0001', message = 'append_only',
    hint = '该记录只能追加，不能修改或删除';
end;
$$;

create trigger ledger_append_only before update or delete on rebate.ledger
  for each row execute function rebate.forbid_change();
create trigger ledger_no_truncate before truncate on rebate.ledger
  for each statement execute function rebate.forbid_change();

-- Every member has a wallet from the start.
create or replace function rebate.members_after_insert() returns trigger
language plpgsql set search_path = ''
as $$
begin
  insert into rebate.wallets (member_id) values (new.id) on conflict do nothing;
  return null;
end;
$$;

create trigger members_create_wallet after insert on rebate.members
  for each row execute function rebate.members_after_insert();

-- Applies one balance change and writes its ledger row; returns the balance after.
-- The caller locks wallets in sorted member order first when it touches several.
-- A debit larger than the balance raises insufficient_<asset>.
create or replace function rebate.wallet_apply(
  p_member_id uuid, p_asset text, p_delta bigint, p_reason text,
  p_order_id bigint default null, p_entry_id bigint default null,
  p_distribution_id bigint default null, p_refund_id bigint default null)
returns bigint
language plpgsql volatile set search_path = ''
as $$
declare
  v_after bigint;
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
  returning balance_after into v_after;
  if not found then
    if not exists (select 1 from rebate.wallets w where w.member_id = p_member_id) then
      raise exception using errcode = 'P0001', message = 'wallet_not_found', hint = '钱包不存在';
    end if;
    raise exception using errcode = 'P0001', message = 'insufficient_' || p_asset,
      hint = case p_asset when 'points' then '积分不足' when 'love' then '爱心值不足' else '余额不足' end;
  end if;
  return v_after;
end;
$$;

-- The signed-in member's balances.
create or replace function public.my_wallet()
returns table (cash_fen bigint, commission_fen bigint, points bigint, love_fen bigint, love_frozen_fen bigint)
language plpgsql stable security definer set search_path = ''
as $$
declare
  v_uid uuid := rebate.require_member();
begin
  return query
    select w.cash_fen, w.commission_fen, w.points, w.love_fen, w.love_frozen_fen
      from rebate.wallets w where w.member_id = v_uid;
end;
$$;

-- The signed-in member's ledger, newest first; page with p_before_id (the last id seen).
create or replace function public.my_ledger(p_asset text default null, p_before_id bigint default null,
                                            p_limit integer default 20)
returns table (id bigint, asset text, delta bigint, balance_before bigint, balance_after bigint,
               reason text, reason_label text, order_id bigint, entry_id bigint, created_at timestamptz)
language plpgsql stable security definer set search_path = ''
as $$
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
$$;

-- The signed-in member's messages, newest first.
create or replace function public.my_messages(p_unread_only boolean default false, p_before_id bigint default null,
                                              p_limit integer default 20)
returns table (id bigint, kind text, title text, body text, entry_id bigint, order_id bigint,
               amount_fen bigint, read_at timestamptz, created_at timestamptz)
language plpgsql stable security definer set search_path = ''
as $$
declare
  v_uid uuid := rebate.require_member();
begin
  if p_limit is null or p_limit not between 1 and 100 then
    raise exception using errcode = 'P0001', message = 'invalid_limit', hint = '每页数量应在 1 到 100 之间';
  end if;
  return query
    select m.id, m.kind, m.title, m.body, m.entry_id, m.order_id, m.amount_fen, m.read_at, m.created_at
      from rebate.messages m
     where m.member_id = v_uid
       and (not coalesce(p_unread_only, false) or m.read_at is null)
       and (p_before_id is null or m.id < p_before_id)
     order by m.id desc
     limit p_limit;
end;
$$;

-- Marks the given messages (or, with null, all of them) read; returns how many changed.
create or replace function public.mark_messages_read(p_ids bigint[] default null) returns integer
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_uid uuid := rebate.require_member();
  v_n integer;
begin
  if p_ids is not null and cardinality(p_ids) > 500 then
    raise exception using errcode = 'P0001', message = 'invalid_limit', hint = '一次最多标记 500 条';
  end if;
  update rebate.messages m set read_at = now()
   where m.member_id = v_uid and m.read_at is null
     and (p_ids is null or m.id = any (p_ids));
  get diagnostics v_n = row_count;
  return v_n;
end;
$$;

-- ============================================================ policies
alter table rebate.wallets enable row level security;
alter table rebate.ledger_reasons enable row level security;
alter table rebate.ledger enable row level security;
alter table rebate.messages enable row level security;

create policy "Members can read their own wallet"
  on rebate.wallets for select to authenticated using (member_id = (select auth.uid()));
create policy "Members can read their own ledger"
  on rebate.ledger for select to authenticated using (member_id = (select auth.uid()));
create policy "Members can read their own messages"
  on rebate.messages for select to authenticated using (member_id = (select auth.uid()));
create policy "Signed-in members can read ledger reasons"
  on rebate.ledger_reasons for select to authenticated using (true);

-- ============================================================ grants
revoke all on rebate.wallets, rebate.ledger_reasons, rebate.ledger, rebate.messages
  from public, anon, authenticated, service_role;
grant select on rebate.wallets, rebate.ledger_reasons, rebate.ledger, rebate.messages to service_role;

revoke all on function rebate.forbid_change(), rebate.members_after_insert(), rebate.invariant_failed(text),
  rebate.wallet_ok(rebate.wallets), rebate.ledger_ok(rebate.ledger), rebate.message_ok(rebate.messages),
  rebate.wallet_apply(uuid, text, bigint, text, bigint, bigint, bigint, bigint)
  from public, anon, authenticated;

revoke all on function public.my_wallet(), public.my_ledger(text, bigint, integer),
  public.my_messages(boolean, bigint, integer), public.mark_messages_read(bigint[])
  from public, anon, authenticated, service_role;
grant execute on function public.my_wallet(), public.my_ledger(text, bigint, integer),
  public.my_messages(boolean, bigint, integer), public.mark_messages_read(bigint[])
  to authenticated;

-- ============================================================ data
insert into rebate.wallets (member_id) select m.id from rebate.members m on conflict do nothing;

insert into rebate.ledger_reasons (code, label) values
  ('queue_rebate',        '排队返利'),
  ('order_deduction',     '订单抵扣'),
  ('order_cancel_return', '订单取消退回'),
  ('order_refund_return', '订单退款退回'),
  ('admin_adjustment',    '后台调整');
