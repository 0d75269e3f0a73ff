-- Settlement: a line's terms, FIFO distribution of the extraction, crediting recipients, batched settlement through the inbox
-- SPEC §1, §3.
-- The source of truth (docs/database.md): edit here, then `npm run db:diff -- <name>` writes the migration.

-- ============================================================ types

-- A line's terms (SPEC §3–§5): its queue, why it earns no entitlement (null when it earns),
-- the ratio and the rule that chose it, the extraction ratio, and the amounts they give.
create type rebate.line_terms as (
  queue_id        bigint,
  no_entry_reason text,
  reward_bps      integer,
  rule_code       text,
  rule_label      text,
  extraction_bps  integer,
  entitlement_fen bigint,
  extraction_fen  bigint
);

-- ============================================================ tables

-- queue_id has no foreign key on purpose: checking it would take a key-share lock on the queue
-- row for every payment accepted while a settler holds that row, and PostgreSQL records such
-- shared lockers of one row in a multixact, on the hottest row there is. It comes from
-- queue_for_line, and queues are never deleted.
CREATE TABLE "rebate"."settle_inbox" (
  "id"          bigint                   GENERATED ALWAYS AS IDENTITY NOT NULL,  -- acceptance order = settlement order
  "order_id"    bigint                   NOT NULL,
  "queue_id"    bigint                   NOT NULL,
  "multi_queue" boolean                  NOT NULL DEFAULT false,
  "accepted_at" timestamp with time zone NOT NULL DEFAULT now(),
  "attempts"    integer                  NOT NULL DEFAULT 0,
  "last_error"  text,
  CONSTRAINT "settle_inbox_attempts_check" CHECK (((attempts >= 0) AND (attempts <= 3))),
  CONSTRAINT "settle_inbox_last_error_check" CHECK ((char_length(last_error) <= 300)),
  CONSTRAINT "settle_inbox_order_id_fkey" FOREIGN KEY (order_id) REFERENCES rebate.orders(id),
  CONSTRAINT "settle_inbox_order_id_key" UNIQUE (order_id),
  CONSTRAINT "settle_inbox_pkey" PRIMARY KEY (id)
);

ALTER TABLE "rebate"."settle_inbox"
  ENABLE ROW LEVEL SECURITY;

CREATE INDEX settle_inbox_queue_idx ON rebate.settle_inbox USING btree (queue_id, id);

-- ============================================================ functions

-- Step 1: a payment notification is checked and recorded; the order goes into the inbox of
-- its queue (settle_queue_id). If no one is settling that queue at this moment, the inbox is
-- settled right here (the order with it); otherwise the order waits for step 2. An order that
-- joins no queue is settled at once: there is no queue order to keep. Idempotent on
-- p_payment_ref: a repeat returns the order (replayed).
CREATE OR REPLACE FUNCTION rebate.accept_payment (
  p_order_no    text,
  p_payment_ref text,
  p_paid_fen    bigint,
  OUT           o rebate.orders,
  OUT           replayed boolean,
  OUT           settle_queue_id bigint
)
  RETURNS record
  LANGUAGE plpgsql
  SET search_path TO ''
  AS $function$
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
$function$;
comment on function rebate.accept_payment(p_order_no text, p_payment_ref text, p_paid_fen bigint, OUT o rebate.orders, OUT replayed boolean, OUT settle_queue_id bigint) is 'Step 1: a payment notification is checked and recorded; the order goes into the inbox of its queue (settle_queue_id). If no one is settling that queue at this moment, the inbox is settled right here (the order with it); otherwise the order waits for step 2. An order that joins no queue is settled at once: there is no queue order to keep. Idempotent on p_payment_ref: a repeat returns the order (replayed).';
revoke all on function rebate.accept_payment(p_order_no text, p_payment_ref text, p_paid_fen bigint, OUT o rebate.orders, OUT replayed boolean, OUT settle_queue_id bigint) from public, anon, authenticated, service_role;

-- Splits p_total over the weights in proportion, largest remainder first (ties: lower index).
-- Σ result = p_total; result[i] <= weight[i] when p_total <= Σ weights.
CREATE OR REPLACE FUNCTION rebate.allocate (
  p_total   bigint,
  p_weights bigint[]
)
  RETURNS bigint[]
  LANGUAGE plpgsql
  IMMUTABLE
  SET search_path TO ''
  AS $function$
declare
  v_sum bigint := 0;
  v_out bigint[] := '{}';
  v_left bigint;
  r record;
begin
  for i in 1 .. coalesce(cardinality(p_weights), 0) loop
    v_sum := v_sum + p_weights[i];
  end loop;
  for i in 1 .. coalesce(cardinality(p_weights), 0) loop
    v_out[i] := case when v_sum = 0 then 0 else p_total * p_weights[i] / v_sum end;
  end loop;
  if v_sum = 0 or p_total = 0 then
    return v_out;
  end if;
  v_left := p_total;
  for i in 1 .. cardinality(p_weights) loop
    v_left := v_left - v_out[i];
  end loop;
  for r in select t.i from unnest(p_weights) with ordinality t(w, i)
            order by (p_total * t.w) % v_sum desc, t.i limit v_left loop
    v_out[r.i] := v_out[r.i] + 1;
  end loop;
  return v_out;
end;
$function$;
comment on function rebate.allocate(p_total bigint, p_weights bigint[]) is 'Splits p_total over the weights in proportion, largest remainder first (ties: lower index). Σ result = p_total; result[i] <= weight[i] when p_total <= Σ weights.';
revoke all on function rebate.allocate(p_total bigint, p_weights bigint[]) from public, anon, authenticated, service_role;

-- One distribution reaches its recipient: cash rebate in the wallet (with its ledger row)
-- and a message.
CREATE OR REPLACE FUNCTION rebate.credit_rebate (
  p_member_id       uuid,
  p_entry_id        bigint,
  p_order_id        bigint,
  p_distribution_id bigint,
  p_amount_fen      bigint,
  p_completed       boolean,
  p_received_fen    bigint,
  p_entitlement_fen bigint,
  p_display_name    text
)
  RETURNS void
  LANGUAGE plpgsql
  SET search_path TO ''
  AS $function$
begin
  perform rebate.post_ledger(p_member_id, 'cash', p_amount_fen, 'queue_rebate', p_order_id, p_entry_id,
                              p_distribution_id, null);
  if p_completed then
    insert into rebate.messages (member_id, kind, title, body, entry_id, order_id, amount_fen)
    values (p_member_id, 'entry_completed', p_display_name || '已返满',
            '排队名额收到' || rebate.fen_text(p_amount_fen) || '，已返满' || rebate.fen_text(p_entitlement_fen),
            p_entry_id, p_order_id, p_amount_fen);
  else
    insert into rebate.messages (member_id, kind, title, body, entry_id, order_id, amount_fen)
    values (p_member_id, 'entry_received', p_display_name || '到账',
            '排队名额收到' || rebate.fen_text(p_amount_fen) || '，累计' || rebate.fen_text(p_received_fen)
              || '/' || rebate.fen_text(p_entitlement_fen),
            p_entry_id, p_order_id, p_amount_fen);
  end if;
end;
$function$;
comment on function rebate.credit_rebate(p_member_id uuid, p_entry_id bigint, p_order_id bigint, p_distribution_id bigint, p_amount_fen bigint, p_completed boolean, p_received_fen bigint, p_entitlement_fen bigint, p_display_name text) is 'One distribution reaches its recipient: cash rebate in the wallet (with its ledger row) and a message.';
revoke all on function rebate.credit_rebate(p_member_id uuid, p_entry_id bigint, p_order_id bigint, p_distribution_id bigint, p_amount_fen bigint, p_completed boolean, p_received_fen bigint, p_entitlement_fen bigint, p_display_name text) from public, anon, authenticated, service_role;

-- A line's terms, the one place they are decided: the queue it joins (queue_for_line), whether
-- it earns (line_earns_entitlement: deduction, time windows, limits), the reward ratio and its
-- rule (resolve_reward_ratio), the extraction ratio (resolve_extraction_ratio), and
-- entitlement = pay × ratio, extraction = pay × extraction ratio, each rounded half-up to the
-- fen once. In union mode (SPEC §13.2) a line that joins the union queue has no queue row: rule
-- 'union_quota', ratio union_quota_bps, entitlement = its quota, no extraction. Settlement
-- (rebate.settle_order, rebate.union_settle_order) fixes them at payment (p_take: limits are
-- counted); preview_order shows them (read only).
CREATE OR REPLACE FUNCTION rebate.line_terms (
  p_line     rebate.order_lines,
  p_order    rebate.orders,
  p_settings rebate.settings,
  p_take     boolean
)
  RETURNS rebate.line_terms
  LANGUAGE plpgsql
  SET search_path TO ''
  AS $function$
declare
  t rebate.line_terms;
  v_ratio record;
begin
  select f.queue_id, f.reason into t.queue_id, t.no_entry_reason from rebate.queue_for_line(p_line, p_order, p_settings) f;
  t.entitlement_fen := 0;
  t.extraction_fen := 0;
  if t.queue_id is null then
    if t.no_entry_reason = 'union_queue' then
      -- union mode (SPEC §13.1–13.2): the line joins the one union queue; its entry's quota is
      -- pay × union_quota_bps (rule 'union_quota'): no ratio chain, no lottery, no extraction
      t.no_entry_reason := rebate.line_earns_entitlement(p_line, p_order, p_settings, p_take);
      t.reward_bps := p_settings.union_quota_bps;
      t.rule_code := 'union_quota';
      t.rule_label := '工会分红额度';
      if t.no_entry_reason is null then
        t.entitlement_fen := rebate.bps_of(p_line.pay_fen, t.reward_bps);
        if t.entitlement_fen = 0 then
          t.no_entry_reason := 'zero_entitlement';
        end if;
      end if;
    end if;
    return t;
  end if;
  t.no_entry_reason := rebate.line_earns_entitlement(p_line, p_order, p_settings, p_take);
  select x.ratio_bps, x.rule_code, x.rule_label into v_ratio from rebate.resolve_reward_ratio(p_line, p_order, p_settings) x;
  t.reward_bps := v_ratio.ratio_bps;
  t.rule_code := v_ratio.rule_code;
  t.rule_label := v_ratio.rule_label;
  t.extraction_bps := rebate.resolve_extraction_ratio(p_line, p_order, p_settings);
  t.extraction_fen := rebate.bps_of(p_line.pay_fen, t.extraction_bps);
  if t.no_entry_reason is null then
    t.entitlement_fen := rebate.bps_of(p_line.pay_fen, t.reward_bps);
    if t.entitlement_fen = 0 then
      t.no_entry_reason := 'zero_entitlement';
    end if;
  end if;
  return t;
end;
$function$;
comment on function rebate.line_terms(p_line rebate.order_lines, p_order rebate.orders, p_settings rebate.settings, p_take boolean) is 'A line''s terms, decided in one place: queue, whether it earns, reward ratio and rule, extraction ratio, entitlement and extraction. In union mode (rule union_quota, no queue): whether it earns and its quota = pay × union_quota_bps. Settlement (p_take) and preview_order (read only).';
revoke all on function rebate.line_terms(p_line rebate.order_lines, p_order rebate.orders, p_settings rebate.settings, p_take boolean) from public, anon, authenticated, service_role;

-- Lock conflicts between settlers: nothing of the order was applied and the order is not at
-- fault; settling again in a new transaction succeeds.
CREATE OR REPLACE FUNCTION rebate.is_lock_conflict (
  p_sqlstate text
)
  RETURNS boolean
  LANGUAGE sql
  IMMUTABLE
  AS $function$ select p_sqlstate in ('40P01', '40001', '55P03') $function$;
comment on function rebate.is_lock_conflict(p_sqlstate text) is 'Lock conflicts between settlers: nothing of the order was applied and the order is not at fault; settling again in a new transaction succeeds.';
revoke all on function rebate.is_lock_conflict(p_sqlstate text) from public, anon, authenticated, service_role;

-- The payment result the API returns; `settled` = the order has left the settle inbox.
-- (plpgsql, not SQL: a SQL function that cannot be inlined is parsed again on every call.)
CREATE OR REPLACE FUNCTION rebate.payment_result (
  o          rebate.orders,
  p_replayed boolean
)
  RETURNS jsonb
  LANGUAGE plpgsql
  STABLE
  SET search_path TO ''
  AS $function$
begin
  return jsonb_build_object('order_id', o.id, 'order_no', o.order_no, 'status', o.status,
                            'payment_ref', o.payment_ref, 'paid_fen', o.pay_fen, 'paid_at', o.paid_at,
                            'replayed', p_replayed,
                            'settled', not exists (select 1 from rebate.settle_inbox i where i.order_id = o.id));
end;
$function$;
comment on function rebate.payment_result(o rebate.orders, p_replayed boolean) is 'The payment result the API returns; `settled` = the order has left the settle inbox. (plpgsql, not SQL: a SQL function that cannot be inlined is parsed again on every call.)';
revoke all on function rebate.payment_result(o rebate.orders, p_replayed boolean) from public, anon, authenticated, service_role;

-- Which queue a paid line joins, per the settings at that moment (SPEC §3), or null and why not.
-- In union mode (SPEC §13) a line that passes the gates gets reason 'union_queue': it joins the
-- one union queue (rebate.union_settle_order), which has no queue row.
CREATE OR REPLACE FUNCTION rebate.queue_for_line (
  p_line     rebate.order_lines,
  p_order    rebate.orders,
  p_settings rebate.settings,
  OUT        queue_id bigint,
  OUT        reason text
)
  RETURNS record
  LANGUAGE plpgsql
  STABLE
  SET search_path TO ''
  AS $function$
declare
  v_product rebate.products;
  v_store rebate.stores;
  v_cashier rebate.cashiers;
begin
  if not p_settings.enabled then
    reason := 'plugin_off';
    return;
  end if;
  if p_order.channel in ('mall', 'store') then
    select * into v_product from rebate.products p where p.id = p_line.product_id;
    if not v_product.listed then
      reason := 'product_delisted';
      return;
    end if;
    if not v_product.rebate_enabled then
      reason := 'product_rebate_off';
      return;
    end if;
  end if;
  if p_order.channel in ('store', 'cashier') then
    select * into v_store from rebate.stores s where s.id = p_order.store_id;
    if v_store.status <> 'approved' then
      reason := 'store_not_approved';
      return;
    end if;
  end if;

  if p_settings.programme_mode = 'union' then
    -- SPEC §13.1: one union queue for every enabled channel, settled by rebate.union_settle_order
    reason := 'union_queue';
    return;
  end if;

  if p_order.channel = 'mall' then
    if p_settings.merchant_queue then
      select q.id into queue_id from rebate.queues q where q.scope = 'mall' and q.closed_at is null;
    else
      select q.id into queue_id from rebate.queues q where q.product_id = v_product.id and q.closed_at is null;
    end if;
  elsif p_order.channel = 'store' then
    if not v_store.rebate_enabled then
      reason := 'store_rebate_off';
      return;
    end if;
    if p_settings.all_stores_queue then
      select q.id into queue_id from rebate.queues q where q.scope = 'stores' and q.closed_at is null;
    else
      select q.id into queue_id from rebate.queues q where q.store_id = v_store.id and q.closed_at is null;
    end if;
  else
    select * into v_cashier from rebate.cashiers c where c.id = p_order.cashier_id;
    if not v_cashier.rebate_enabled then
      reason := 'cashier_rebate_off';
      return;
    end if;
    if p_settings.all_cashiers_queue then
      select q.id into queue_id from rebate.queues q where q.scope = 'cashiers' and q.closed_at is null;
    else
      select q.id into queue_id from rebate.queues q where q.cashier_id = v_cashier.id and q.closed_at is null;
    end if;
  end if;
  if queue_id is null then
    reason := 'queue_closed';
  end if;
end;
$function$;
comment on function rebate.queue_for_line(p_line rebate.order_lines, p_order rebate.orders, p_settings rebate.settings, OUT queue_id bigint, OUT reason text) is 'Which queue a paid line joins, per the settings at that moment (SPEC §3), or null and why not. In union mode (SPEC §13) a line that passes the gates gets reason ''union_queue'': it joins the one union queue (rebate.union_settle_order), which has no queue row.';
revoke all on function rebate.queue_for_line(p_line rebate.order_lines, p_order rebate.orders, p_settings rebate.settings, OUT queue_id bigint, OUT reason text) from public, anon, authenticated, service_role;

-- Extraction ratio (提取比例): the most specific setting wins (SPEC §4, last line).
CREATE OR REPLACE FUNCTION rebate.resolve_extraction_ratio (
  p_line     rebate.order_lines,
  p_order    rebate.orders,
  p_settings rebate.settings
)
  RETURNS integer
  LANGUAGE plpgsql
  STABLE
  SET search_path TO ''
  AS $function$
declare
  v_bps integer;
begin
  if p_line.product_id is not null then
    select p.extraction_bps into v_bps from rebate.products p where p.id = p_line.product_id;
  end if;
  if v_bps is null and p_order.channel = 'store' then
    select s.extraction_bps into v_bps from rebate.stores s where s.id = p_order.store_id;
  elsif v_bps is null and p_order.channel = 'cashier' then
    select c.extraction_bps into v_bps from rebate.cashiers c where c.id = p_order.cashier_id;
  end if;
  return coalesce(v_bps, p_settings.extraction_bps);
end;
$function$;
comment on function rebate.resolve_extraction_ratio(p_line rebate.order_lines, p_order rebate.orders, p_settings rebate.settings) is 'Extraction ratio (提取比例): the most specific setting wins (SPEC §4, last line).';
revoke all on function rebate.resolve_extraction_ratio(p_line rebate.order_lines, p_order rebate.orders, p_settings rebate.settings) from public, anon, authenticated, service_role;

-- Settles an accepted order now, with every order accepted before it in its queue. Called by
-- whatever needs the order settled before it goes on (mark_order_paid, complete_order,
-- refund_order), before it locks the order: the settler locks the queue before the orders.
-- Returns false when the order is still waiting (its settlement, or one before it, failed).
CREATE OR REPLACE FUNCTION rebate.settle_accepted_order (
  p_order_id bigint
)
  RETURNS boolean
  LANGUAGE plpgsql
  SET search_path TO ''
  AS $function$
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
$function$;
comment on function rebate.settle_accepted_order(p_order_id bigint) is 'Settles an accepted order now, with every order accepted before it in its queue. Called by whatever needs the order settled before it goes on (mark_order_paid, complete_order, refund_order), before it locks the order: the settler locks the queue before the orders. Returns false when the order is still waiting (its settlement, or one before it, failed).';
revoke all on function rebate.settle_accepted_order(p_order_id bigint) from public, anon, authenticated, service_role;

-- Step 2: settle up to p_max accepted orders of one queue, oldest first, while the caller holds
-- the queue row (see below): one settler per queue at a time. Each order is settled in its
-- own subtransaction; at the first failure the settler stops (FIFO: later orders wait) and
-- the failure is recorded (a lock conflict is not charged an attempt: `retry`). After each
-- batch it looks again (a new snapshot) and goes on with whatever was accepted meanwhile.
-- p_max stays at most 50 so that a call's subtransactions fit in the per-backend cache
-- PostgreSQL keeps for them (64).
CREATE OR REPLACE FUNCTION rebate.settle_locked_inbox (
  p_queue_id bigint,
  p_max      integer,
  OUT        settled integer,
  OUT        retry boolean
)
  RETURNS record
  LANGUAGE plpgsql
  SET search_path TO ''
  AS $function$
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
$function$;
comment on function rebate.settle_locked_inbox(p_queue_id bigint, p_max integer, OUT settled integer, OUT retry boolean) is 'Step 2: settle up to p_max accepted orders of one queue, oldest first, while the caller holds the queue row (see below): one settler per queue at a time. Each order is settled in its own subtransaction; at the first failure the settler stops (FIFO: later orders wait) and the failure is recorded (a lock conflict is not charged an attempt: `retry`). After each batch it looks again (a new snapshot) and goes on with whatever was accepted meanwhile. p_max stays at most 50 so that a call''s subtransactions fit in the per-backend cache PostgreSQL keeps for them (64).';
revoke all on function rebate.settle_locked_inbox(p_queue_id bigint, p_max integer, OUT settled integer, OUT retry boolean) from public, anon, authenticated, service_role;

-- After this many failed settlements an accepted order is parked (left for an operator).
CREATE OR REPLACE FUNCTION rebate.settle_max_attempts()
  RETURNS integer
  LANGUAGE sql
  IMMUTABLE
  AS $function$ select 3 $function$;
comment on function rebate.settle_max_attempts() is 'After this many failed settlements an accepted order is parked (left for an operator).';
revoke all on function rebate.settle_max_attempts() from public, anon, authenticated, service_role;

-- Settlement of one order, at payment (p_event 'paid') or at completion ('completed').
-- An order paid in union mode is settled by rebate.union_settle_order instead (SPEC §13).
--
-- At payment every line joins: its terms (queue, ratios, entitlement, extraction) are computed
-- first, without any lock, by rebate.line_terms. Then each queue is locked, in
-- id order, by the one UPDATE that also hands out its positions and adds the order's totals;
-- in line order each joined line takes its position (seq) and, if it earns one, a waiting
-- entry there. If the settlement event is payment, each line's extraction is distributed
-- right after it joined. At completion the order's entries become eligible (rule "completed
-- + queue order") and the lines not settled yet (settlement event = completion) are settled.
--
-- Distribution (waterfall, SPEC §1.2): the oldest eligible waiting entry with a position below
-- the paying order's first position in that queue receives until complete, the rest flows on.
-- Each iteration completes an entry or spends the last fen: the loop is bounded by the money,
-- never by the queue length, and reads only the head, through a partial index. What finds no
-- entry is retained with its reason. Recipients' wallets are credited last, in member order.
-- Every line is written once; every queue row once (twice when extraction is retained).
CREATE OR REPLACE FUNCTION rebate.settle_order (
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
  v_rule2 constant boolean := p_settings.reward_rule = 'completed_queue_order';
  -- why extraction settled now cannot be distributed, whatever the queue
  v_hold constant text := case when not p_settings.enabled then 'plugin_off' when p_settings.paused then 'paused' end;
  l rebate.order_lines;
  e record;
  v_entry rebate.entries;
  v_terms rebate.line_terms;
  v_reason text;
  v_next bigint;
  v_head bigint;
  v_closed boolean;
  v_left bigint;
  v_dist bigint;
  n integer := 0;
  k integer;
  r record;
  -- per line (index i)
  li_id bigint[] := '{}';
  li_q bigint[] := '{}';
  li_why text[] := '{}';
  li_rbps integer[] := '{}';
  li_rcode text[] := '{}';
  li_rlabel text[] := '{}';
  li_ebps integer[] := '{}';
  li_ent bigint[] := '{}';
  li_ext bigint[] := '{}';
  li_pay bigint[] := '{}';
  li_seq bigint[] := '{}';
  li_below bigint[] := '{}';
  li_settle boolean[] := '{}';
  li_eid bigint[] := '{}';
  -- per queue (index k)
  qs bigint[] := '{}';
  v_lock_order integer[] := '{}';
  q_next bigint[] := '{}';
  q_first bigint[] := '{}';
  q_closed boolean[] := '{}';
  q_head bigint[] := '{}';
  q_head0 bigint[] := '{}';
  q_joined bigint[] := '{}';
  q_entries bigint[] := '{}';
  q_ent bigint[] := '{}';
  q_ext bigint[] := '{}';
  q_held bigint[] := '{}';
  q_left bigint[] := '{}';
  -- credits (index c)
  nc integer := 0;
  c_member uuid[] := '{}';
  c_entry bigint[] := '{}';
  c_order bigint[] := '{}';
  c_dist bigint[] := '{}';
  c_amount bigint[] := '{}';
  c_done boolean[] := '{}';
  c_received bigint[] := '{}';
  c_ent bigint[] := '{}';
begin
  -- union mode (SPEC §13): an order paid in union mode settles there, also at its completion
  if (v_join and p_settings.programme_mode = 'union')
     or (not v_join and exists (select 1 from rebate.order_lines ol where ol.order_id = p_order.id and ol.union_joined)) then
    perform rebate.union_settle_order(p_order, p_settings, p_event);
    return;
  end if;

  -- 1. the lines and their terms; no queue lock yet
  for l in select * from rebate.order_lines ol where ol.order_id = p_order.id order by ol.line_no loop
    if l.refunded_at is not null then
      continue;
    end if;
    n := n + 1;
    li_id[n] := l.id;
    li_pay[n] := l.pay_fen;
    if v_join then
      v_terms := rebate.line_terms(l, p_order, p_settings, true);
      li_q[n] := v_terms.queue_id;
      li_settle[n] := v_settle;
      li_why[n] := v_terms.no_entry_reason;
      li_ext[n] := v_terms.extraction_fen;
      li_ent[n] := v_terms.entitlement_fen;
      if v_terms.queue_id is not null then
        li_rbps[n] := v_terms.reward_bps;
        li_rcode[n] := v_terms.rule_code;
        li_rlabel[n] := v_terms.rule_label;
        li_ebps[n] := v_terms.extraction_bps;
        if li_why[n] is null then
          -- the entry's id now, so that its message is written before the queue is locked
          li_eid[n] := nextval('rebate.entries_id_seq'::regclass);
          insert into rebate.messages (member_id, kind, title, body, entry_id, order_id, amount_fen)
          values (p_order.member_id, 'entry_joined', p_settings.display_name || '排队成功',
                  '订单' || p_order.order_no || '已加入排队，待返权益' || rebate.fen_text(li_ent[n]),
                  li_eid[n], p_order.id, li_ent[n]);
        end if;
      end if;
    else
      li_q[n] := l.queue_id;
      li_settle[n] := l.settled_at is null;
      li_ext[n] := l.extraction_fen;
      li_seq[n] := l.seq;
      li_below[n] := l.pay_below_seq;
    end if;
    if li_q[n] is not null then
      k := array_position(qs, li_q[n]);
      if k is null then
        qs := qs || li_q[n];
        k := cardinality(qs);
        q_joined[k] := 0; q_entries[k] := 0; q_ent[k] := 0; q_ext[k] := 0; q_held[k] := 0; q_left[k] := 0;
      end if;
      if v_join then
        q_joined[k] := q_joined[k] + 1;
        if li_why[n] is null then
          q_entries[k] := q_entries[k] + 1;
          q_ent[k] := q_ent[k] + li_ent[n];
        end if;
      end if;
      if li_settle[n] then
        q_ext[k] := q_ext[k] + li_ext[n];
        if v_hold is not null then
          q_held[k] := q_held[k] + li_ext[n];
        end if;
      end if;
    end if;
  end loop;

  -- 2. lock each queue (in id order) with the update that hands out its positions and adds
  --    this order's totals; extraction counts as distributed until some of it is retained
  if cardinality(qs) = 1 then
    v_lock_order := array[1];
  elsif cardinality(qs) > 1 then
    v_lock_order := array(select array_position(qs, x) from unnest(qs) x order by x);
  end if;
  foreach k in array v_lock_order loop
    update rebate.queues q set
      next_seq              = q.next_seq + q_joined[k],
      joined_count          = q.joined_count + q_joined[k],
      entry_count           = q.entry_count + q_entries[k],
      total_entitlement_fen = q.total_entitlement_fen + q_ent[k],
      total_extracted_fen   = q.total_extracted_fen + q_ext[k],
      total_distributed_fen = q.total_distributed_fen + q_ext[k] - q_held[k],
      total_retained_fen    = q.total_retained_fen + q_held[k]
     where q.id = qs[k]
     returning q.next_seq - q_joined[k], q.head_seq, q.closed_at is not null into v_next, v_head, v_closed;
    q_next[k] := v_next;
    q_head[k] := v_head;
    q_head0[k] := v_head;
    q_closed[k] := v_closed;
  end loop;

  -- 3. line by line, in line order
  for i in 1 .. n loop
    k := array_position(qs, li_q[i]);
    v_left := 0;
    v_dist := 0;

    if v_join and k is not null then
      -- join: the next position of the queue, and the entry if the line earns one
      li_seq[i] := q_next[k];
      q_next[k] := q_next[k] + 1;
      if q_first[k] is null then
        q_first[k] := li_seq[i];
      end if;
      li_below[i] := q_first[k];
      if li_why[i] is null then
        insert into rebate.entries (id, queue_id, seq, member_id, order_id, line_id, base_fen, reward_bps,
                                    rule_code, rule_label, entitlement_fen)
        values (li_eid[i], li_q[i], li_seq[i], p_order.member_id, p_order.id, li_id[i], li_pay[i], li_rbps[i],
                li_rcode[i], li_rlabel[i], li_ent[i])
        returning * into v_entry;
        perform rebate.after_entry_joined(v_entry);
      end if;
    elsif not v_join and k is not null then
      -- completion: the entry becomes eligible under "completed + queue order"
      update rebate.entries en set order_completed = true
       where en.line_id = li_id[i] and en.status = 'waiting' and not en.order_completed;
    end if;

    if li_settle[i] and k is not null and li_ext[i] > 0 then
      v_left := li_ext[i];
      v_reason := coalesce(v_hold, case when q_closed[k] then 'queue_closed' end);
      if v_reason is null then
        loop
          -- one step, one statement: the head (oldest eligible waiting entry ahead of the order)
          -- receives least(money left, its remaining); the distribution is recorded
          if v_rule2 then
            with h as (
              select en.id, least(v_left, en.entitlement_fen - en.received_fen) as amt
                from rebate.entries en
               where en.queue_id = li_q[i] and en.status = 'waiting' and en.order_completed
                 and en.seq >= q_head[k] and en.seq < li_below[i]
               order by en.seq limit 1
            ), u as (
              update rebate.entries en set
                received_fen = en.received_fen + h.amt,
                status = case when en.received_fen + h.amt = en.entitlement_fen then 'completed' else 'waiting' end,
                ended_at = case when en.received_fen + h.amt = en.entitlement_fen then now() end
                from h where en.id = h.id
              returning en.id, en.seq, en.member_id, en.order_id, en.entitlement_fen, en.received_fen, h.amt
            ), d as (
              insert into rebate.distributions (queue_id, source_line_id, entry_id, member_id, amount_fen)
              select li_q[i], li_id[i], u.id, u.member_id, u.amt from u
              returning id
            )
            select u.id, u.seq, u.member_id, u.order_id, u.entitlement_fen, u.received_fen, u.amt, d.id as dist_id into e
              from u, d;
          else
            with h as (
              select en.id, least(v_left, en.entitlement_fen - en.received_fen) as amt
                from rebate.entries en
               where en.queue_id = li_q[i] and en.status = 'waiting' and en.seq >= q_head[k] and en.seq < li_below[i]
               order by en.seq limit 1
            ), u as (
              update rebate.entries en set
                received_fen = en.received_fen + h.amt,
                status = case when en.received_fen + h.amt = en.entitlement_fen then 'completed' else 'waiting' end,
                ended_at = case when en.received_fen + h.amt = en.entitlement_fen then now() end
                from h where en.id = h.id
              returning en.id, en.seq, en.member_id, en.order_id, en.entitlement_fen, en.received_fen, h.amt
            ), d as (
              insert into rebate.distributions (queue_id, source_line_id, entry_id, member_id, amount_fen)
              select li_q[i], li_id[i], u.id, u.member_id, u.amt from u
              returning id
            )
            select u.id, u.seq, u.member_id, u.order_id, u.entitlement_fen, u.received_fen, u.amt, d.id as dist_id into e
              from u, d;
          end if;
          if not found then
            -- queue order: nothing waits in [head, below) any more
            if not v_rule2 then
              q_head[k] := greatest(q_head[k], li_below[i]);
            end if;
            exit;
          end if;
          -- queue order: everything before a paid entry is done; past it too once it completes
          if not v_rule2 then
            q_head[k] := greatest(q_head[k], e.seq + case when e.received_fen = e.entitlement_fen then 1 else 0 end);
          end if;
          nc := nc + 1;
          c_member[nc] := e.member_id; c_entry[nc] := e.id; c_order[nc] := e.order_id; c_dist[nc] := e.dist_id;
          c_amount[nc] := e.amt; c_done[nc] := e.received_fen = e.entitlement_fen; c_received[nc] := e.received_fen;
          c_ent[nc] := e.entitlement_fen;
          v_dist := v_dist + e.amt;
          v_left := v_left - e.amt;
          exit when v_left = 0;
        end loop;
        v_reason := 'no_waiting_entry';
        q_left[k] := q_left[k] + v_left;
      elsif v_hold is null then
        q_left[k] := q_left[k] + v_left;    -- queue_closed: counted as distributed in step 2
      end if;
      if v_left > 0 then
        insert into rebate.retentions (queue_id, source_line_id, amount_fen, reason)
        values (li_q[i], li_id[i], v_left, v_reason);
      end if;
    end if;

    -- the line, written once
    if v_join then
      update rebate.order_lines ol set
        queue_id = li_q[i], seq = li_seq[i], pay_below_seq = li_below[i], no_entry_reason = li_why[i],
        reward_bps = li_rbps[i], reward_rule_code = li_rcode[i], reward_rule_label = li_rlabel[i],
        extraction_bps = li_ebps[i], entitlement_fen = li_ent[i], extraction_fen = li_ext[i],
        settled_at = case when li_settle[i] then now() end, distributed_fen = v_dist, retained_fen = v_left
       where ol.id = li_id[i]
       returning * into l;
    elsif li_settle[i] then
      update rebate.order_lines ol set settled_at = now(), distributed_fen = v_dist, retained_fen = v_left
       where ol.id = li_id[i]
       returning * into l;
    end if;
    if li_settle[i] then
      perform rebate.apply_order_rewards(l);
    end if;
  end loop;

  -- 4. what found no entry moves from distributed to retained, and the head moves on
  --    (a second update of the queue row only when one of them changed)
  for k in 1 .. cardinality(qs) loop
    if q_left[k] > 0 or q_head[k] > q_head0[k] then
      update rebate.queues q set
        total_distributed_fen = q.total_distributed_fen - q_left[k],
        total_retained_fen = q.total_retained_fen + q_left[k],
        head_seq = q_head[k]
       where q.id = qs[k];
    end if;
  end loop;

  -- 5. credit the recipients, wallets in member order: the balance and its ledger row, and a message
  for r in
    select t.member_id, t.entry_id, t.order_id, t.dist_id, t.amount, t.done, t.received, t.entitlement
      from unnest(c_member, c_entry, c_order, c_dist, c_amount, c_done, c_received, c_ent)
           as t(member_id, entry_id, order_id, dist_id, amount, done, received, entitlement)
     order by t.member_id, t.dist_id
  loop
    perform rebate.credit_rebate(r.member_id, r.entry_id, r.order_id, r.dist_id, r.amount, r.done, r.received,
                                 r.entitlement, p_settings.display_name);
  end loop;
end;
$function$;
comment on function rebate.settle_order(p_order rebate.orders, p_settings rebate.settings, p_event text) is 'Settlement of one order, at payment (p_event ''paid'') or at completion (''completed''). An order paid in union mode is settled by rebate.union_settle_order instead (SPEC §13).  At payment every line joins: its terms (queue, ratios, entitlement, extraction) are computed first, without any lock, by rebate.line_terms. Then each queue is locked, in id order, by the one UPDATE that also hands out its positions and adds the order''s totals; in line order each joined line takes its position (seq) and, if it earns one, a waiting entry there. If the settlement event is payment, each line''s extraction is distributed right after it joined. At completion the order''s entries become eligible (rule "completed + queue order") and the lines not settled yet (settlement event = completion) are settled.  Distribution (waterfall, SPEC §1.2): the oldest eligible waiting entry with a position below the paying order''s first position in that queue receives until complete, the rest flows on. Each iteration completes an entry or spends the last fen: the loop is bounded by the money, never by the queue length, and reads only the head, through a partial index. What finds no entry is retained with its reason. Recipients'' wallets are credited last, in member order. Every line is written once; every queue row once (twice when extraction is retained).';
revoke all on function rebate.settle_order(p_order rebate.orders, p_settings rebate.settings, p_event text) from public, anon, authenticated, service_role;

-- Settles the queue's inbox now, waiting for its current settler if there is one (unless this
-- transaction has settled something already: then it only tries, and says `retry` if the
-- queue is busy). For callers that need this very queue settled before they go on.
CREATE OR REPLACE FUNCTION rebate.settle_queue_inbox (
  p_queue_id bigint,
  p_max      integer,
  OUT        settled integer,
  OUT        retry boolean
)
  RETURNS record
  LANGUAGE plpgsql
  SET search_path TO ''
  AS $function$
begin
  if not rebate.take_queue_for_settling(p_queue_id, not rebate.tx_has_settled()) then
    settled := 0;
    retry := true;
    return;
  end if;
  select * into settled, retry from rebate.settle_locked_inbox(p_queue_id, p_max);
end;
$function$;
comment on function rebate.settle_queue_inbox(p_queue_id bigint, p_max integer, OUT settled integer, OUT retry boolean) is 'Settles the queue''s inbox now, waiting for its current settler if there is one (unless this transaction has settled something already: then it only tries, and says `retry` if the queue is busy). For callers that need this very queue settled before they go on.';
revoke all on function rebate.settle_queue_inbox(p_queue_id bigint, p_max integer, OUT settled integer, OUT retry boolean) from public, anon, authenticated, service_role;

-- The same for a payment notification's second step: instead of queueing behind the settler
-- for the queue row (and then, most of the time, finding that the settler took this order
-- along), it waits until the settler is done (settler_waits), looks whether anything of the
-- queue still waits, and settles it if the queue row is free. It returns when the queue's
-- inbox is empty (every order accepted before the call is settled, or parked) or after
-- settling a batch itself, so an accepted order is never left without a caller looking after
-- it (beyond 50 waiting orders, or behind a failing one, the sweep finishes the work).
CREATE OR REPLACE FUNCTION rebate.settle_queue_inbox_when_free (
  p_queue_id bigint,
  p_max      integer,
  OUT        settled integer,
  OUT        retry boolean
)
  RETURNS record
  LANGUAGE plpgsql
  SET search_path TO ''
  AS $function$
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
$function$;
comment on function rebate.settle_queue_inbox_when_free(p_queue_id bigint, p_max integer, OUT settled integer, OUT retry boolean) is 'The same for a payment notification''s second step: instead of queueing behind the settler for the queue row (and then, most of the time, finding that the settler took this order along), it waits until the settler is done (settler_waits), looks whether anything of the queue still waits, and settles it if the queue row is free. It returns when the queue''s inbox is empty (every order accepted before the call is settled, or parked) or after settling a batch itself, so an accepted order is never left without a caller looking after it (beyond 50 waiting orders, or behind a failing one, the sweep finishes the work).';
revoke all on function rebate.settle_queue_inbox_when_free(p_queue_id bigint, p_max integer, OUT settled integer, OUT retry boolean) from public, anon, authenticated, service_role;

-- The settler's advisory key (see …2400_create_settle_inbox.sql), in PL/pgSQL so that it is
-- not planned again for every payment (no SET clause: it names no object, and a SET costs a
-- configuration change on every call).
CREATE OR REPLACE FUNCTION rebate.settler_key (
  p_queue_id bigint,
  OUT        k1 integer,
  OUT        k2 integer
)
  RETURNS record
  LANGUAGE plpgsql
  IMMUTABLE
  AS $function$
begin
  k1 := 20261125;
  k2 := (p_queue_id % 2147483647)::integer;
end;
$function$;
comment on function rebate.settler_key(p_queue_id bigint, OUT k1 integer, OUT k2 integer) is 'The settler''s advisory key (see …2400_create_settle_inbox.sql), in PL/pgSQL so that it is not planned again for every payment (no SET clause: it names no object, and a SET costs a configuration change on every call).';
revoke all on function rebate.settler_key(p_queue_id bigint, OUT k1 integer, OUT k2 integer) from public, anon, authenticated, service_role;

-- How long a transaction that has settled an order waits for a row lock before giving way.
CREATE OR REPLACE FUNCTION rebate.settler_lock_timeout()
  RETURNS text
  LANGUAGE sql
  IMMUTABLE
  AS $function$ select '20ms'::text $function$;
comment on function rebate.settler_lock_timeout() is 'How long a transaction that has settled an order waits for a row lock before giving way.';
revoke all on function rebate.settler_lock_timeout() from public, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION rebate.settler_waits (
  p_queue_id bigint
)
  RETURNS void
  LANGUAGE plpgsql
  SET search_path TO ''
  AS $function$
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
$function$;
comment on function rebate.settler_waits(p_queue_id bigint) is 'Waits until the current settler of a queue (if any) commits, on its advisory key taken shared and let go at once.';
revoke all on function rebate.settler_waits(p_queue_id bigint) from public, anon, authenticated, service_role;

-- Takes the other queue rows an order joins besides p_lead (which the caller holds), without
-- waiting; raises lock_not_available if one is busy (the caller's subtransaction then gives
-- back whatever it took).
CREATE OR REPLACE FUNCTION rebate.take_other_queues_now (
  o      rebate.orders,
  s      rebate.settings,
  p_lead bigint
)
  RETURNS void
  LANGUAGE plpgsql
  SET search_path TO ''
  AS $function$
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
$function$;
comment on function rebate.take_other_queues_now(o rebate.orders, s rebate.settings, p_lead bigint) is 'Takes the other queue rows an order joins besides p_lead (which the caller holds), without waiting; raises lock_not_available if one is busy (the caller''s subtransaction then gives back whatever it took).';
revoke all on function rebate.take_other_queues_now(o rebate.orders, s rebate.settings, p_lead bigint) from public, anon, authenticated, service_role;

-- Takes the queue row for settling, the way an UPDATE of it locks it (no key update: the
-- key-share locks other tables' foreign keys take on it never wait for a settler). With
-- p_wait it waits for the current holder; without, it returns false if the row is held.
CREATE OR REPLACE FUNCTION rebate.take_queue_for_settling (
  p_queue_id bigint,
  p_wait     boolean
)
  RETURNS boolean
  LANGUAGE plpgsql
  SET search_path TO ''
  AS $function$
begin
  if p_wait then
    perform 1 from rebate.queues q where q.id = p_queue_id for no key update;
  else
    perform 1 from rebate.queues q where q.id = p_queue_id for no key update skip locked;
  end if;
  return found;
end;
$function$;
comment on function rebate.take_queue_for_settling(p_queue_id bigint, p_wait boolean) is 'Takes the queue row for settling, the way an UPDATE of it locks it (no key update: the key-share locks other tables'' foreign keys take on it never wait for a settler). With p_wait it waits for the current holder; without, it returns false if the row is held.';
revoke all on function rebate.take_queue_for_settling(p_queue_id bigint, p_wait boolean) from public, anon, authenticated, service_role;

-- Whether this transaction has settled an order already. Such a transaction holds the queue
-- rows and wallets of what it settled until it commits, so it must not wait for another
-- queue row: the settler of that queue may be waiting for one of them (a deadlock).
CREATE OR REPLACE FUNCTION rebate.tx_has_settled()
  RETURNS boolean
  LANGUAGE sql
  STABLE
  AS $function$ select coalesce(current_setting('rebate.tx_has_settled', true), '') = 'on' $function$;
comment on function rebate.tx_has_settled() is 'Whether this transaction has settled an order already. Such a transaction holds the queue rows and wallets of what it settled until it commits, so it must not wait for another queue row: the settler of that queue may be waiting for one of them (a deadlock).';
revoke all on function rebate.tx_has_settled() from public, anon, authenticated, service_role;

-- ------------------------------------------------------------ the API (service_role)
-- Payment notification, step 1 of 2 (pay-notify): the order is paid, and settled if its
-- queue was free (`settled`); otherwise it waits in the queue's inbox and
-- settle_pending(settle_queue_id) settles it (settle_queue_id is null once settled).
-- A payment for an order we cancelled (SPEC §16: a late payment) is recorded and refunded in
-- full through WeChat Pay (rebate.accept_late_payment, `late_payment`); never lost, never kept.
CREATE OR REPLACE FUNCTION public.accept_payment (
  p_order_no    text,
  p_payment_ref text,
  p_paid_fen    bigint
)
  RETURNS jsonb
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  a record;
  o rebate.orders;
begin
  -- the order's lock first (rebate.accept_payment takes it again at no cost): a cancel cannot
  -- slip in between this look and the payment
  select * into o from rebate.orders x where x.order_no = p_order_no for update;
  if found and o.status = 'cancelled' then
    return rebate.accept_late_payment(o, p_payment_ref, p_paid_fen);
  end if;
  select * into a from rebate.accept_payment(p_order_no, p_payment_ref, p_paid_fen);
  return rebate.payment_result(a.o, a.replayed)
         || jsonb_build_object('settle_queue_id',
                               (select i.queue_id from rebate.settle_inbox i where i.order_id = (a.o).id));
end;
$function$;
comment on function public.accept_payment(p_order_no text, p_payment_ref text, p_paid_fen bigint) is '------------------------------------------------------------ the API (service_role) Payment notification, step 1 of 2 (pay-notify): the order is paid, and settled if its queue was free (`settled`); otherwise it waits in the queue''s inbox and settle_pending(settle_queue_id) settles it (settle_queue_id is null once settled). A payment for a cancelled order (late payment) is recorded and refunded in full through WeChat Pay (`late_payment`).';
revoke all on function public.accept_payment(p_order_no text, p_payment_ref text, p_paid_fen bigint) from public, anon, authenticated, service_role;
grant execute on function public.accept_payment(p_order_no text, p_payment_ref text, p_paid_fen bigint) to service_role;

-- An administrator puts a parked order back (once its cause is fixed): its attempts start
-- again and its queue is settled now. It settles behind the orders that went on meanwhile.
CREATE OR REPLACE FUNCTION public.admin_retry_settlement (
  p_order_no text
)
  RETURNS jsonb
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_order_id bigint;
  v_settled boolean;
begin
  perform rebate.require_role('operations');
  update rebate.settle_inbox i set attempts = 0
    from rebate.orders o
   where o.order_no = p_order_no and i.order_id = o.id
  returning i.order_id into v_order_id;
  if not found then
    raise exception using errcode = 'P0001', message = 'order_not_awaiting_settlement', hint = '该订单没有待结算的记录';
  end if;
  v_settled := rebate.settle_accepted_order(v_order_id);
  perform rebate.audit('settlement.retry', 'order', p_order_no, null, jsonb_build_object('settled', v_settled), null);
  return jsonb_build_object('order_no', p_order_no, 'settled', v_settled,
                            'last_error', (select i.last_error from rebate.settle_inbox i where i.order_id = v_order_id));
end;
$function$;
comment on function public.admin_retry_settlement(p_order_no text) is 'An administrator puts a parked order back (once its cause is fixed): its attempts start again and its queue is settled now. It settles behind the orders that went on meanwhile.';
revoke all on function public.admin_retry_settlement(p_order_no text) from public, anon, authenticated, service_role;
grant execute on function public.admin_retry_settlement(p_order_no text) to authenticated;

-- Step 2 of 2, and the sweep (…2400_create_settle_inbox.sql): unchanged but for the count.
CREATE OR REPLACE FUNCTION public.settle_pending (
  p_queue_id bigint  DEFAULT NULL::bigint,
  p_max      integer DEFAULT 50
)
  RETURNS jsonb
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_queue bigint;
  r record;
  n integer := 0;
  v_retry boolean := false;
  v_waiting bigint;
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
  -- two statements, not one with `p_queue_id is null or …`: each keeps one plan
  if p_queue_id is null then
    select count(*) into v_waiting from rebate.settle_inbox i;
  else
    select count(*) into v_waiting from rebate.settle_inbox i where i.queue_id = p_queue_id;
  end if;
  return jsonb_build_object('settled', n, 'waiting', v_waiting, 'retry', v_retry);
end;
$function$;
comment on function public.settle_pending(p_queue_id bigint, p_max integer) is 'Step 2 of 2, and the sweep (…2400_create_settle_inbox.sql): unchanged but for the count.';
revoke all on function public.settle_pending(p_queue_id bigint, p_max integer) from public, anon, authenticated, service_role;
grant execute on function public.settle_pending(p_queue_id bigint, p_max integer) to service_role;

-- ============================================================ grants

GRANT SELECT ON TABLE "rebate"."settle_inbox" TO "service_role";
