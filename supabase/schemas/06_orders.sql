-- Orders and payments: the three channels, order requests, preview, prepay, paying, completing, cancelling, refunds
-- SPEC §10, §16.
-- The source of truth (docs/database.md): edit here, then `npm run db:diff -- <name>` writes the migration.

-- ============================================================ types

-- A line of an order preview.
create type public.order_preview_line as (
  line_no integer,
  product_id bigint,
  quantity integer,
  amount_fen bigint,
  pay_fen bigint,
  earns boolean,
  no_entry_reason text,
  reward_bps integer,
  reward_rule_code text,
  reward_rule_label text,
  entitlement_fen bigint,
  lottery boolean
);
comment on type public.order_preview_line is 'A line of an order preview.';

-- What create_order and paying now would give (preview_order).
create type public.order_preview as (
  channel text,
  store_id bigint,
  goods_fen bigint,
  points_deduct_fen bigint,
  love_deduct_fen bigint,
  pay_fen bigint,
  lines public.order_preview_line[]
);
comment on type public.order_preview is 'What create_order and paying now would give (preview_order).';

-- An order as the API returns it (create_order, my_order, cancel_my_order, cancel_order):
-- typed, so `supabase gen types` describes it and the client uses the generated type.
create type public.order_line_details as (
  line_no           integer,
  product_id        bigint,
  name              text,
  quantity          integer,
  unit_price_fen    bigint,
  amount_fen        bigint,
  points_deduct_fen bigint,
  love_deduct_fen   bigint,
  pay_fen           bigint,
  joined            boolean,    -- the line joined a queue
  queue_id          bigint,
  no_entry_reason   text,       -- why it earned no entry (deduction_excluded, limit_reached, …)
  entry_id          bigint,
  entry_status      text,
  entitlement_fen   bigint,
  reward_bps        integer,
  reward_rule_label text,
  settled           boolean,
  refunded          boolean,
  refund_fen        bigint
);
comment on type public.order_line_details is 'An order line as the API returns it.';

create type public.order_details as (
  order_id          bigint,
  order_no          text,
  channel           text,       -- mall | store | cashier
  status            text,       -- pending | paid | completed | refunded | cancelled
  status_label      text,
  store_id          bigint,
  store_name        text,
  goods_fen         bigint,
  points_deduct_fen bigint,
  love_deduct_fen   bigint,
  pay_fen           bigint,
  refunded_fen      bigint,
  created_at        timestamptz,
  paid_at           timestamptz,
  completed_at      timestamptz,
  cancelled_at      timestamptz,
  refunded_at       timestamptz,
  lines             public.order_line_details[],
  replayed          boolean,    -- cancel: true when the order was cancelled before; null otherwise
  delivery_name     text,       -- the delivery address, or null
  delivery_phone    text,
  delivery_region   text,
  delivery_address  text,
  remark            text
);
comment on type public.order_details is 'An order with its lines as the API returns it.';

-- One line of a paid order as a refund would treat it (refund_quote): what was paid, the cash
-- rebate its entry already received (kept back, SPEC §10) and so the cash a refund returns.
create type public.refund_quote_line as (
  line_no           integer,
  name              text,
  quantity          integer,
  pay_fen           bigint,
  received_fen      bigint,    -- cash rebate the line's entry already received
  refundable_fen    bigint,    -- pay_fen − received (never below 0)
  points_deduct_fen bigint,    -- points that go back to the wallet
  love_deduct_fen   bigint,    -- love value that goes back to the wallet
  entry_status      text,      -- the line's entry, or null
  refundable        boolean,   -- not yet refunded and not in a pending request
  reason            text       -- why not refundable (Chinese), or null
);
comment on type public.refund_quote_line is 'One line of a paid order as a refund would treat it (refund_quote): paid, cash rebate already received (kept back), refundable cash.';

-- A member's refund request (申请退款) as the API returns it.
create type public.refund_request_details as (
  request_id        bigint,
  order_id          bigint,
  order_no          text,
  line_nos          integer[],
  reason            text,
  status            text,      -- pending | approved | rejected | cancelled
  status_label      text,      -- 审核中 | 退款中 | 已退款 | 退款异常 | 退款失败 | 已驳回 | 已撤销
  refundable_fen    bigint,    -- the refundable cash when requested (refund_quote's sum)
  points_fen        bigint,    -- points that would go back
  love_fen          bigint,    -- love value that would go back
  reject_reason     text,
  requested_at      timestamptz,
  decided_at        timestamptz
);
comment on type public.refund_request_details is 'A member''s refund request (申请退款) as the API returns it.';

-- ============================================================ tables

CREATE TABLE "rebate"."orders" (
  "id"                bigint                   GENERATED BY DEFAULT AS IDENTITY NOT NULL,
  "order_no"          text                     NOT NULL,
  "member_id"         uuid                     NOT NULL,
  "channel"           text                     NOT NULL,  -- mall | store | cashier
  "store_id"          bigint,
  "cashier_id"        bigint,
  "status"            text                     NOT NULL DEFAULT 'pending'::text,  -- pending | paid | completed | refunded | cancelled
  "goods_fen"         bigint                   NOT NULL,
  "points_deduct_fen" bigint                   NOT NULL DEFAULT 0,  -- points used (1 point = 1 fen)
  "love_deduct_fen"   bigint                   NOT NULL DEFAULT 0,
  "pay_fen"           bigint                   NOT NULL,  -- cash to pay
  "refunded_fen"      bigint                   NOT NULL DEFAULT 0,  -- cash refunded so far
  "payment_ref"       text,
  "created_at"        timestamp with time zone NOT NULL DEFAULT now(),
  "paid_at"           timestamp with time zone,
  "completed_at"      timestamp with time zone,
  "cancelled_at"      timestamp with time zone,
  "refunded_at"       timestamp with time zone,
  "delivery_name"     text,  -- delivery address (确认订单; WeChat chooseAddress or the H5 form): all four or none
  "delivery_phone"    text,
  "delivery_region"   text,  -- province city district
  "delivery_address"  text,  -- street and house number
  "remark"            text,  -- the buyer's note (备注)
  CONSTRAINT "orders_cashier_id_fkey" FOREIGN KEY (cashier_id) REFERENCES rebate.cashiers(id),
  CONSTRAINT "orders_member_id_fkey" FOREIGN KEY (member_id) REFERENCES rebate.members(id),
  CONSTRAINT "orders_order_no_key" UNIQUE (order_no),
  CONSTRAINT "orders_payment_ref_key" UNIQUE (payment_ref),
  CONSTRAINT "orders_pkey" PRIMARY KEY (id),
  CONSTRAINT "orders_store_id_fkey" FOREIGN KEY (store_id) REFERENCES rebate.stores(id)
);

ALTER TABLE "rebate"."orders"
  ENABLE ROW LEVEL SECURITY;

ALTER TABLE "rebate"."orders"
  SET (fillfactor=90);

CREATE INDEX orders_completed_spend_idx ON rebate.orders USING btree (member_id, completed_at) INCLUDE (channel, store_id, pay_fen, refunded_fen)
  WHERE (status = 'completed'::text);

CREATE INDEX orders_member_idx ON rebate.orders USING btree (member_id, id);

-- pending orders, for the expiry job (order-expiry: payment window passed → query, close, cancel)
CREATE INDEX orders_pending_idx ON rebate.orders USING btree (created_at)
  WHERE (status = 'pending'::text);

-- the foreign key's index (deleting or re-keying the referenced row, and lookups by it)
CREATE INDEX orders_cashier_idx ON rebate.orders USING btree (cashier_id) WHERE (cashier_id IS NOT NULL);

CREATE INDEX orders_store_idx ON rebate.orders USING btree (store_id, id)
  WHERE (store_id IS NOT NULL);

-- One row per refund notification (idempotent on refund_ref).
CREATE TABLE "rebate"."refunds" (
  "id"                bigint                   GENERATED ALWAYS AS IDENTITY NOT NULL,
  "refund_ref"        text                     NOT NULL,
  "order_id"          bigint                   NOT NULL,
  "line_nos"          smallint[]               NOT NULL,
  "refund_fen"        bigint                   NOT NULL DEFAULT 0,
  "clawback_fen"      bigint                   NOT NULL DEFAULT 0,
  "shortfall_fen"     bigint                   NOT NULL DEFAULT 0,
  "cost_fen"          bigint                   NOT NULL DEFAULT 0,
  "points_returned"   bigint                   NOT NULL DEFAULT 0,
  "love_returned_fen" bigint                   NOT NULL DEFAULT 0,
  "created_at"        timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT "refunds_clawback_fen_check" CHECK ((clawback_fen >= 0)),
  CONSTRAINT "refunds_cost_fen_check" CHECK ((cost_fen >= 0)),
  CONSTRAINT "refunds_line_nos_check" CHECK (((cardinality(line_nos) >= 1) AND (cardinality(line_nos) <= 50))),
  CONSTRAINT "refunds_love_returned_fen_check" CHECK ((love_returned_fen >= 0)),
  CONSTRAINT "refunds_order_id_fkey" FOREIGN KEY (order_id) REFERENCES rebate.orders(id),
  CONSTRAINT "refunds_pkey" PRIMARY KEY (id),
  CONSTRAINT "refunds_points_returned_check" CHECK ((points_returned >= 0)),
  CONSTRAINT "refunds_refund_fen_check" CHECK ((refund_fen >= 0)),
  CONSTRAINT "refunds_refund_ref_check" CHECK (((char_length(refund_ref) >= 1) AND (char_length(refund_ref) <= 64))),
  CONSTRAINT "refunds_refund_ref_key" UNIQUE (refund_ref),
  CONSTRAINT "refunds_shortfall_fen_check" CHECK ((shortfall_fen >= 0))
);

ALTER TABLE "rebate"."refunds"
  ENABLE ROW LEVEL SECURITY;

CREATE INDEX refunds_order_idx ON rebate.refunds USING btree (order_id);

-- A member's refund request (申请退款) for chosen lines of a paid order, with a reason. The
-- platform decides (approve → refund_order through WeChat Pay, or reject with a reason); the
-- member may withdraw it while pending. At most one pending request per order.
CREATE TABLE "rebate"."refund_requests" (
  "id"             bigint                   GENERATED ALWAYS AS IDENTITY NOT NULL,
  "order_id"       bigint                   NOT NULL,
  "member_id"      uuid                     NOT NULL,
  "line_nos"       smallint[]               NOT NULL,
  "reason"         text                     NOT NULL,
  "refundable_fen" bigint                   NOT NULL,  -- refund_quote's sum when requested (informative; the refund computes its own)
  "points_fen"     bigint                   NOT NULL DEFAULT 0,
  "love_fen"       bigint                   NOT NULL DEFAULT 0,
  "status"         text                     NOT NULL DEFAULT 'pending'::text,
  "reject_reason"  text,
  "refund_id"      bigint,
  "requested_at"   timestamp with time zone NOT NULL DEFAULT now(),
  "decided_at"     timestamp with time zone,
  "decided_by"     uuid,
  CONSTRAINT "refund_requests_amounts" CHECK (((refundable_fen >= 0) AND (points_fen >= 0) AND (love_fen >= 0))),
  CONSTRAINT "refund_requests_decided_by_fkey" FOREIGN KEY (decided_by) REFERENCES rebate.members(id),
  CONSTRAINT "refund_requests_decision" CHECK (
CASE status
    WHEN 'pending'::text THEN ((decided_at IS NULL) AND (reject_reason IS NULL) AND (refund_id IS NULL))
    WHEN 'approved'::text THEN ((decided_at IS NOT NULL) AND (reject_reason IS NULL))
    WHEN 'rejected'::text THEN ((decided_at IS NOT NULL) AND (reject_reason IS NOT NULL) AND (refund_id IS NULL))
    WHEN 'cancelled'::text THEN ((decided_at IS NOT NULL) AND (reject_reason IS NULL) AND (refund_id IS NULL))
    ELSE NULL::boolean
END),
  CONSTRAINT "refund_requests_line_nos_check" CHECK (((cardinality(line_nos) >= 1) AND (cardinality(line_nos) <= 50))),
  CONSTRAINT "refund_requests_member_id_fkey" FOREIGN KEY (member_id) REFERENCES rebate.members(id),
  CONSTRAINT "refund_requests_order_id_fkey" FOREIGN KEY (order_id) REFERENCES rebate.orders(id),
  CONSTRAINT "refund_requests_pkey" PRIMARY KEY (id),
  CONSTRAINT "refund_requests_reason_check" CHECK (((char_length(reason) >= 1) AND (char_length(reason) <= 200))),
  CONSTRAINT "refund_requests_refund_id_fkey" FOREIGN KEY (refund_id) REFERENCES rebate.refunds(id),
  CONSTRAINT "refund_requests_reject_reason_check" CHECK (((reject_reason IS NULL) OR ((char_length(reject_reason) >= 1) AND (char_length(reject_reason) <= 200)))),
  CONSTRAINT "refund_requests_status_check" CHECK ((status = ANY (ARRAY['pending'::text, 'approved'::text, 'rejected'::text, 'cancelled'::text])))
);

ALTER TABLE "rebate"."refund_requests"
  ENABLE ROW LEVEL SECURITY;

-- at most one pending request per order
CREATE UNIQUE INDEX refund_requests_one_pending_idx ON rebate.refund_requests USING btree (order_id) WHERE (status = 'pending'::text);

CREATE INDEX refund_requests_order_idx ON rebate.refund_requests USING btree (order_id, id);

CREATE INDEX refund_requests_member_idx ON rebate.refund_requests USING btree (member_id, id);

CREATE INDEX refund_requests_status_idx ON rebate.refund_requests USING btree (status, id);

-- the foreign keys' indexes (deleting or re-keying the referenced row, and lookups by it)
CREATE INDEX refund_requests_decided_by_idx ON rebate.refund_requests USING btree (decided_by) WHERE (decided_by IS NOT NULL);

CREATE INDEX refund_requests_refund_idx ON rebate.refund_requests USING btree (refund_id) WHERE (refund_id IS NOT NULL);

CREATE TABLE "rebate"."order_lines" (
  "id"                bigint                   GENERATED BY DEFAULT AS IDENTITY NOT NULL,
  "order_id"          bigint                   NOT NULL,
  "line_no"           smallint                 NOT NULL,
  "product_id"        bigint,  -- null for a cashier payment
  "quantity"          integer                  NOT NULL,
  "unit_price_fen"    bigint                   NOT NULL,
  "amount_fen"        bigint                   NOT NULL,
  "points_deduct_fen" bigint                   NOT NULL DEFAULT 0,
  "love_deduct_fen"   bigint                   NOT NULL DEFAULT 0,
  "pay_fen"           bigint                   NOT NULL,  -- the line's paid amount (SPEC §1.1)
  "queue_id"          bigint,
  "seq"               bigint,  -- position taken in the queue
  "pay_below_seq"     bigint,  -- pays only entries with seq < this (its order's first seq there)
  "no_entry_reason"   text,  -- why the line earned no entry
  "reward_bps"        integer,
  "reward_rule_code"  text,
  "reward_rule_label" text,
  "extraction_bps"    integer,
  "entitlement_fen"   bigint                   NOT NULL DEFAULT 0,
  "extraction_fen"    bigint                   NOT NULL DEFAULT 0,
  "settled_at"        timestamp with time zone,
  "distributed_fen"   bigint                   NOT NULL DEFAULT 0,
  "retained_fen"      bigint                   NOT NULL DEFAULT 0,
  "refund_id"         bigint,
  "refunded_at"       timestamp with time zone,
  "refund_fen"        bigint                   NOT NULL DEFAULT 0,  -- cash returned for this line
  "clawback_fen"      bigint                   NOT NULL DEFAULT 0,  -- rebate received, kept back from the refund
  "shortfall_fen"     bigint                   NOT NULL DEFAULT 0,  -- rebate received beyond the line's cash
  "cost_fen"          bigint                   NOT NULL DEFAULT 0,  -- extraction already paid out: platform cost
  "union_joined"      boolean                  NOT NULL DEFAULT false,  -- joined the union queue at payment (SPEC §13): settled by rebate.union_settle_order
  CONSTRAINT "order_lines_order_id_line_no_key" UNIQUE (order_id, line_no),
  CONSTRAINT "order_lines_pkey" PRIMARY KEY (id),
  CONSTRAINT "order_lines_order_id_fkey" FOREIGN KEY (order_id) REFERENCES rebate.orders(id),
  CONSTRAINT "order_lines_product_id_fkey" FOREIGN KEY (product_id) REFERENCES rebate.products(id),
  CONSTRAINT "order_lines_queue_id_fkey" FOREIGN KEY (queue_id) REFERENCES rebate.queues(id),
  CONSTRAINT "order_lines_refund_fk" FOREIGN KEY (refund_id) REFERENCES rebate.refunds(id)
);

ALTER TABLE "rebate"."order_lines"
  ENABLE ROW LEVEL SECURITY;

-- the foreign key's index (deleting or re-keying the referenced row, and lookups by it)
CREATE INDEX order_lines_product_idx ON rebate.order_lines USING btree (product_id) WHERE (product_id IS NOT NULL);

-- the foreign key's index (deleting or re-keying the referenced row, and lookups by it)
CREATE INDEX order_lines_refund_idx ON rebate.order_lines USING btree (refund_id) WHERE (refund_id IS NOT NULL);

ALTER TABLE "rebate"."order_lines"
  SET (fillfactor=80);

CREATE INDEX order_lines_queue_settled_idx ON rebate.order_lines USING btree (queue_id, settled_at) INCLUDE (extraction_fen)
  WHERE ((queue_id IS NOT NULL) AND (settled_at IS NOT NULL));

CREATE TABLE "rebate"."payment_requests" (
  "order_id"    bigint                   NOT NULL,
  "description" text                     NOT NULL,
  "time_expire" timestamp with time zone NOT NULL,  -- WeChat closes the trade then; no payment after it
  "created_at"  timestamp with time zone NOT NULL DEFAULT now(),
  "close_due_at" timestamp with time zone,  -- the order was cancelled while its trade may still be open at WeChat: order-expiry closes it there (or finds a late payment)
  CONSTRAINT "payment_requests_description_check" CHECK (((char_length(description) >= 1) AND (char_length(description) <= 127))),
  CONSTRAINT "payment_requests_order_id_fkey" FOREIGN KEY (order_id) REFERENCES rebate.orders(id),
  CONSTRAINT "payment_requests_pkey" PRIMARY KEY (order_id)
);

ALTER TABLE "rebate"."payment_requests"
  ENABLE ROW LEVEL SECURITY;

-- cancelled orders whose WeChat trade must still be closed (order-expiry: trades_to_close)
CREATE INDEX payment_requests_close_due_idx ON rebate.payment_requests USING btree (close_due_at)
  WHERE (close_due_at IS NOT NULL);

-- A refunded line whose entry was exchanged or converted by random return: the points / love
-- value it gave are taken back from the wallet, as far as the balance allows (never negative;
-- the rest is recorded as shortfall), like the engine keeps back cash rebate (SPEC §10).
CREATE TABLE "rebate"."refund_takebacks" (
  "refund_id"  bigint                   NOT NULL,
  "entry_id"   bigint                   NOT NULL,
  "member_id"  uuid                     NOT NULL,
  "asset"      text                     NOT NULL,
  "due"        bigint                   NOT NULL,
  "taken"      bigint                   NOT NULL,
  "created_at" timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT "refund_takebacks_asset_check" CHECK ((asset = ANY (ARRAY['points'::text, 'love'::text, 'love_frozen'::text]))),
  CONSTRAINT "refund_takebacks_check" CHECK (((taken >= 0) AND (taken <= due))),
  CONSTRAINT "refund_takebacks_due_check" CHECK ((due >= 1)),
  CONSTRAINT "refund_takebacks_entry_id_fkey" FOREIGN KEY (entry_id) REFERENCES rebate.entries(id),
  CONSTRAINT "refund_takebacks_entry_id_key" UNIQUE (entry_id),
  CONSTRAINT "refund_takebacks_pkey" PRIMARY KEY (refund_id, entry_id),
  CONSTRAINT "refund_takebacks_refund_id_fkey" FOREIGN KEY (refund_id) REFERENCES rebate.refunds(id)
);

ALTER TABLE "rebate"."refund_takebacks"
  ENABLE ROW LEVEL SECURITY;

-- ============================================================ functions

-- Cancels a pending order (the caller holds its row lock) and returns its deductions. If it was
-- sent to WeChat Pay, its trade may still be paid there (the member cancelled with the payment
-- sheet open, or the expiry job's close raced the payment): the trade is marked to be closed
-- (payment_requests.close_due_at), and order-expiry closes it or finds the late payment.
CREATE OR REPLACE FUNCTION rebate.cancel_locked_order (
  p_order rebate.orders
)
  RETURNS public.order_details
  LANGUAGE plpgsql
  SET search_path TO ''
  AS $function$
begin
  if p_order.status = 'cancelled' then
    return rebate.order_details(p_order.id, true);
  end if;
  if p_order.status <> 'pending' then
    raise exception using errcode = 'P0001', message = 'order_not_cancellable', hint = '订单已支付，不能取消';
  end if;
  update rebate.orders o set status = 'cancelled', cancelled_at = now() where o.id = p_order.id;
  update rebate.payment_requests r set close_due_at = now() where r.order_id = p_order.id;
  perform rebate.post_ledger(p_order.member_id, 'points', p_order.points_deduct_fen, 'order_cancel_return', p_order.id);
  perform rebate.post_ledger(p_order.member_id, 'love', p_order.love_deduct_fen, 'order_cancel_return', p_order.id);
  return rebate.order_details(p_order.id, false);
end;
$function$;
comment on function rebate.cancel_locked_order(p_order rebate.orders) is 'Cancels a pending order (the caller holds its row lock) and returns its deductions; a trade sent to WeChat Pay is marked to be closed there (payment_requests.close_due_at, order-expiry).';
revoke all on function rebate.cancel_locked_order(p_order rebate.orders) from public, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION rebate.complete_order (
  p_order_no text
)
  RETURNS jsonb
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  o rebate.orders;
  s rebate.settings;
begin
  select * into o from rebate.orders x where x.order_no = p_order_no for update;
  if not found then
    raise exception using errcode = 'P0001', message = 'order_not_found', hint = '订单不存在';
  end if;
  if o.status = 'completed' then
    return jsonb_build_object('order_id', o.id, 'order_no', o.order_no, 'status', o.status,
                              'completed_at', o.completed_at, 'replayed', true);
  end if;
  if o.status <> 'paid' then
    raise exception using errcode = 'P0001', message = 'order_not_completable', hint = '订单当前状态不能完成';
  end if;
  select * into s from rebate.settings x where x.id = 1;
  update rebate.orders x set status = 'completed', completed_at = now() where x.id = o.id returning * into o;
  perform rebate.settle_order(o, s, 'completed');
  return jsonb_build_object('order_id', o.id, 'order_no', o.order_no, 'status', o.status,
                            'completed_at', o.completed_at, 'replayed', false);
end;
$function$;
comment on function rebate.complete_order(p_order_no text) is 'Completion of an order (收货/核销): its entries become eligible under rule "completed + queue order" and lines not settled yet settle now (SPEC §1, §10). Idempotent.';
revoke all on function rebate.complete_order(p_order_no text) from public, anon, authenticated, service_role;

-- An order with its lines, as the member sees it.
CREATE OR REPLACE FUNCTION rebate.order_details (
  p_order_id bigint,
  p_replayed boolean DEFAULT NULL::boolean
)
  RETURNS public.order_details
  LANGUAGE plpgsql
  STABLE
  SET search_path TO ''
  AS $function$
begin
  return (select row(
    o.id, o.order_no, o.channel, o.status, rebate.order_status_label(o.status), o.store_id, st.name,
    o.goods_fen, o.points_deduct_fen, o.love_deduct_fen, o.pay_fen, o.refunded_fen, o.created_at, o.paid_at,
    o.completed_at, o.cancelled_at, o.refunded_at,
    (select array_agg(row(
              l.line_no, l.product_id, coalesce(p.name, '收银台买单'), l.quantity, l.unit_price_fen, l.amount_fen,
              l.points_deduct_fen, l.love_deduct_fen, l.pay_fen, l.queue_id is not null, l.queue_id, l.no_entry_reason,
              e.id, e.status, l.entitlement_fen, l.reward_bps, l.reward_rule_label,
              l.settled_at is not null, l.refunded_at is not null, l.refund_fen)::public.order_line_details
            order by l.line_no)
       from rebate.order_lines l
       left join rebate.products p on p.id = l.product_id
       left join rebate.entries e on e.line_id = l.id
      where l.order_id = o.id),
    p_replayed, o.delivery_name, o.delivery_phone, o.delivery_region, o.delivery_address, o.remark)::public.order_details
  from rebate.orders o
  left join rebate.stores st on st.id = o.store_id
  where o.id = p_order_id);
end;
$function$;
comment on function rebate.order_details(p_order_id bigint, p_replayed boolean) is 'An order with its lines, as the member sees it (public.order_details).';
revoke all on function rebate.order_details(p_order_id bigint, p_replayed boolean) from public, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION rebate.order_line_ok (
  r rebate.order_lines
)
  RETURNS boolean
  LANGUAGE plpgsql
  IMMUTABLE
  AS $function$
declare
  -- the first rule the row breaks, if any
  v_broken constant text := case
      when r.line_no not between 1 and 50 or r.quantity not between 1 and 999
           or r.unit_price_fen not between 1 and 100000000 or r.amount_fen not between 1 and 100000000
           or r.amount_fen <> r.quantity * r.unit_price_fen
        then 'order_lines_amount'
      when r.points_deduct_fen < 0 or r.love_deduct_fen < 0 or r.pay_fen < 0
           or r.pay_fen <> r.amount_fen - r.points_deduct_fen - r.love_deduct_fen
        then 'order_lines_pay'
      when (r.queue_id is null) <> (r.seq is null) or (r.seq is null) <> (r.pay_below_seq is null)
           or r.pay_below_seq not between 1 and r.seq
        then 'order_lines_join'
      when r.reward_bps not between 0 and 100000 or r.extraction_bps not between 0 and 10000
           or r.entitlement_fen < 0 or r.extraction_fen < 0
           or (r.queue_id is null and (r.entitlement_fen <> 0 or r.extraction_fen <> 0))
        then 'order_lines_terms'
      when r.distributed_fen < 0 or r.retained_fen < 0
           or (r.settled_at is null and (r.distributed_fen <> 0 or r.retained_fen <> 0))
           or (r.settled_at is not null and r.distributed_fen + r.retained_fen <> r.extraction_fen)
        then 'order_lines_settled'
      when (r.refund_id is null) <> (r.refunded_at is null)
           or r.refund_fen < 0 or r.clawback_fen < 0 or r.shortfall_fen < 0 or r.cost_fen < 0
           or (r.refunded_at is null and (r.refund_fen <> 0 or r.clawback_fen <> 0 or r.shortfall_fen <> 0 or r.cost_fen <> 0))
           or (r.refunded_at is not null and r.refund_fen + r.clawback_fen <> r.pay_fen)
        then 'order_lines_refund'
    end;
begin
  if v_broken is not null then
    return rebate.invariant_failed(v_broken);
  end if;
  return true;
end;
$function$;
comment on function rebate.order_line_ok(r rebate.order_lines) is 'Row invariants of an order line (one CHECK): amounts, deductions, terms and refund consistent.';
revoke all on function rebate.order_line_ok(r rebate.order_lines) from public, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION rebate.order_ok (
  r rebate.orders
)
  RETURNS boolean
  LANGUAGE plpgsql
  IMMUTABLE
  AS $function$
declare
  -- the first rule the row breaks, if any
  v_broken constant text := case
      when r.order_no !~ '^[0-9]{18,24}$'
        then 'orders_order_no'
      when (case r.channel
              when 'mall'    then r.store_id is not null or r.cashier_id is not null
              when 'store'   then r.store_id is null or r.cashier_id is not null
              when 'cashier' then r.store_id is null or r.cashier_id is null
              else true end)
        then 'orders_channel'
      when r.goods_fen not between 1 and 100000000 or r.points_deduct_fen < 0 or r.love_deduct_fen < 0
           or r.pay_fen < 1 or r.goods_fen <> r.pay_fen + r.points_deduct_fen + r.love_deduct_fen
        then 'orders_amounts'
      when r.refunded_fen < 0 or r.refunded_fen > r.pay_fen
        then 'orders_refunded'
      when (r.payment_ref is null) <> (r.paid_at is null)
           or (r.payment_ref is not null and char_length(r.payment_ref) not between 1 and 64)
        then 'orders_payment'
      when not coalesce(case r.status
             when 'pending'   then r.paid_at is null and r.cancelled_at is null and r.completed_at is null and r.refunded_at is null
             when 'paid'      then r.paid_at is not null and r.completed_at is null and r.refunded_at is null and r.cancelled_at is null
             when 'completed' then r.paid_at is not null and r.completed_at is not null and r.refunded_at is null and r.cancelled_at is null
             when 'refunded'  then r.paid_at is not null and r.refunded_at is not null and r.cancelled_at is null
             when 'cancelled' then r.paid_at is null and r.cancelled_at is not null
           end, false)
        then 'orders_status'
      when (r.delivery_name is null) <> (r.delivery_phone is null) or (r.delivery_name is null) <> (r.delivery_region is null)
           or (r.delivery_name is null) <> (r.delivery_address is null)
           or (r.delivery_name is not null and (r.channel = 'cashier'
               or char_length(r.delivery_name) not between 1 and 20 or r.delivery_phone !~ '^[0-9+-]{5,20}$'
               or char_length(r.delivery_region) not between 1 and 60 or char_length(r.delivery_address) not between 1 and 120))
           or char_length(r.remark) not between 1 and 100
        then 'orders_delivery'
    end;
begin
  if v_broken is not null then
    return rebate.invariant_failed(v_broken);
  end if;
  return true;
end;
$function$;
comment on function rebate.order_ok(r rebate.orders) is 'Row invariants of an order (one CHECK): channel and its store/cashier, amounts = goods − deductions, status and its timestamps.';
revoke all on function rebate.order_ok(r rebate.orders) from public, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION rebate.order_status_label (
  p_status text
)
  RETURNS text
  LANGUAGE sql
  IMMUTABLE
  PARALLEL SAFE
  SET search_path TO ''
  AS $function$ select case p_status when 'pending' then '待支付' when 'paid' then '已支付' when 'completed' then '已完成'
                           when 'refunded' then '已退款' when 'cancelled' then '已取消' else p_status end $function$;
comment on function rebate.order_status_label(p_status text) is 'The Chinese label of an order status (待支付/已支付/已完成/已退款/已取消).';
revoke all on function rebate.order_status_label(p_status text) from public, anon, authenticated, service_role;

-- Reads and validates an order request (the JSON below) without writing anything: the one
-- place for the request's rules, shared by create_order and preview_order. Deductions are
-- split over the lines in proportion to their amounts (points first, then love value).
CREATE OR REPLACE FUNCTION rebate.parse_order_request (
  p_order jsonb,
  OUT     channel text,
  OUT     store_id bigint,
  OUT     cashier_id bigint,
  OUT     products bigint[],
  OUT     qtys integer[],
  OUT     prices bigint[],
  OUT     amounts bigint[],
  OUT     goods_fen bigint,
  OUT     points_fen bigint,
  OUT     love_fen bigint,
  OUT     points_alloc bigint[],
  OUT     love_alloc bigint[]
)
  RETURNS record
  LANGUAGE plpgsql
  STABLE
  SET search_path TO ''
  AS $function$
declare
  c_max constant bigint := 100000000;     -- 1,000,000.00 yuan
  v_channel text;
  v_store rebate.stores;
  v_cashier_id bigint;
  v_product rebate.products;
  v_store_id bigint;
  v_el jsonb;
  v_num numeric;
  v_pid bigint;
  v_qty bigint;
  v_amount bigint;
  v_products bigint[] := '{}';
  v_qtys integer[] := '{}';
  v_prices bigint[] := '{}';
  v_amounts bigint[] := '{}';
  v_goods bigint := 0;
  v_points bigint := 0;
  v_love bigint := 0;
  v_palloc bigint[];
  v_lalloc bigint[];
  v_rest bigint[] := '{}';
  n integer;
begin
  if p_order is null or jsonb_typeof(p_order) <> 'object' then
    raise exception using errcode = 'P0001', message = 'invalid_order', hint = '订单参数无效';
  end if;
  if exists (select 1 from jsonb_object_keys(p_order) k
              where k not in ('channel', 'lines', 'store_id', 'amount_fen', 'points_fen', 'love_fen', 'address', 'remark')) then
    raise exception using errcode = 'P0001', message = 'invalid_order', hint = '订单参数无效';
  end if;
  if jsonb_typeof(p_order -> 'channel') is distinct from 'string'
     or (p_order ->> 'channel') not in ('mall', 'store', 'cashier') then
    raise exception using errcode = 'P0001', message = 'invalid_channel', hint = '订单类型无效';
  end if;
  v_channel := p_order ->> 'channel';

  if coalesce(jsonb_typeof(p_order -> 'store_id'), 'null') <> 'null' then
    v_store_id := rebate.json_int(p_order -> 'store_id', 1, 9223372036854775807);
    if v_store_id is null then
      raise exception using errcode = 'P0001', message = 'invalid_store_id', hint = '门店无效';
    end if;
  end if;

  if v_channel = 'cashier' then
    if p_order ? 'lines' then
      raise exception using errcode = 'P0001', message = 'invalid_order', hint = '收银台买单不需要选择商品';
    end if;
    if v_store_id is null then
      raise exception using errcode = 'P0001', message = 'invalid_store_id', hint = '请选择门店';
    end if;
    if jsonb_typeof(p_order -> 'amount_fen') is distinct from 'number' then
      raise exception using errcode = 'P0001', message = 'invalid_amount', hint = '请输入有效的金额';
    end if;
    v_num := (p_order -> 'amount_fen')::numeric;
    if v_num <> trunc(v_num) or v_num < 1 then
      raise exception using errcode = 'P0001', message = 'invalid_amount', hint = '请输入有效的金额';
    end if;
    if v_num > c_max then
      raise exception using errcode = 'P0001', message = 'amount_too_large', hint = '金额超出上限';
    end if;
    v_products := array[null::bigint];
    v_qtys := array[1];
    v_prices := array[v_num::bigint];
    v_amounts := array[v_num::bigint];
    v_goods := v_num::bigint;
  else
    if p_order ? 'amount_fen' then
      raise exception using errcode = 'P0001', message = 'invalid_order', hint = '订单参数无效';
    end if;
    if v_channel = 'mall' and v_store_id is not null then
      raise exception using errcode = 'P0001', message = 'invalid_order', hint = '商城订单不属于门店';
    end if;
    if jsonb_typeof(p_order -> 'lines') is distinct from 'array' or jsonb_array_length(p_order -> 'lines') = 0 then
      raise exception using errcode = 'P0001', message = 'invalid_lines', hint = '请选择商品';
    end if;
    n := jsonb_array_length(p_order -> 'lines');
    if n > 50 then
      raise exception using errcode = 'P0001', message = 'too_many_lines', hint = '一个订单最多 50 种商品';
    end if;
    for i in 1 .. n loop
      v_el := p_order -> 'lines' -> (i - 1);
      if jsonb_typeof(v_el) <> 'object'
         or exists (select 1 from jsonb_object_keys(v_el) k where k not in ('product_id', 'quantity')) then
        raise exception using errcode = 'P0001', message = 'invalid_line', hint = '商品参数无效';
      end if;
      v_pid := rebate.json_int(v_el -> 'product_id', 1, 9223372036854775807);
      if v_pid is null then
        raise exception using errcode = 'P0001', message = 'invalid_product_id', hint = '商品无效';
      end if;
      v_qty := rebate.json_int(v_el -> 'quantity', 1, 999);
      if v_qty is null then
        raise exception using errcode = 'P0001', message = 'invalid_quantity', hint = '商品数量应在 1 到 999 之间';
      end if;
      select * into v_product from rebate.products p where p.id = v_pid;
      if not found then
        raise exception using errcode = 'P0001', message = 'product_not_found', hint = '商品不存在';
      end if;
      if not v_product.listed then
        raise exception using errcode = 'P0001', message = 'product_unavailable', hint = '商品已下架';
      end if;
      if (v_channel = 'mall') = (v_product.kind = 'store') then
        raise exception using errcode = 'P0001', message = 'product_wrong_channel', hint = '商品不属于该渠道';
      end if;
      if v_channel = 'store' then
        v_store_id := coalesce(v_store_id, v_product.store_id);
        if v_product.store_id <> v_store_id then
          raise exception using errcode = 'P0001', message = 'mixed_store_lines', hint = '一个订单只能包含同一门店的商品';
        end if;
      end if;
      v_amount := v_qty * v_product.price_fen;
      if v_amount > c_max or v_goods + v_amount > c_max then
        raise exception using errcode = 'P0001', message = 'amount_too_large', hint = '订单金额超出上限';
      end if;
      v_goods := v_goods + v_amount;
      v_products[i] := v_pid;
      v_qtys[i] := v_qty;
      v_prices[i] := v_product.price_fen;
      v_amounts[i] := v_amount;
    end loop;
  end if;

  if v_channel in ('store', 'cashier') then
    select * into v_store from rebate.stores s where s.id = v_store_id;
    if not found then
      raise exception using errcode = 'P0001', message = 'store_not_found', hint = '门店不存在';
    end if;
    if v_store.status <> 'approved' then
      raise exception using errcode = 'P0001', message = 'store_not_approved', hint = '门店暂未开通';
    end if;
    if v_channel = 'cashier' then
      select c.id into v_cashier_id from rebate.cashiers c where c.store_id = v_store_id;
      if v_cashier_id is null then
        raise exception using errcode = 'P0001', message = 'cashier_unavailable', hint = '该门店暂不支持买单';
      end if;
    end if;
  end if;

  if coalesce(jsonb_typeof(p_order -> 'points_fen'), 'null') <> 'null' then
    v_points := rebate.json_int(p_order -> 'points_fen', 0, c_max);
    if v_points is null then
      raise exception using errcode = 'P0001', message = 'invalid_deduction', hint = '积分抵扣数量无效';
    end if;
  end if;
  if coalesce(jsonb_typeof(p_order -> 'love_fen'), 'null') <> 'null' then
    v_love := rebate.json_int(p_order -> 'love_fen', 0, c_max);
    if v_love is null then
      raise exception using errcode = 'P0001', message = 'invalid_deduction', hint = '爱心值抵扣数量无效';
    end if;
  end if;
  if v_points + v_love >= v_goods then
    raise exception using errcode = 'P0001', message = 'deduction_exceeds_order', hint = '抵扣金额不能超过订单金额';
  end if;

  v_palloc := rebate.allocate(v_points, v_amounts);
  for i in 1 .. cardinality(v_amounts) loop
    v_rest[i] := v_amounts[i] - v_palloc[i];
  end loop;
  v_lalloc := rebate.allocate(v_love, v_rest);

  channel := v_channel;
  store_id := case when v_channel <> 'mall' then v_store_id end;
  cashier_id := v_cashier_id;
  products := v_products;
  qtys := v_qtys;
  prices := v_prices;
  amounts := v_amounts;
  goods_fen := v_goods;
  points_fen := v_points;
  love_fen := v_love;
  points_alloc := v_palloc;
  love_alloc := v_lalloc;
end;
$function$;
comment on function rebate.parse_order_request(p_order jsonb, OUT channel text, OUT store_id bigint, OUT cashier_id bigint, OUT products bigint[], OUT qtys integer[], OUT prices bigint[], OUT amounts bigint[], OUT goods_fen bigint, OUT points_fen bigint, OUT love_fen bigint, OUT points_alloc bigint[], OUT love_alloc bigint[]) is 'Reads and validates an order request (the JSON below) without writing anything: the one place for the request''s rules, shared by create_order and preview_order. Deductions are split over the lines in proportion to their amounts (points first, then love value).';
revoke all on function rebate.parse_order_request(p_order jsonb, OUT channel text, OUT store_id bigint, OUT cashier_id bigint, OUT products bigint[], OUT qtys integer[], OUT prices bigint[], OUT amounts bigint[], OUT goods_fen bigint, OUT points_fen bigint, OUT love_fen bigint, OUT points_alloc bigint[], OUT love_alloc bigint[]) from public, anon, authenticated, service_role;

-- The delivery address and remark of a create_order body (确认订单): `address` {name, phone,
-- region, detail} (not for cashier payments), `remark` up to 100 characters; both optional.
-- Text is trimmed; an empty remark is none.
CREATE OR REPLACE FUNCTION rebate.parse_order_delivery (
  p_order   jsonb,
  p_channel text,
  OUT       name text,
  OUT       phone text,
  OUT       region text,
  OUT       address text,
  OUT       remark text
)
  RETURNS record
  LANGUAGE plpgsql
  IMMUTABLE
  SET search_path TO ''
  AS $function$
declare
  a jsonb := p_order -> 'address';
begin
  if coalesce(jsonb_typeof(a), 'null') <> 'null' then
    if p_channel = 'cashier' then
      raise exception using errcode = 'P0001', message = 'invalid_order', hint = '收银台买单不需要收货地址';
    end if;
    if jsonb_typeof(a) <> 'object'
       or exists (select 1 from jsonb_object_keys(a) k where k not in ('name', 'phone', 'region', 'detail'))
       or jsonb_typeof(a -> 'name') is distinct from 'string' or jsonb_typeof(a -> 'phone') is distinct from 'string'
       or jsonb_typeof(a -> 'region') is distinct from 'string' or jsonb_typeof(a -> 'detail') is distinct from 'string' then
      raise exception using errcode = 'P0001', message = 'invalid_delivery', hint = '请填写收货人、手机号、所在地区和详细地址';
    end if;
    name := btrim(a ->> 'name');
    phone := regexp_replace(a ->> 'phone', '\s', '', 'g');
    region := btrim(a ->> 'region');
    address := btrim(a ->> 'detail');
    if char_length(name) not between 1 and 20 then
      raise exception using errcode = 'P0001', message = 'invalid_delivery', hint = '收货人应为 1 到 20 个字';
    end if;
    if phone !~ '^[0-9+-]{5,20}$' then
      raise exception using errcode = 'P0001', message = 'invalid_delivery', hint = '请填写正确的联系电话';
    end if;
    if char_length(region) not between 1 and 60 or char_length(address) not between 1 and 120 then
      raise exception using errcode = 'P0001', message = 'invalid_delivery', hint = '请填写所在地区和详细地址（最多 120 个字）';
    end if;
  end if;
  if coalesce(jsonb_typeof(p_order -> 'remark'), 'null') <> 'null' then
    if jsonb_typeof(p_order -> 'remark') <> 'string' or char_length(btrim(p_order ->> 'remark')) > 100 then
      raise exception using errcode = 'P0001', message = 'invalid_remark', hint = '备注最多 100 个字';
    end if;
    remark := nullif(btrim(p_order ->> 'remark'), '');
  end if;
end;
$function$;
comment on function rebate.parse_order_delivery(p_order jsonb, p_channel text, OUT name text, OUT phone text, OUT region text, OUT address text, OUT remark text) is 'The delivery address and remark of a create_order body (确认订单): address {name, phone, region, detail} (not for cashier payments), remark up to 100 characters; both optional. Text is trimmed; an empty remark is none.';
revoke all on function rebate.parse_order_delivery(p_order jsonb, p_channel text, OUT name text, OUT phone text, OUT region text, OUT address text, OUT remark text) from public, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION rebate.refund_order (
  p_order_no   text,
  p_refund_ref text,
  p_line_nos   integer[] DEFAULT NULL::integer[],
  p_kept_back  bigint[]  DEFAULT NULL::bigint[]
)
  RETURNS jsonb
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  o rebate.orders;
  s rebate.settings;
  r rebate.refunds;
  l rebate.order_lines;
  e rebate.entries;
  v_lines bigint[];
  v_nos smallint[];
  v_received bigint;
  v_claw bigint;
  v_refund bigint := 0;
  v_claw_total bigint := 0;
  v_short bigint := 0;
  v_cost bigint := 0;
  v_points bigint := 0;
  v_love bigint := 0;
  v_union_cost bigint;
begin
  if p_refund_ref is null or p_refund_ref !~ '^[A-Za-z0-9_.:|-]{1,64}$' then
    raise exception using errcode = 'P0001', message = 'invalid_refund_ref', hint = '退款单号无效';
  end if;
  select * into o from rebate.orders x where x.order_no = p_order_no for update;
  if not found then
    raise exception using errcode = 'P0001', message = 'order_not_found', hint = '订单不存在';
  end if;
  select * into r from rebate.refunds x where x.refund_ref = p_refund_ref;
  if found then
    if r.order_id <> o.id then
      raise exception using errcode = 'P0001', message = 'refund_ref_conflict', hint = '退款单号已被其他订单使用';
    end if;
    return to_jsonb(r) - 'id' - 'order_id' || jsonb_build_object('refund_id', r.id, 'order_no', o.order_no,
                                                                 'order_status', o.status, 'replayed', true);
  end if;
  if o.status not in ('paid', 'completed') then
    raise exception using errcode = 'P0001', message = 'order_not_refundable', hint = '订单当前状态不能退款';
  end if;
  if p_line_nos is not null and (cardinality(p_line_nos) = 0 or exists (
       select 1 from unnest(p_line_nos) n
        where not exists (select 1 from rebate.order_lines x
                           where x.order_id = o.id and x.line_no = n and x.refunded_at is null))
     or cardinality(p_line_nos) <> (select count(distinct n) from unnest(p_line_nos) n)) then
    raise exception using errcode = 'P0001', message = 'invalid_refund_lines', hint = '退款商品无效或已退款';
  end if;
  v_lines := array(select x.id from rebate.order_lines x
                    where x.order_id = o.id and x.refunded_at is null
                      and (p_line_nos is null or x.line_no = any (p_line_nos))
                    order by x.line_no);
  if cardinality(v_lines) = 0 then
    raise exception using errcode = 'P0001', message = 'nothing_to_refund', hint = '没有可退款的商品';
  end if;
  select * into s from rebate.settings x where x.id = 1;
  perform rebate.lock_queues(array(
    select distinct x.queue_id from rebate.order_lines x where x.id = any (v_lines) and x.queue_id is not null));

  v_nos := array(select x.line_no from rebate.order_lines x where x.id = any (v_lines) order by x.line_no);
  insert into rebate.refunds (refund_ref, order_id, line_nos) values (p_refund_ref, o.id, v_nos) returning * into r;

  if exists (select 1 from rebate.order_lines x where x.id = any (v_lines) and x.union_joined) then
    -- union mode (SPEC §13.7): beside settlements, never while a payout runs
    perform pg_advisory_xact_lock_shared(20261216, 1);
  end if;

  for l in select * from rebate.order_lines x where x.id = any (v_lines) order by x.line_no loop
    v_received := 0;
    v_union_cost := null;
    if l.union_joined then
      select u.received_fen, u.cost_fen into v_received, v_union_cost from rebate.union_refund_line(l, o, r.id) u;
    end if;
    select * into e from rebate.entries x where x.line_id = l.id;
    if found then
      v_received := e.received_fen;
      if e.status = 'waiting' then
        update rebate.entries x set status = 'voided', closed_fen = x.entitlement_fen - x.received_fen, ended_at = now()
         where x.id = e.id;
        insert into rebate.messages (member_id, kind, title, body, entry_id, order_id, amount_fen)
        values (o.member_id, 'entry_voided', s.display_name || '名额已失效',
                '订单' || o.order_no || '已退款，排队名额失效，未返的' || rebate.fen_text(e.entitlement_fen - e.received_fen)
                  || '不再返还',
                e.id, o.id, e.entitlement_fen - e.received_fen);
      end if;
    end if;
    -- a refund we started through WeChat Pay fixed what it keeps back when it asked for the money
    -- (p_kept_back, by line in line order); rebate received since then is shortfall
    v_claw := least(l.pay_fen, coalesce(p_kept_back[array_position(v_nos, l.line_no)], v_received));
    update rebate.order_lines x set
      refund_id = r.id, refunded_at = now(), refund_fen = l.pay_fen - v_claw, clawback_fen = v_claw,
      shortfall_fen = greatest(v_received - v_claw, 0),
      cost_fen = case when v_union_cost is not null then v_union_cost
                      when l.settled_at is not null then l.distributed_fen else 0 end
     where x.id = l.id
     returning * into l;
    v_refund := v_refund + l.refund_fen;
    v_claw_total := v_claw_total + l.clawback_fen;
    v_short := v_short + l.shortfall_fen;
    v_cost := v_cost + l.cost_fen;
    v_points := v_points + l.points_deduct_fen;
    v_love := v_love + l.love_deduct_fen;
    perform rebate.reverse_order_rewards(l);
  end loop;

  perform rebate.post_ledger(o.member_id, 'points', v_points, 'order_refund_return', o.id, null, null, r.id);
  perform rebate.post_ledger(o.member_id, 'love', v_love, 'order_refund_return', o.id, null, null, r.id);

  update rebate.refunds x set refund_fen = v_refund, clawback_fen = v_claw_total, shortfall_fen = v_short,
         cost_fen = v_cost, points_returned = v_points, love_returned_fen = v_love
   where x.id = r.id
   returning * into r;
  update rebate.orders x set
    refunded_fen = x.refunded_fen + v_refund,
    status = case when exists (select 1 from rebate.order_lines y where y.order_id = o.id and y.refunded_at is null)
                  then x.status else 'refunded' end,
    refunded_at = case when exists (select 1 from rebate.order_lines y where y.order_id = o.id and y.refunded_at is null)
                       then x.refunded_at else now() end
   where x.id = o.id
   returning * into o;
  -- a member's pending request whose lines are now all refunded is answered by this refund
  update rebate.refund_requests q set status = 'approved', refund_id = r.id, decided_at = now()
   where q.order_id = o.id and q.status = 'pending'
     and not exists (select 1 from rebate.order_lines y
                      where y.order_id = o.id and y.line_no = any (q.line_nos) and y.refunded_at is null);
  return to_jsonb(r) - 'id' - 'order_id' || jsonb_build_object('refund_id', r.id, 'order_no', o.order_no,
                                                               'order_status', o.status, 'replayed', false);
end;
$function$;
comment on function rebate.refund_order(p_order_no text, p_refund_ref text, p_line_nos integer[], p_kept_back bigint[]) is 'The refund of chosen lines of an order (SPEC §10), once the order has settled: voids their waiting entries, keeps back the cash rebate received (or, for a refund started through WeChat Pay, what it fixed when it asked: p_kept_back by line; rebate received since is shortfall), returns deductions, reverses rewards; a union line''s contribution is taken back from the pool before its day''s payout (SPEC §13.7, rebate.union_refund_line). Idempotent on the refund reference.';
revoke all on function rebate.refund_order(p_order_no text, p_refund_ref text, p_line_nos integer[], p_kept_back bigint[]) from public, anon, authenticated, service_role;

-- Runs when a refund notification is recorded (rebate.refunds row, inside refund_order, after
-- the order and its queues are locked): for each refunded line whose entry was exchanged or
-- converted to points, takes back what it gave, at most the current balance.
CREATE OR REPLACE FUNCTION rebate.refunds_take_back()
  RETURNS TRIGGER
  LANGUAGE plpgsql
  SET search_path TO ''
  AS $function$
declare
  r record;
  v_balance bigint;
  v_taken bigint;
begin
  for r in
    select e.id as entry_id, e.member_id, e.order_id, coalesce(x.asset, 'points') as asset, coalesce(x.amount, rr.points) as due
      from rebate.order_lines l
      join rebate.entries e on e.line_id = l.id
      left join rebate.exchanges x on x.entry_id = e.id
      left join rebate.random_returns rr on rr.entry_id = e.id
     where l.order_id = new.order_id and l.line_no = any (new.line_nos) and l.refunded_at is null
       and (x.entry_id is not null or rr.entry_id is not null) and coalesce(x.amount, rr.points) > 0
     order by l.line_no
  loop
    select case r.asset when 'points' then w.points when 'love' then w.love_fen else w.love_frozen_fen end
      into v_balance from rebate.wallets w where w.member_id = r.member_id for update;
    v_taken := least(r.due, v_balance);
    perform rebate.post_ledger(r.member_id, r.asset, -v_taken,
                                case when r.asset = 'points' then 'refund_points_back' else 'refund_love_back' end,
                                r.order_id, r.entry_id, null, new.id);
    insert into rebate.refund_takebacks (refund_id, entry_id, member_id, asset, due, taken)
    values (new.id, r.entry_id, r.member_id, r.asset, r.due, v_taken);
  end loop;
  return null;
end;
$function$;
comment on function rebate.refunds_take_back() is 'Runs when a refund notification is recorded (rebate.refunds row, inside refund_order, after the order and its queues are locked): for each refunded line whose entry was exchanged or converted to points, takes back what it gave, at most the current balance.';
revoke all on function rebate.refunds_take_back() from public, anon, authenticated, service_role;

-- The member cancels one of their own pending orders.
CREATE OR REPLACE FUNCTION public.cancel_my_order (
  p_order_id bigint
)
  RETURNS public.order_details
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_uid uuid := rebate.require_member();
  o rebate.orders;
begin
  select * into o from rebate.orders x where x.id = p_order_id and x.member_id = v_uid for update;
  if not found then
    raise exception using errcode = 'P0001', message = 'order_not_found', hint = '订单不存在';
  end if;
  return rebate.cancel_locked_order(o);
end;
$function$;
comment on function public.cancel_my_order(p_order_id bigint) is 'The member cancels one of their own pending orders.';
revoke all on function public.cancel_my_order(p_order_id bigint) from public, anon, authenticated, service_role;
grant execute on function public.cancel_my_order(p_order_id bigint) to authenticated;

-- Closes a pending order (payment timeout, or the payment side cancelled it).
CREATE OR REPLACE FUNCTION public.cancel_order (
  p_order_no text
)
  RETURNS public.order_details
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  o rebate.orders;
begin
  select * into o from rebate.orders x where x.order_no = p_order_no for update;
  if not found then
    raise exception using errcode = 'P0001', message = 'order_not_found', hint = '订单不存在';
  end if;
  return rebate.cancel_locked_order(o);
end;
$function$;
comment on function public.cancel_order(p_order_no text) is 'Closes a pending order (payment timeout, or the payment side cancelled it).';
revoke all on function public.cancel_order(p_order_no text) from public, anon, authenticated, service_role;
grant execute on function public.cancel_order(p_order_no text) to service_role;

-- Fulfilment: paid → completed. Its entries become eligible under the "completed + queue
-- order" rule; lines not yet settled (settlement event = completion) are settled now.
-- Completing a completed order changes nothing.
CREATE OR REPLACE FUNCTION public.complete_order (
  p_order_no text
)
  RETURNS jsonb
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
begin
  perform rebate.settle_accepted_order(x.id) from rebate.orders x where x.order_no = p_order_no;
  return rebate.complete_order(p_order_no);
end;
$function$;
comment on function public.complete_order(p_order_no text) is 'Fulfilment: paid → completed. Its entries become eligible under the "completed + queue order" rule; lines not yet settled (settlement event = completion) are settled now. Completing a completed order changes nothing.';
revoke all on function public.complete_order(p_order_no text) from public, anon, authenticated, service_role;
grant execute on function public.complete_order(p_order_no text) to service_role;

-- Creates a pending order for the signed-in member (SPEC §10): the request rules of
-- rebate.parse_order_request, points and love value deducted now (returned if it is cancelled),
-- the lines with their deductions split in proportion. Terms are fixed later, at payment.
CREATE OR REPLACE FUNCTION public.create_order (
  p_order jsonb
)
  RETURNS public.order_details
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_uid uuid := rebate.require_member();
  r record;
  d record;
  v_order_id bigint;
begin
  r := rebate.parse_order_request(p_order);
  d := rebate.parse_order_delivery(p_order, r.channel);

  v_order_id := nextval(pg_get_serial_sequence('rebate.orders', 'id'));
  insert into rebate.orders (id, order_no, member_id, channel, store_id, cashier_id, goods_fen,
                             points_deduct_fen, love_deduct_fen, pay_fen,
                             delivery_name, delivery_phone, delivery_region, delivery_address, remark)
  values (v_order_id, to_char(now() at time zone 'Asia/Shanghai', 'YYYYMMDD') || lpad(v_order_id::text, 10, '0'),
          v_uid, r.channel, r.store_id, r.cashier_id, r.goods_fen,
          r.points_fen, r.love_fen, r.goods_fen - r.points_fen - r.love_fen,
          d.name, d.phone, d.region, d.address, d.remark);
  -- one INSERT … VALUES per line: it keeps one plan (an INSERT … SELECT over
  -- generate_series(1, n) was planned again for every order)
  for i in 1 .. cardinality(r.amounts) loop
    insert into rebate.order_lines (order_id, line_no, product_id, quantity, unit_price_fen, amount_fen,
                                    points_deduct_fen, love_deduct_fen, pay_fen)
    values (v_order_id, i, r.products[i], r.qtys[i], r.prices[i], r.amounts[i],
            r.points_alloc[i], r.love_alloc[i], r.amounts[i] - r.points_alloc[i] - r.love_alloc[i]);
  end loop;

  -- raises insufficient_points / insufficient_love, which rolls everything back
  perform rebate.post_ledger(v_uid, 'points', -r.points_fen, 'order_deduction', v_order_id);
  perform rebate.post_ledger(v_uid, 'love', -r.love_fen, 'order_deduction', v_order_id);

  return rebate.order_details(v_order_id);
end;
$function$;
comment on function public.create_order(p_order jsonb) is 'Creates a pending order for the signed-in member: request rules of parse_order_request, delivery address and remark of parse_order_delivery, deductions taken now, lines with deductions split in proportion; terms are fixed at payment.';
revoke all on function public.create_order(p_order jsonb) from public, anon, authenticated, service_role;
grant execute on function public.create_order(p_order jsonb) to authenticated;

-- Payment notification in one call: accepted, then settled with everything accepted before it
-- in its queue. `settled` is false only if that settlement failed (the order stays accepted;
-- the sweep retries it).
CREATE OR REPLACE FUNCTION public.mark_order_paid (
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
begin
  select * into a from rebate.accept_payment(p_order_no, p_payment_ref, p_paid_fen);
  if a.settle_queue_id is not null then
    perform rebate.settle_accepted_order((a.o).id);
  end if;
  return rebate.payment_result(a.o, a.replayed);
end;
$function$;
comment on function public.mark_order_paid(p_order_no text, p_payment_ref text, p_paid_fen bigint) is 'Payment notification in one call: accepted, then settled with everything accepted before it in its queue. `settled` is false only if that settlement failed (the order stays accepted; the sweep retries it).';
revoke all on function public.mark_order_paid(p_order_no text, p_payment_ref text, p_paid_fen bigint) from public, anon, authenticated, service_role;
grant execute on function public.mark_order_paid(p_order_no text, p_payment_ref text, p_paid_fen bigint) to service_role;

-- One of my orders with its lines; another member's order is not found.
CREATE OR REPLACE FUNCTION public.my_order (
  p_order_id bigint
)
  RETURNS public.order_details
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_uid uuid := rebate.require_member();
begin
  if not exists (select 1 from rebate.orders o where o.id = p_order_id and o.member_id = v_uid) then
    raise exception using errcode = 'P0001', message = 'order_not_found', hint = '订单不存在';
  end if;
  return rebate.order_details(p_order_id);
end;
$function$;
comment on function public.my_order(p_order_id bigint) is 'One of my orders with its lines; another member''s order is not found.';
revoke all on function public.my_order(p_order_id bigint) from public, anon, authenticated, service_role;
grant execute on function public.my_order(p_order_id bigint) to authenticated;

-- My orders, newest first (page with p_before_id).
CREATE OR REPLACE FUNCTION public.my_orders (
  p_status    text    DEFAULT NULL::text,
  p_before_id bigint  DEFAULT NULL::bigint,
  p_limit     integer DEFAULT 20
)
  RETURNS TABLE (
    order_id          bigint,
    order_no          text,
    channel           text,
    status            text,
    status_label      text,
    store_name        text,
    goods_fen         bigint,
    points_deduct_fen bigint,
    love_deduct_fen   bigint,
    pay_fen           bigint,
    refunded_fen      bigint,
    item_count        integer,
    first_item        text,
    entitlement_fen   bigint,
    created_at        timestamp with time zone,
    paid_at           timestamp with time zone,
    completed_at      timestamp with time zone
  )
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_uid uuid := rebate.require_member();
begin
  if p_status is not null and p_status not in ('pending', 'paid', 'completed', 'refunded', 'cancelled', 'after_sales') then
    raise exception using errcode = 'P0001', message = 'invalid_status', hint = '订单状态无效';
  end if;
  if p_limit is null or p_limit not between 1 and 100 then
    raise exception using errcode = 'P0001', message = 'invalid_limit', hint = '每页数量应在 1 到 100 之间';
  end if;
  return query
    select o.id, o.order_no, o.channel, o.status, rebate.order_status_label(o.status), st.name,
           o.goods_fen, o.points_deduct_fen, o.love_deduct_fen, o.pay_fen, o.refunded_fen,
           li.n, li.first_item, li.entitlement
      , o.created_at, o.paid_at, o.completed_at
      from rebate.orders o
      left join rebate.stores st on st.id = o.store_id
      cross join lateral (
        select count(*)::integer as n,
               (array_agg(coalesce(p.name, '收银台买单') order by l.line_no))[1] as first_item,
               sum(l.entitlement_fen)::bigint as entitlement
          from rebate.order_lines l left join rebate.products p on p.id = l.product_id
         where l.order_id = o.id) li
     where o.member_id = v_uid
       and (p_status is null or o.status = p_status
            or (p_status = 'after_sales'
                and (o.status = 'refunded' or o.refunded_fen > 0
                     or exists (select 1 from rebate.refund_requests q where q.order_id = o.id))))
       and (p_before_id is null or o.id < p_before_id)
     order by o.id desc
     limit p_limit;
end;
$function$;
comment on function public.my_orders(p_status text, p_before_id bigint, p_limit integer) is 'My orders, newest first (page with p_before_id); p_status one status, or after_sales (退款售后: refunded in part or in full, or with a refund request).';
revoke all on function public.my_orders(p_status text, p_before_id bigint, p_limit integer) from public, anon, authenticated, service_role;
grant execute on function public.my_orders(p_status text, p_before_id bigint, p_limit integer) to authenticated;

-- What pay-order sends to WeChat Pay for one of the member's pending orders: openid, cash amount,
-- description and time_expire (RFC 3339, +08:00). The first call fixes description and
-- time_expire (now + p_ttl_seconds); later calls return the same values. Refuses an order that is
-- not the member's (order_not_found), not pending, whose payment window has (almost) closed, or
-- whose member has no openid.
CREATE OR REPLACE FUNCTION public.prepare_payment (
  p_order_no    text,
  p_member_id   uuid,
  p_ttl_seconds integer DEFAULT 1800
)
  RETURNS jsonb
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  o rebate.orders;
  r rebate.payment_requests;
  v_openid text;
  v_description text;
begin
  if p_ttl_seconds is null or p_ttl_seconds not between 120 and 86400 then
    raise exception using errcode = 'P0001', message = 'invalid_ttl', hint = '支付有效期无效';
  end if;
  -- shared lock: a cancel waits for the payment request, then marks its trade to be closed
  select * into o from rebate.orders x where x.order_no = p_order_no for share;
  if not found or p_member_id is null or o.member_id <> p_member_id then
    raise exception using errcode = 'P0001', message = 'order_not_found', hint = '订单不存在';
  end if;
  if o.status in ('paid', 'completed') then
    raise exception using errcode = 'P0001', message = 'order_already_paid', hint = '订单已支付';
  end if;
  if o.status <> 'pending' then
    raise exception using errcode = 'P0001', message = 'order_not_pending', hint = '订单已关闭，不能支付';
  end if;
  select m.openid into v_openid from rebate.members m where m.id = o.member_id;
  if v_openid is null then
    raise exception using errcode = 'P0001', message = 'openid_missing', hint = '请使用微信登录后再支付';
  end if;

  select * into r from rebate.payment_requests x where x.order_id = o.id;
  if not found then
    select left(coalesce(p.name, st.name || ' 买单', '收银台买单')
                || case when li.n > 1 then ' 等' || li.n || '件商品' else '' end, 127)
      into v_description
      from rebate.order_lines l
      left join rebate.products p on p.id = l.product_id
      left join rebate.stores st on st.id = o.store_id
      cross join (select count(*) as n from rebate.order_lines y where y.order_id = o.id) li
     where l.order_id = o.id
     order by l.line_no
     limit 1;
    insert into rebate.payment_requests (order_id, description, time_expire)
    values (o.id, coalesce(v_description, '订单' || o.order_no),
            date_trunc('second', now()) + make_interval(secs => p_ttl_seconds))
    on conflict (order_id) do nothing;
    select * into r from rebate.payment_requests x where x.order_id = o.id;
  end if;
  -- WeChat wants time_expire at least a minute ahead; past it the trade is closed anyway
  if r.time_expire < now() + interval '1 minute' then
    raise exception using errcode = 'P0001', message = 'payment_expired', hint = '支付已超时，请重新下单';
  end if;

  return jsonb_build_object(
    'order_id', o.id, 'order_no', o.order_no, 'status', o.status, 'pay_fen', o.pay_fen, 'openid', v_openid,
    'description', r.description,
    'time_expire', to_char(r.time_expire at time zone 'Asia/Shanghai', 'YYYY-MM-DD"T"HH24:MI:SS') || '+08:00');
end;
$function$;
comment on function public.prepare_payment(p_order_no text, p_member_id uuid, p_ttl_seconds integer) is 'What pay-order sends to WeChat Pay for one of the member''s pending orders: openid, cash amount, description and time_expire (RFC 3339, +08:00). The first call fixes description and time_expire (now + p_ttl_seconds); later calls return the same values. Refuses an order that is not the member''s (order_not_found), not pending, whose payment window has (almost) closed, or whose member has no openid.';
revoke all on function public.prepare_payment(p_order_no text, p_member_id uuid, p_ttl_seconds integer) from public, anon, authenticated, service_role;
grant execute on function public.prepare_payment(p_order_no text, p_member_id uuid, p_ttl_seconds integer) to service_role;

-- What create_order would produce for this body, without creating anything (SPEC §4, the
-- ratio display): the same validation and refusals as create_order (copied from it: keep them in
-- step; test/db/preview-order.test.ts compares the two), the deductions split the same way, then
-- per line what the payment would decide now: the queue (rebate.queue_for_line), whether it earns
-- (deductions, reward windows, limits: the read-only half of rebate.line_earns_entitlement), the
-- ratio and its rule (rebate.resolve_reward_ratio) and the entitlement; in union mode the union
-- quota (rule union_quota, SPEC §13.2; no lottery, no ratio chain). Terms are fixed at
-- payment, so a preview can differ from the paid order when settings, level, spend or the time
-- window change in between.
-- → {channel, store_id, goods_fen, points_deduct_fen, love_deduct_fen, pay_fen,
--    lines: [{line_no, product_id, quantity, amount_fen, pay_fen, earns, no_entry_reason,
--             reward_bps, reward_rule_code, reward_rule_label, entitlement_fen, lottery}]}
CREATE OR REPLACE FUNCTION public.preview_order (
  p_order jsonb
)
  RETURNS public.order_preview
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_uid uuid := rebate.require_member();
  r record;
  v_channel text;
  v_store_id bigint;
  v_cashier_id bigint;
  v_products bigint[];
  v_qtys integer[];
  v_prices bigint[];
  v_amounts bigint[];
  v_goods bigint;
  v_points bigint;
  v_love bigint;
  v_palloc bigint[];
  v_lalloc bigint[];
  v_wallet rebate.wallets;
  v_set rebate.settings;
  v_o rebate.orders;
  v_l rebate.order_lines;
  v_t rebate.line_terms;
  v_lines jsonb := '[]';
begin
  -- the same request rules as create_order (one place: rebate.parse_order_request)
  r := rebate.parse_order_request(p_order);
  v_channel := r.channel;
  v_store_id := r.store_id;
  v_cashier_id := r.cashier_id;
  v_products := r.products;
  v_qtys := r.qtys;
  v_prices := r.prices;
  v_amounts := r.amounts;
  v_goods := r.goods_fen;
  v_points := r.points_fen;
  v_love := r.love_fen;
  v_palloc := r.points_alloc;
  v_lalloc := r.love_alloc;

  -- the balances create_order would debit
  select * into v_wallet from rebate.wallets w where w.member_id = v_uid;
  if v_points > coalesce(v_wallet.points, 0) then
    raise exception using errcode = 'P0001', message = 'insufficient_points', hint = '积分不足';
  end if;
  if v_love > coalesce(v_wallet.love_fen, 0) then
    raise exception using errcode = 'P0001', message = 'insufficient_love', hint = '爱心值不足';
  end if;

  select * into v_set from rebate.settings x where x.id = 1;
  v_o.member_id := v_uid;
  v_o.channel := v_channel;
  v_o.store_id := case when v_channel <> 'mall' then v_store_id end;
  v_o.cashier_id := v_cashier_id;
  v_o.goods_fen := v_goods;
  v_o.points_deduct_fen := v_points;
  v_o.love_deduct_fen := v_love;
  v_o.pay_fen := v_goods - v_points - v_love;

  for i in 1 .. cardinality(v_amounts) loop
    v_l.line_no := i;
    v_l.product_id := v_products[i];
    v_l.quantity := v_qtys[i];
    v_l.unit_price_fen := v_prices[i];
    v_l.amount_fen := v_amounts[i];
    v_l.points_deduct_fen := v_palloc[i];
    v_l.love_deduct_fen := v_lalloc[i];
    v_l.pay_fen := v_amounts[i] - v_palloc[i] - v_lalloc[i];
    v_t := rebate.line_terms(v_l, v_o, v_set, false);
    v_lines := v_lines || jsonb_build_object(
      'line_no', i, 'product_id', v_l.product_id, 'quantity', v_l.quantity, 'amount_fen', v_l.amount_fen,
      'pay_fen', v_l.pay_fen, 'earns', v_t.no_entry_reason is null, 'no_entry_reason', v_t.no_entry_reason,
      'reward_bps', v_t.reward_bps, 'reward_rule_code', v_t.rule_code, 'reward_rule_label', v_t.rule_label,
      'entitlement_fen', v_t.entitlement_fen,
      'lottery', coalesce(v_t.rule_code like '%\_lottery', false));
  end loop;

  return jsonb_populate_record(null::public.order_preview, jsonb_build_object('channel', v_channel, 'store_id', v_o.store_id, 'goods_fen', v_goods,
                            'points_deduct_fen', v_points, 'love_deduct_fen', v_love, 'pay_fen', v_o.pay_fen,
                            'lines', v_lines));
end;
$function$;
comment on function public.preview_order(p_order jsonb) is 'What create_order would produce for this body, without creating anything: the same request rules (rebate.parse_order_request), the deductions split the same way, and per line the terms payment would fix now (rebate.line_terms, read only). Terms are fixed at payment, so a preview can differ when settings, level, spend or the time window change in between.';
revoke all on function public.preview_order(p_order jsonb) from public, anon, authenticated, service_role;
grant execute on function public.preview_order(p_order jsonb) to authenticated;

-- Refund notification (SPEC §10) for the given line numbers, or all lines not yet refunded.
-- Each refunded line's waiting entry is voided (remaining forfeited); the rebate it already
-- received is kept back from the cash refunded; extraction it already distributed stays with
-- its recipients (recorded as cost); a line not yet settled never extracts. Deducted points
-- and love value go back to the wallet. Idempotent on p_refund_ref.
CREATE OR REPLACE FUNCTION public.refund_order (
  p_order_no   text,
  p_refund_ref text,
  p_line_nos   integer[] DEFAULT NULL::integer[]
)
  RETURNS jsonb
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
begin
  perform rebate.settle_accepted_order(x.id) from rebate.orders x where x.order_no = p_order_no;
  return rebate.refund_order(p_order_no, p_refund_ref, p_line_nos);
end;
$function$;
comment on function public.refund_order(p_order_no text, p_refund_ref text, p_line_nos integer[]) is 'Refund notification (SPEC §10) for the given line numbers, or all lines not yet refunded. Each refunded line''s waiting entry is voided (remaining forfeited); the rebate it already received is kept back from the cash refunded; extraction it already distributed stays with its recipients (recorded as cost); a line not yet settled never extracts. Deducted points and love value go back to the wallet. Idempotent on p_refund_ref.';
revoke all on function public.refund_order(p_order_no text, p_refund_ref text, p_line_nos integer[]) from public, anon, authenticated, service_role;
grant execute on function public.refund_order(p_order_no text, p_refund_ref text, p_line_nos integer[]) to service_role;

-- A refund request as the API returns it, with its Chinese status label.
CREATE OR REPLACE FUNCTION rebate.refund_request_row (
  r rebate.refund_requests
)
  RETURNS public.refund_request_details
  LANGUAGE sql
  STABLE
  SET search_path TO ''
  AS $function$
  select row(r.id, r.order_id, (select o.order_no from rebate.orders o where o.id = r.order_id), r.line_nos::integer[],
             r.reason, r.status,
             case r.status when 'pending' then '审核中' when 'rejected' then '已驳回' when 'cancelled' then '已撤销'
               else coalesce((select case w.status when 'success' then '已退款' when 'abnormal' then '退款异常'
                                                   when 'closed' then '退款失败' when 'failed' then '退款失败' else '退款中' end
                                from rebate.wechat_refunds w where w.request_id = r.id order by w.id desc limit 1), '已退款') end,
             r.refundable_fen, r.points_fen, r.love_fen, r.reject_reason, r.requested_at, r.decided_at)::public.refund_request_details
$function$;
comment on function rebate.refund_request_row(r rebate.refund_requests) is 'A refund request as the API returns it, with its Chinese status label (an approved one: 退款中 / 已退款 / 退款异常 / 退款失败 from its WeChat Pay refund).';
revoke all on function rebate.refund_request_row(r rebate.refund_requests) from public, anon, authenticated, service_role;

-- One of my orders, line by line, as a refund would treat it (SPEC §10): the cash paid, the
-- cash rebate the line's entry already received (kept back from the refund), the refundable
-- cash, the points and love value that go back; whether the line can be requested now.
CREATE OR REPLACE FUNCTION public.refund_quote (
  p_order_id bigint
)
  RETURNS SETOF public.refund_quote_line
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_uid uuid := rebate.require_member();
  o rebate.orders;
begin
  select * into o from rebate.orders x where x.id = p_order_id and x.member_id = v_uid;
  if not found then
    raise exception using errcode = 'P0001', message = 'order_not_found', hint = '订单不存在';
  end if;
  return query
    select l.line_no::integer, coalesce(p.name, '收银台买单'), l.quantity::integer, l.pay_fen,
           coalesce(e.received_fen, ue.received_fen, 0)::bigint,
           greatest(l.pay_fen - coalesce(e.received_fen, ue.received_fen, 0), 0)::bigint,
           l.points_deduct_fen, l.love_deduct_fen, coalesce(e.status, ue.status),
           (o.status in ('paid', 'completed') and l.refunded_at is null and pend.id is null and not rebate.line_refund_open(o.id, l.line_no)),
           case when l.refunded_at is not null then '已退款'
                when o.status not in ('paid', 'completed') then '订单当前状态不能退款'
                when pend.id is not null then '退款申请审核中'
                when rebate.line_refund_open(o.id, l.line_no) then '退款处理中' end
      from rebate.order_lines l
      left join rebate.products p on p.id = l.product_id
      left join rebate.entries e on e.line_id = l.id
      left join rebate.union_entries ue on ue.line_id = l.id
      left join lateral (select q.id from rebate.refund_requests q
                          where q.order_id = o.id and q.status = 'pending' and l.line_no = any (q.line_nos)) pend on true
     where l.order_id = o.id
     order by l.line_no;
end;
$function$;
comment on function public.refund_quote(p_order_id bigint) is 'One of my orders, line by line, as a refund would treat it (SPEC §10): cash paid, cash rebate already received (kept back), refundable cash, points and love value returned; whether the line can be requested now.';
revoke all on function public.refund_quote(p_order_id bigint) from public, anon, authenticated, service_role;
grant execute on function public.refund_quote(p_order_id bigint) to authenticated;

-- 申请退款: asks for a refund of chosen lines of my paid order, with a reason. Stores the
-- request with the refundable amount refund_quote shows (the refund itself, approved by the
-- platform, computes its own at that time). One pending request per order.
CREATE OR REPLACE FUNCTION public.request_refund (
  p_order_id bigint,
  p_line_nos integer[],
  p_reason   text
)
  RETURNS public.refund_request_details
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_uid uuid := rebate.require_member();
  v_reason text := btrim(coalesce(p_reason, ''));
  o rebate.orders;
  r rebate.refund_requests;
  v_refundable bigint;
  v_points bigint;
  v_love bigint;
begin
  select * into o from rebate.orders x where x.id = p_order_id and x.member_id = v_uid for update;
  if not found then
    raise exception using errcode = 'P0001', message = 'order_not_found', hint = '订单不存在';
  end if;
  if o.status not in ('paid', 'completed') then
    raise exception using errcode = 'P0001', message = 'order_not_refundable', hint = '订单当前状态不能退款';
  end if;
  if char_length(v_reason) not between 1 and 200 then
    raise exception using errcode = 'P0001', message = 'invalid_refund_reason', hint = '请填写退款原因（1 到 200 个字）';
  end if;
  if exists (select 1 from rebate.refund_requests x where x.order_id = o.id and x.status = 'pending') then
    raise exception using errcode = 'P0001', message = 'refund_request_pending', hint = '该订单已有退款申请在审核中';
  end if;
  if p_line_nos is null or cardinality(p_line_nos) not between 1 and 50
     or cardinality(p_line_nos) <> (select count(distinct n) from unnest(p_line_nos) n)
     or exists (select 1 from unnest(p_line_nos) n
                 where not exists (select 1 from rebate.order_lines x
                                    where x.order_id = o.id and x.line_no = n and x.refunded_at is null)) then
    raise exception using errcode = 'P0001', message = 'invalid_refund_lines', hint = '退款商品无效或已退款';
  end if;
  if exists (select 1 from unnest(p_line_nos) n where rebate.line_refund_open(o.id, n)) then
    raise exception using errcode = 'P0001', message = 'refund_in_progress', hint = '所选商品正在退款中';
  end if;
  select coalesce(sum(q.refundable_fen), 0), coalesce(sum(q.points_deduct_fen), 0), coalesce(sum(q.love_deduct_fen), 0)
    into v_refundable, v_points, v_love
    from public.refund_quote(o.id) q
   where q.line_no = any (p_line_nos);
  insert into rebate.refund_requests (order_id, member_id, line_nos, reason, refundable_fen, points_fen, love_fen)
  values (o.id, v_uid, array(select n::smallint from unnest(p_line_nos) n order by n), v_reason, v_refundable, v_points, v_love)
  returning * into r;
  return rebate.refund_request_row(r);
end;
$function$;
comment on function public.request_refund(p_order_id bigint, p_line_nos integer[], p_reason text) is '申请退款: asks for a refund of chosen lines of my paid order, with a reason; stores the refundable amount refund_quote shows (the refund itself computes its own when the platform approves). One pending request per order.';
revoke all on function public.request_refund(p_order_id bigint, p_line_nos integer[], p_reason text) from public, anon, authenticated, service_role;
grant execute on function public.request_refund(p_order_id bigint, p_line_nos integer[], p_reason text) to authenticated;

-- My refund requests, newest first (keyset on id); of one of my orders when p_order_id is given
-- (another member's order is not found, as everywhere).
CREATE OR REPLACE FUNCTION public.my_refund_requests (
  p_order_id  bigint  DEFAULT NULL::bigint,
  p_before_id bigint  DEFAULT NULL::bigint,
  p_limit     integer DEFAULT 20
)
  RETURNS SETOF public.refund_request_details
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
  if p_order_id is not null and not exists (select 1 from rebate.orders o where o.id = p_order_id and o.member_id = v_uid) then
    raise exception using errcode = 'P0001', message = 'order_not_found', hint = '订单不存在';
  end if;
  return query
    select (rebate.refund_request_row(x)).*
      from rebate.refund_requests x
     where x.member_id = v_uid and (p_order_id is null or x.order_id = p_order_id)
       and (p_before_id is null or x.id < p_before_id)
     order by x.id desc
     limit p_limit;
end;
$function$;
comment on function public.my_refund_requests(p_order_id bigint, p_before_id bigint, p_limit integer) is 'My refund requests, newest first (keyset on id); of one of my orders when p_order_id is given (another member''s order: order_not_found).';
revoke all on function public.my_refund_requests(p_order_id bigint, p_before_id bigint, p_limit integer) from public, anon, authenticated, service_role;
grant execute on function public.my_refund_requests(p_order_id bigint, p_before_id bigint, p_limit integer) to authenticated;

-- Withdraws my pending refund request (撤销申请).
CREATE OR REPLACE FUNCTION public.cancel_refund_request (
  p_request_id bigint
)
  RETURNS public.refund_request_details
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_uid uuid := rebate.require_member();
  r rebate.refund_requests;
begin
  select * into r from rebate.refund_requests x where x.id = p_request_id and x.member_id = v_uid for update;
  if not found then
    raise exception using errcode = 'P0001', message = 'refund_request_not_found', hint = '退款申请不存在';
  end if;
  if r.status <> 'pending' then
    raise exception using errcode = 'P0001', message = 'refund_request_not_pending', hint = '该退款申请已处理';
  end if;
  update rebate.refund_requests x set status = 'cancelled', decided_at = now() where x.id = r.id returning * into r;
  return rebate.refund_request_row(r);
end;
$function$;
comment on function public.cancel_refund_request(p_request_id bigint) is 'Withdraws my pending refund request (撤销申请).';
revoke all on function public.cancel_refund_request(p_request_id bigint) from public, anon, authenticated, service_role;
grant execute on function public.cancel_refund_request(p_request_id bigint) to authenticated;

-- ============================================================ triggers

CREATE TRIGGER refund_takebacks_append_only
  BEFORE DELETE OR UPDATE ON rebate.refund_takebacks
  FOR EACH ROW
  EXECUTE FUNCTION rebate.forbid_change();

CREATE TRIGGER refunds_take_back
  AFTER INSERT ON rebate.refunds
  FOR EACH ROW
  EXECUTE FUNCTION rebate.refunds_take_back();

-- ============================================================ constraints

ALTER TABLE "rebate"."orders"
  ADD CONSTRAINT "orders_invariants" CHECK (rebate.order_ok(orders.*));

ALTER TABLE "rebate"."order_lines"
  ADD CONSTRAINT "order_lines_invariants" CHECK (rebate.order_line_ok(order_lines.*));

ALTER TABLE "rebate"."distributions"
  ADD CONSTRAINT "distributions_source_line_id_fkey" FOREIGN KEY (source_line_id) REFERENCES rebate.order_lines(id);

ALTER TABLE "rebate"."entries"
  ADD CONSTRAINT "entries_line_id_fkey" FOREIGN KEY (line_id) REFERENCES rebate.order_lines(id);

ALTER TABLE "rebate"."retentions"
  ADD CONSTRAINT "retentions_source_line_id_fkey" FOREIGN KEY (source_line_id) REFERENCES rebate.order_lines(id);

-- ============================================================ policies

CREATE POLICY "Members can read their own orders" ON "rebate"."orders"
  FOR SELECT
  TO "authenticated"
  USING ((member_id = ( SELECT auth.uid() AS uid)));

CREATE POLICY "Members can read refunds of their own orders" ON "rebate"."refunds"
  FOR SELECT
  TO "authenticated"
  USING ((EXISTS ( SELECT 1
   FROM rebate.orders o
  WHERE ((o.id = refunds.order_id) AND (o.member_id = ( SELECT auth.uid() AS uid))))));

CREATE POLICY "Members can read the lines of their own orders" ON "rebate"."order_lines"
  FOR SELECT
  TO "authenticated"
  USING ((EXISTS ( SELECT 1
   FROM rebate.orders o
  WHERE ((o.id = order_lines.order_id) AND (o.member_id = ( SELECT auth.uid() AS uid))))));

CREATE POLICY "Members can read their own refund requests" ON "rebate"."refund_requests"
  FOR SELECT
  TO "authenticated"
  USING ((member_id = ( SELECT auth.uid() AS uid)));

CREATE POLICY "Members can read their own refund takebacks" ON "rebate"."refund_takebacks"
  FOR SELECT
  TO "authenticated"
  USING ((member_id = ( SELECT auth.uid() AS uid)));

-- ============================================================ grants

GRANT SELECT ON TABLE "rebate"."orders" TO "service_role";

GRANT SELECT ON TABLE "rebate"."refunds" TO "service_role";

GRANT SELECT ON TABLE "rebate"."order_lines" TO "service_role";

GRANT SELECT ON TABLE "rebate"."payment_requests" TO "service_role";

GRANT SELECT ON TABLE "rebate"."refund_takebacks" TO "service_role";

GRANT SELECT ON TABLE "rebate"."refund_requests" TO "service_role";
