-- Batched settlement: a payment is accepted first and settled in queue batches.
--
-- Until now a payment notification settled its order in its own transaction: it locked the
-- queue row, settled, and kept the lock until its COMMIT had come back from the client and
-- its WAL had reached the disk. On one busy queue every payment waited for the one before it
-- to finish all of that, and most of the time the queue row was held nobody was working.
--
-- Now a payment is two steps:
--   1. accept_payment: the order becomes paid and goes into the settle inbox of its queue (the
--      lowest queue id of its lines). If nobody is settling that queue at the moment, it is
--      settled right away in the same transaction; it never waits for the queue.
--   2. settle_pending(queue), only when step 1 found the queue busy: as soon as the queue row
--      is free (unless the settler took this order along meanwhile), lock it and settle the
--      queue's inbox oldest first, each order in its own subtransaction (all of it or none of
--      it), one commit for the batch. So on a busy queue whoever gets the row next settles
--      everything accepted meanwhile in one go: the row is held once per batch, not per order.
--
-- Every order is still settled atomically by rebate.settle_order, exactly as before, and in
-- FIFO order of acceptance: a batch stops at an order whose settlement fails (later orders
-- wait behind it) and that order is retried first. After three failures it is parked, the
-- queue moves on, and reconcile() reports it (settle_inbox_parked).
--
-- Deadlocks: a batch keeps every queue row and wallet it touched locked until its commit, so
-- two settlers of different queues could each hold what the other wants next. Hence: (1) a
-- transaction that has settled an order never waits for another queue row (it tries to take
-- it: an order in several queues, the sweep's next queue) and waits for a wallet only 20 ms;
-- only a settler that holds nothing but its own queue waits, and those lock queues, then
-- wallets, each in id order, so they cannot wait in a circle; (2) such a lock conflict is
-- nobody's fault: the order is not charged an attempt, the batch stops with `retry`, and the
-- caller (pay-notify) settles again in a new transaction, after the commit that gave way.
--
-- mark_order_paid keeps its contract (the order is settled when it returns): it accepts and
-- then settles its queue's inbox up to and including its own order. complete_order and
-- refund_order settle an accepted order first. pay-notify uses the two steps. A sweep
-- (pg_cron every minute where available, the local stack's timer) settles whatever is left.

-- ============================================================ tables
-- queue_id has no foreign key on purpose: checking it would take a key-share lock on the queue
-- row for every payment accepted while a settler holds that row, and PostgreSQL records such
-- shared lockers of one row in a multixact, on the hottest row there is. It comes from
-- queue_for_line, and queues are never deleted.
create table rebate.settle_inbox (
  id bigint generated always as identity primary key,   -- acceptance order = settlement order
  order_id bigint not null unique references rebate.orders (id),
  queue_id bigint not null,
  -- the order's lines join more than this queue: its other queues are taken only when that
  -- cannot deadlock (settle_locked_inbox)
  multi_queue boolean not null default false,
  accepted_at timestamptz not null default now(),
  attempts integer not null default 0 check (attempts between 0 and 3),
  last_error text check (char_length(last_error) <= 300)
);

-- ============================================================ indexes
create index settle_inbox_queue_idx on rebate.settle_inbox (queue_id, id);

-- ============================================================ row level security
-- Only the definer functions below write the inbox; service_role reads it, as every engine table.
alter table rebate.settle_inbox enable row level security;
revoke all on rebate.settle_inbox from public, anon, authenticated, service_role;
grant select on rebate.settle_inbox to service_role;

-- ============================================================ functions
-- After this many failed settlements an accepted order is parked (left for an operator).
create or replace function rebate.settle_max_attempts() returns integer
language sql immutable
as $$ select 3 $$;

-- The payment result the API returns; `settled` = the order has left the settle inbox.
-- (plpgsql, not SQL: a SQL function that cannot be inlined is parsed again on every call.)
create or replace function rebate.payment_result(o rebate.orders, p_replayed boolean) returns jsonb
language plpgsql stable set search_path = ''
as $$
begin
  return jsonb_build_object('order_id', o.id, 'order_no', o.order_no, 'status', o.status,
                            'payment_ref', o.payment_ref, 'paid_fen', o.pay_fen, 'paid_at', o.paid_at,
                            'replayed', p_replayed,
                            'settled', not exists (select 1 from rebate.settle_inbox i where i.order_id = o.id));
end;
$$;

-- Step 1: a payment notification is checked and recorded; the order goes into the inbox of
-- its queue (settle_queue_id). If no one is settling that queue at this moment, the inbox is
-- settled right here (the order with it); otherwise the order waits for step 2. An order that
-- joins no queue is settled at once: there is no queue order to keep. Idempotent on
-- p_payment_ref: a repeat returns the order (replayed).
create or replace function rebate.accept_payment(p_order_no text, p_payment_ref text, p_paid_fen bigint,
  out o rebate.orders, out replayed boolean, out settle_queue_id bigint)
language plpgsql volatile set search_path = ''
as $$
declare
  s rebate.settings;
  v_multi boolean;
begin
  if p_payment_ref is null or p_payment_ref !~ '^[A-Za-z0-9_.:|-]{1,64}$' then
    raise exception using errcode = 'P0001', message = 'invalid_payment_ref', hint = '支付单号无效';
  end if;
  select * into o from rebate.orders x where x.order_no = p_order_no for update;
  if not found then
    raise exception using errcode = 'P0001', message = 'order_not_found', hint = '订单不存在';
  end if;
  if o.payment_ref is not null then
    if o.payment_ref = p_payment_ref then
      replayed := true;
      return;
    end if;
    raise exception using errcode = 'P0001', message = 'order_already_paid', hint = '订单已支付';
  end if;
  if o.status <> 'pending' then
    raise exception using errcode = 'P0001', message = 'order_not_pending', hint = '订单已关闭，不能支付';
  end if;
  if p_paid_fen is distinct from o.pay_fen then
    raise exception using errcode = 'P0001', message = 'paid_amount_mismatch', hint = '支付金额与订单不符';
  end if;
  if exists (select 1 from rebate.orders x where x.payment_ref = p_payment_ref) then
    raise exception using errcode = 'P0001', message = 'payment_ref_conflict', hint = '支付单号已被其他订单使用';
  end if;
  replayed := false;
  select * into s from rebate.settings x where x.id = 1;
  update rebate.orders x set status = 'paid', payment_ref = p_payment_ref, paid_at = now()
   where x.id = o.id
   returning * into o;
  select min(f.queue_id), count(distinct f.queue_id) > 1 into settle_queue_id, v_multi
    from rebate.order_lines l
   cross join lateral rebate.queue_for_line(l, o, s) f
   where l.order_id = o.id and l.refunded_at is null;
  if settle_queue_id is null then
    perform rebate.settle_order(o, s, 'paid');
    return;
  end if;
  insert into rebate.settle_inbox (order_id, queue_id, multi_queue) values (o.id, settle_queue_id, v_multi);
  -- a queue nobody is settling right now is settled here, in this transaction (most queues,
  -- most of the time); a busy one is left to its settler and to settle_pending
  if rebate.take_queue_for_settling(settle_queue_id, false) then
    perform rebate.settle_locked_inbox(settle_queue_id, 50);
  end if;
end;
$$;

-- Whether this transaction has settled an order already. Such a transaction holds the queue
-- rows and wallets of what it settled until it commits, so it must not wait for another
-- queue row: the settler of that queue may be waiting for one of them (a deadlock).
create or replace function rebate.tx_has_settled() returns boolean
language sql stable
as $$ select coalesce(current_setting('rebate.tx_has_settled', true), '') = 'on' $$;

-- How long a transaction that has settled an order waits for a row lock before giving way.
create or replace function rebate.settler_lock_timeout() returns text
language sql immutable
as $$ select '20ms'::text $$;

-- Lock conflicts between settlers: nothing of the order was applied and the order is not at
-- fault; settling again in a new transaction succeeds.
create or replace function rebate.is_lock_conflict(p_sqlstate text) returns boolean
language sql immutable
as $$ select p_sqlstate in ('40P01', '40001', '55P03') $$;   -- deadlock, serialization, lock not available

-- Takes the other queue rows an order joins besides p_lead (which the caller holds), without
-- waiting; raises lock_not_available if one is busy (the caller's subtransaction then gives
-- back whatever it took).
create or replace function rebate.take_other_queues_now(o rebate.orders, s rebate.settings, p_lead bigint) returns void
language plpgsql volatile set search_path = ''
as $$
declare
  v_wanted bigint[];
  v_taken integer;
begin
  select array_agg(distinct f.queue_id) into v_wanted
    from rebate.order_lines l
   cross join lateral rebate.queue_for_line(l, o, s) f
   where l.order_id = o.id and l.refunded_at is null and f.queue_id <> p_lead;
  select count(*) into v_taken from (
    select 1 from rebate.queues q where q.id = any (v_wanted) order by q.id for no key update skip locked) t;
  if v_taken < coalesce(cardinality(v_wanted), 0) then
    raise exception using errcode = '55P03', message = 'queue_busy', hint = '队列正在结算，稍后重试';
  end if;
end;
$$;

-- Step 2: settle up to p_max accepted orders of one queue, oldest first, while the caller holds
-- the queue row (see below): one settler per queue at a time. Each order is settled in its
-- own subtransaction; at the first failure the settler stops (FIFO: later orders wait) and
-- the failure is recorded (a lock conflict is not charged an attempt: `retry`). After each
-- batch it looks again (a new snapshot) and goes on with whatever was accepted meanwhile.
-- p_max stays at most 50 so that a call's subtransactions fit in the per-backend cache
-- PostgreSQL keeps for them (64).
create or replace function rebate.settle_locked_inbox(p_queue_id bigint, p_max integer,
  out settled integer, out retry boolean)
language plpgsql volatile set search_path = ''
as $$
declare
  v_max constant integer := least(greatest(p_max, 1), 50);
  s rebate.settings;
  o rebate.orders;
  b record;
  v_batch integer;
  k record;
  v_lock_timeout constant text := current_setting('lock_timeout');   -- the caller's, given back on return
begin
  settled := 0;
  retry := false;
  select * into k from rebate.settler_key(p_queue_id);
  perform pg_advisory_xact_lock(k.k1, k.k2);   -- the caller holds the queue row (see settler_waits)
  select * into s from rebate.settings x where x.id = 1;
  loop
    v_batch := 0;
    for b in
      select i.id, i.order_id, i.multi_queue from rebate.settle_inbox i
       where i.queue_id = p_queue_id and i.attempts < rebate.settle_max_attempts()
       order by i.id
       limit v_max - settled
    loop
      begin
        select * into o from rebate.orders x where x.id = b.order_id for update;
        if b.multi_queue and rebate.tx_has_settled() then
          perform rebate.take_other_queues_now(o, s, p_queue_id);
        end if;
        perform rebate.settle_order(o, s, 'paid');
        delete from rebate.settle_inbox i where i.id = b.id;
      exception when others then
        update rebate.settle_inbox i set
          attempts = i.attempts + case when rebate.is_lock_conflict(sqlstate) then 0 else 1 end,
          last_error = left(sqlstate || ' ' || sqlerrm, 300)
         where i.id = b.id;
        retry := rebate.is_lock_conflict(sqlstate);
        perform set_config('lock_timeout', v_lock_timeout, true);
        return;
      end;
      if not rebate.tx_has_settled() then
        -- from now on this transaction holds queue rows and wallets another settler may wait
        -- for: it waits for a wallet only briefly, then gives way (lock_not_available, retry)
        -- instead of risking a deadlock, which PostgreSQL would only find after a second
        perform set_config('rebate.tx_has_settled', 'on', true);
        perform set_config('lock_timeout', rebate.settler_lock_timeout(), true);
      end if;
      settled := settled + 1;
      v_batch := v_batch + 1;
    end loop;
    exit when v_batch = 0 or settled >= v_max;
  end loop;
  perform set_config('lock_timeout', v_lock_timeout, true);
end;
$$;

-- Takes the queue row for settling, the way an UPDATE of it locks it (no key update: the
-- key-share locks other tables' foreign keys take on it never wait for a settler). With
-- p_wait it waits for the current holder; without, it returns false if the row is held.
create or replace function rebate.take_queue_for_settling(p_queue_id bigint, p_wait boolean) returns boolean
language plpgsql volatile set search_path = ''
as $$
begin
  if p_wait then
    perform 1 from rebate.queues q where q.id = p_queue_id for no key update;
  else
    perform 1 from rebate.queues q where q.id = p_queue_id for no key update skip locked;
  end if;
  return found;
end;
$$;

-- Settles the queue's inbox now, waiting for its current settler if there is one (unless this
-- transaction has settled something already: then it only tries, and says `retry` if the
-- queue is busy). For callers that need this very queue settled before they go on.
create or replace function rebate.settle_queue_inbox(p_queue_id bigint, p_max integer,
  out settled integer, out retry boolean)
language plpgsql volatile set search_path = ''
as $$
begin
  if not rebate.take_queue_for_settling(p_queue_id, not rebate.tx_has_settled()) then
    settled := 0;
    retry := true;
    return;
  end if;
  select * into settled, retry from rebate.settle_locked_inbox(p_queue_id, p_max);
end;
$$;

-- The same for a payment notification's second step: instead of queueing behind the settler
-- for the queue row (and then, most of the time, finding that the settler took this order
-- along), it waits until the settler is done (settler_waits), looks whether anything of the
-- queue still waits, and settles it if the queue row is free. It returns when the queue's
-- inbox is empty (every order accepted before the call is settled, or parked) or after
-- settling a batch itself, so an accepted order is never left without a caller looking after
-- it (beyond 50 waiting orders, or behind a failing one, the sweep finishes the work).
create or replace function rebate.settle_queue_inbox_when_free(p_queue_id bigint, p_max integer,
  out settled integer, out retry boolean)
language plpgsql volatile set search_path = ''
as $$
begin
  settled := 0;
  retry := false;
  loop
    if not exists (select 1 from rebate.settle_inbox i
                    where i.queue_id = p_queue_id and i.attempts < rebate.settle_max_attempts()) then
      return;
    end if;
    if rebate.take_queue_for_settling(p_queue_id, false) then
      select * into settled, retry from rebate.settle_locked_inbox(p_queue_id, p_max);
      return;
    end if;
    perform rebate.settler_waits(p_queue_id);
  end loop;
end;
$$;

-- The settler of a queue also holds an advisory lock on it (settler_key) for its transaction.
-- Waiting for the settler to finish = taking that lock shared and letting it go at once: the
-- waiters do not hold the queue row, do not line up for it one by one, and do not poll.
create or replace function rebate.settler_key(p_queue_id bigint, out k1 integer, out k2 integer)
language sql immutable
as $$ select 20261125, (p_queue_id % 2147483647)::integer $$;

create or replace function rebate.settler_waits(p_queue_id bigint) returns void
language plpgsql volatile set search_path = ''
as $$
declare
  k record;
begin
  select * into k from rebate.settler_key(p_queue_id);
  if pg_try_advisory_lock_shared(k.k1, k.k2) then
    -- no settler: the row is held by something else for a moment (a refund, an exchange), or
    -- a settler is just taking the key; look again shortly
    perform pg_advisory_unlock_shared(k.k1, k.k2);
    perform pg_sleep(0.001);
  else
    perform pg_advisory_lock_shared(k.k1, k.k2);
    perform pg_advisory_unlock_shared(k.k1, k.k2);
  end if;
end;
$$;

-- Settles an accepted order now, with every order accepted before it in its queue. Called by
-- whatever needs the order settled before it goes on (mark_order_paid, complete_order,
-- refund_order), before it locks the order: the settler locks the queue before the orders.
-- Returns false when the order is still waiting (its settlement, or one before it, failed).
create or replace function rebate.settle_accepted_order(p_order_id bigint) returns boolean
language plpgsql volatile set search_path = ''
as $$
declare
  v_queue bigint;
begin
  select i.queue_id into v_queue from rebate.settle_inbox i where i.order_id = p_order_id;
  while found loop
    if (select r.settled from rebate.settle_queue_inbox(v_queue, 50) r) = 0 then
      return false;
    end if;
    perform 1 from rebate.settle_inbox i where i.order_id = p_order_id;
  end loop;
  return true;
end;
$$;

-- ------------------------------------------------------------ the API (service_role)
-- Payment notification, step 1 of 2 (pay-notify): the order is paid, and settled if its
-- queue was free (`settled`); otherwise it waits in the queue's inbox and
-- settle_pending(settle_queue_id) settles it (settle_queue_id is null once settled).
create or replace function public.accept_payment(p_order_no text, p_payment_ref text, p_paid_fen bigint) returns jsonb
language plpgsql volatile security definer set search_path = ''
as $$
declare
  a record;
begin
  select * into a from rebate.accept_payment(p_order_no, p_payment_ref, p_paid_fen);
  return rebate.payment_result(a.o, a.replayed)
         || jsonb_build_object('settle_queue_id',
                               (select i.queue_id from rebate.settle_inbox i where i.order_id = (a.o).id));
end;
$$;

-- Step 2 of 2, and the sweep: settles accepted orders of one queue (up to p_max, at most
-- 50), or with no queue given, of every queue that has some (queues in id order; a queue
-- another settler holds is left to it). `retry`: it stopped at a lock conflict with another
-- settler, and calling again (a new transaction) goes on.
create or replace function public.settle_pending(p_queue_id bigint default null, p_max integer default 50) returns jsonb
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_queue bigint;
  r record;
  n integer := 0;
  v_retry boolean := false;
begin
  if p_max is null or p_max < 1 then
    raise exception using errcode = 'P0001', message = 'invalid_batch_size', hint = '批量结算数量无效';
  end if;
  if p_queue_id is not null then
    select * into r from rebate.settle_queue_inbox_when_free(p_queue_id, p_max);
    n := r.settled;
    v_retry := r.retry;
  else
    for v_queue in
      select distinct i.queue_id from rebate.settle_inbox i
       where i.attempts < rebate.settle_max_attempts()
       order by i.queue_id
    loop
      select * into r from rebate.settle_queue_inbox(v_queue, p_max);
      n := n + r.settled;
      v_retry := v_retry or r.retry;
    end loop;
  end if;
  return jsonb_build_object('settled', n,
                            'waiting', (select count(*) from rebate.settle_inbox i
                                         where p_queue_id is null or i.queue_id = p_queue_id),
                            'retry', v_retry);
end;
$$;

-- Payment notification in one call: accepted, then settled with everything accepted before it
-- in its queue. `settled` is false only if that settlement failed (the order stays accepted;
-- the sweep retries it).
create or replace function public.mark_order_paid(p_order_no text, p_payment_ref text, p_paid_fen bigint) returns jsonb
language plpgsql volatile security definer set search_path = ''
as $$
declare
  a record;
begin
  select * into a from rebate.accept_payment(p_order_no, p_payment_ref, p_paid_fen);
  if a.settle_queue_id is not null then
    perform rebate.settle_accepted_order((a.o).id);
  end if;
  return rebate.payment_result(a.o, a.replayed);
end;
$$;

-- An administrator puts a parked order back (once its cause is fixed): its attempts start
-- again and its queue is settled now. It settles behind the orders that went on meanwhile.
create or replace function public.admin_retry_settlement(p_order_no text) returns jsonb
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_order_id bigint;
  v_settled boolean;
begin
  perform rebate.require_admin();
  update rebate.settle_inbox i set attempts = 0
    from rebate.orders o
   where o.order_no = p_order_no and i.order_id = o.id
  returning i.order_id into v_order_id;
  if not found then
    raise exception using errcode = 'P0001', message = 'order_not_awaiting_settlement', hint = '该订单没有待结算的记录';
  end if;
  v_settled := rebate.settle_accepted_order(v_order_id);
  return jsonb_build_object('order_no', p_order_no, 'settled', v_settled,
                            'last_error', (select i.last_error from rebate.settle_inbox i where i.order_id = v_order_id));
end;
$$;

-- complete_order and refund_order move to the private schema; the API versions settle an
-- accepted order first, then do what they did.
alter function public.complete_order(text) set schema rebate;
alter function public.refund_order(text, text, integer[]) set schema rebate;
revoke all on function rebate.complete_order(text), rebate.refund_order(text, text, integer[])
  from public, anon, authenticated, service_role;

create or replace function public.complete_order(p_order_no text) returns jsonb
language plpgsql volatile security definer set search_path = ''
as $$
begin
  perform rebate.settle_accepted_order(x.id) from rebate.orders x where x.order_no = p_order_no;
  return rebate.complete_order(p_order_no);
end;
$$;

create or replace function public.refund_order(p_order_no text, p_refund_ref text, p_line_nos integer[] default null)
returns jsonb
language plpgsql volatile security definer set search_path = ''
as $$
begin
  perform rebate.settle_accepted_order(x.id) from rebate.orders x where x.order_no = p_order_no;
  return rebate.refund_order(p_order_no, p_refund_ref, p_line_nos);
end;
$$;

-- ------------------------------------------------------------ reconcile
-- Accepted orders that are not settled: parked ones (expected 0 failed attempts left), and
-- paid orders with a line that never joined (no queue, no reason) that are not in the inbox.
create or replace function rebate.reconcile_check_settlement() returns table (
  check_name text, subject text, expected bigint, actual bigint)
language sql stable set search_path = ''
as $$
  select 'settle_inbox_parked', i.order_id::text, 0::bigint, i.attempts::bigint
    from rebate.settle_inbox i
   where i.attempts >= rebate.settle_max_attempts()
  union all
  select 'paid_order_not_settled', o.id::text, 0::bigint, count(*)
    from rebate.orders o
    join rebate.order_lines l on l.order_id = o.id
   where o.paid_at is not null and l.refunded_at is null and l.queue_id is null and l.no_entry_reason is null
     and not exists (select 1 from rebate.settle_inbox i where i.order_id = o.id)
   group by o.id
$$;

-- ============================================================ grants
revoke all on function rebate.settle_max_attempts(), rebate.payment_result(rebate.orders, boolean),
  rebate.accept_payment(text, text, bigint), rebate.settle_locked_inbox(bigint, integer),
  rebate.tx_has_settled(), rebate.is_lock_conflict(text), rebate.settler_lock_timeout(),
  rebate.take_other_queues_now(rebate.orders, rebate.settings, bigint),
  rebate.take_queue_for_settling(bigint, boolean), rebate.settle_queue_inbox(bigint, integer),
  rebate.settle_queue_inbox_when_free(bigint, integer),
  rebate.settler_key(bigint), rebate.settler_waits(bigint),
  rebate.settle_accepted_order(bigint), rebate.reconcile_check_settlement()
  from public, anon, authenticated, service_role;
revoke all on function public.admin_retry_settlement(text) from public, anon, service_role;
grant execute on function public.admin_retry_settlement(text) to authenticated;
revoke all on function public.accept_payment(text, text, bigint), public.settle_pending(bigint, integer),
  public.mark_order_paid(text, text, bigint), public.complete_order(text), public.refund_order(text, text, integer[])
  from public, anon, authenticated;
grant execute on function public.accept_payment(text, text, bigint), public.settle_pending(bigint, integer),
  public.mark_order_paid(text, text, bigint), public.complete_order(text), public.refund_order(text, text, integer[])
  to service_role;

-- ============================================================ schedule
-- The sweep: every minute where pg_cron exists (the local stack calls it on its timer).
do $$
begin
  if exists (select 1 from pg_extension where extname = 'pg_cron') then
    execute $cron$select cron.schedule('rebate-settle-pending', '* * * * *', 'select public.settle_pending()')$cron$;
  end if;
end;
$$;
