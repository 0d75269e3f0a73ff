-- Money back out through WeChat Pay, and pending orders that expire: refunds started by finance
-- (订单 → 退款, or approving a member's 申请退款), their WeChat Pay state (answer, notification,
-- active query) driving SPEC §10 exactly once; the expiry job's candidates. docs/payments.md.
-- SPEC §10, §16.
-- The source of truth (docs/database.md): edit here, then `npm run db:diff -- <name>` writes the migration.

-- ============================================================ tables

-- A payment WeChat Pay took for an order we had already cancelled (SPEC §16: the member
-- cancelled with the payment sheet open, or the expiry job's close raced the payment): recorded
-- once (its transaction_id), never applied to the order, and refunded in full through WeChat Pay
-- (a wechat_refunds row with late_payment_id, driven like every refund).
--   refunding  the refund is under way (or waits for finance after WeChat closed or refused it)
--   refunded   WeChat paid it all back
CREATE TABLE "rebate"."late_payments" (
  "id"             bigint                   GENERATED ALWAYS AS IDENTITY NOT NULL,
  "order_id"       bigint                   NOT NULL,  -- the cancelled order (WeChat pays an out_trade_no once)
  "transaction_id" text                     NOT NULL,  -- WeChat's payment reference
  "paid_fen"       bigint                   NOT NULL,
  "status"         text                     NOT NULL DEFAULT 'refunding'::text,
  "received_at"    timestamp with time zone NOT NULL DEFAULT now(),
  "refunded_at"    timestamp with time zone,
  CONSTRAINT "late_payments_pkey" PRIMARY KEY (id),
  CONSTRAINT "late_payments_order_id_key" UNIQUE (order_id),
  CONSTRAINT "late_payments_transaction_id_key" UNIQUE (transaction_id),
  CONSTRAINT "late_payments_order_id_fkey" FOREIGN KEY (order_id) REFERENCES rebate.orders(id),
  CONSTRAINT "late_payments_transaction_id_check" CHECK ((transaction_id ~ '^[A-Za-z0-9_.:|-]{1,64}$'::text)),
  CONSTRAINT "late_payments_paid_fen_check" CHECK ((paid_fen >= 1)),
  CONSTRAINT "late_payments_status_check" CHECK ((status = ANY (ARRAY['refunding'::text, 'refunded'::text]))),
  CONSTRAINT "late_payments_done" CHECK (((status = 'refunded'::text) = (refunded_at IS NOT NULL)))
);

ALTER TABLE "rebate"."late_payments"
  ENABLE ROW LEVEL SECURITY;

-- the ones still being refunded (reconcile, the console)
CREATE INDEX late_payments_refunding_idx ON rebate.late_payments USING btree (received_at)
  WHERE (status = 'refunding'::text);

-- One refund we ask WeChat Pay for (POST /v3/refund/domestic/refunds), created here BEFORE the
-- call, so a crash between our call and WeChat's answer is retried with the same out_refund_no
-- (WeChat refunds an out_refund_no once). The amount is fixed when it is created: per line the
-- cash rebate kept back (SPEC §10) and so the cash asked for. SPEC §10 itself (entries voided,
-- deductions back, rewards reversed, the rebate.refunds row) is applied when WeChat says SUCCESS.
--   created     recorded; not known to be accepted by WeChat (not sent yet, an error or a time-out)
--   processing  WeChat accepted it (PROCESSING); a notification or a query will finish it
--   success     refunded; SPEC §10 applied (refund_id)
--   abnormal    WeChat could not pay it back (the buyer's account): finance acts in the merchant platform
--   closed      WeChat closed it, nothing was refunded; its lines can be refunded again
--   failed      WeChat refused it (parameters, order); nothing was refunded; its lines can be refunded again
CREATE TABLE "rebate"."wechat_refunds" (
  "id"              bigint                   GENERATED ALWAYS AS IDENTITY NOT NULL,
  "out_refund_no"   text                     NOT NULL,  -- RF<order_no>-<n>: our idempotency key at WeChat Pay
  "order_id"        bigint                   NOT NULL,
  "line_nos"        smallint[]               NOT NULL,  -- in line order
  "kept_back_fen"   bigint[]                 NOT NULL,  -- per line: the cash rebate kept back (SPEC §10)
  "refund_fen"      bigint                   NOT NULL,  -- amount.refund: Σ (line paid − kept back)
  "total_fen"       bigint                   NOT NULL,  -- amount.total: the order's paid cash
  "reason"          text                     NOT NULL,  -- sent to WeChat (≤ 80 characters)
  "request_id"      bigint,  -- the member's refund request it answers, if any
  "started_by"      uuid,  -- the finance member who started it
  "retry_of"        bigint,  -- the closed or failed refund this one starts again
  "status"          text                     NOT NULL DEFAULT 'created'::text,
  "wechat_status"   text,  -- WeChat's last word: PROCESSING | SUCCESS | ABNORMAL | CLOSED
  "wechat_refund_id" text,
  "received_account" text,  -- user_received_account
  "last_error"      text,  -- the last WeChat error or time-out, "CODE: message"
  "attempts"        integer                  NOT NULL DEFAULT 0,  -- calls to WeChat that failed
  "next_attempt_at" timestamp with time zone NOT NULL DEFAULT now(),  -- when refund-query looks again
  "refund_id"       bigint,  -- the rebate.refunds row (SPEC §10 applied) once successful
  "created_at"      timestamp with time zone NOT NULL DEFAULT now(),
  "updated_at"      timestamp with time zone NOT NULL DEFAULT now(),
  "finished_at"     timestamp with time zone,
  "late_payment_id" bigint,  -- a late payment's full refund (the order is cancelled; SPEC §10 does not apply)
  CONSTRAINT "wechat_refunds_pkey" PRIMARY KEY (id),
  CONSTRAINT "wechat_refunds_out_refund_no_key" UNIQUE (out_refund_no),
  CONSTRAINT "wechat_refunds_out_refund_no_check" CHECK ((out_refund_no ~ '^[0-9A-Za-z_|*@-]{1,64}$'::text)),
  CONSTRAINT "wechat_refunds_order_id_fkey" FOREIGN KEY (order_id) REFERENCES rebate.orders(id),
  CONSTRAINT "wechat_refunds_request_id_fkey" FOREIGN KEY (request_id) REFERENCES rebate.refund_requests(id),
  CONSTRAINT "wechat_refunds_started_by_fkey" FOREIGN KEY (started_by) REFERENCES rebate.members(id),
  CONSTRAINT "wechat_refunds_retry_of_fkey" FOREIGN KEY (retry_of) REFERENCES rebate.wechat_refunds(id),
  CONSTRAINT "wechat_refunds_refund_id_fkey" FOREIGN KEY (refund_id) REFERENCES rebate.refunds(id),
  CONSTRAINT "wechat_refunds_late_payment_id_fkey" FOREIGN KEY (late_payment_id) REFERENCES rebate.late_payments(id),
  CONSTRAINT "wechat_refunds_late_full" CHECK (((late_payment_id IS NULL) OR ((refund_fen = total_fen) AND (request_id IS NULL)))),
  CONSTRAINT "wechat_refunds_lines" CHECK (((cardinality(line_nos) >= 1) AND (cardinality(line_nos) <= 50)
                                            AND (cardinality(kept_back_fen) = cardinality(line_nos)))),
  CONSTRAINT "wechat_refunds_amounts" CHECK (((refund_fen >= 0) AND (refund_fen <= total_fen) AND (total_fen >= 1))),
  CONSTRAINT "wechat_refunds_reason_check" CHECK (((char_length(reason) >= 1) AND (char_length(reason) <= 80))),
  CONSTRAINT "wechat_refunds_status_check" CHECK ((status = ANY (ARRAY['created'::text, 'processing'::text, 'success'::text, 'abnormal'::text, 'closed'::text, 'failed'::text]))),
  CONSTRAINT "wechat_refunds_done" CHECK (((((status = 'success'::text) AND (late_payment_id IS NULL)) = (refund_id IS NOT NULL))
                                          AND ((status = ANY (ARRAY['success'::text, 'closed'::text, 'failed'::text])) = (finished_at IS NOT NULL)))),
  CONSTRAINT "wechat_refunds_last_error_check" CHECK (((last_error IS NULL) OR (char_length(last_error) <= 300)))
);

ALTER TABLE "rebate"."wechat_refunds"
  ENABLE ROW LEVEL SECURITY;

-- the refund-query job: open refunds by when they are due
CREATE INDEX wechat_refunds_due_idx ON rebate.wechat_refunds USING btree (next_attempt_at)
  WHERE (status = ANY (ARRAY['created'::text, 'processing'::text, 'abnormal'::text]));
-- the foreign keys' indexes (and an order's refunds; the console's list by status)
CREATE INDEX wechat_refunds_order_idx ON rebate.wechat_refunds USING btree (order_id, id);
CREATE INDEX wechat_refunds_status_idx ON rebate.wechat_refunds USING btree (status, id);
CREATE INDEX wechat_refunds_request_idx ON rebate.wechat_refunds USING btree (request_id) WHERE (request_id IS NOT NULL);
CREATE INDEX wechat_refunds_started_by_idx ON rebate.wechat_refunds USING btree (started_by) WHERE (started_by IS NOT NULL);
CREATE INDEX wechat_refunds_retry_of_idx ON rebate.wechat_refunds USING btree (retry_of) WHERE (retry_of IS NOT NULL);
CREATE INDEX wechat_refunds_refund_idx ON rebate.wechat_refunds USING btree (refund_id) WHERE (refund_id IS NOT NULL);
CREATE INDEX wechat_refunds_late_payment_idx ON rebate.wechat_refunds USING btree (late_payment_id) WHERE (late_payment_id IS NOT NULL);

-- ============================================================ functions

-- Whether a line of an order is in a WeChat Pay refund that is under way (created, processing,
-- abnormal): such a line cannot be requested or refunded again until that refund ends.
CREATE OR REPLACE FUNCTION rebate.line_refund_open (
  p_order_id bigint,
  p_line_no  integer
)
  RETURNS boolean
  LANGUAGE sql
  STABLE
  SET search_path TO ''
  AS $function$
  select exists (select 1 from rebate.wechat_refunds w
                  where w.order_id = p_order_id and w.status in ('created', 'processing', 'abnormal')
                    and p_line_no = any (w.line_nos))
$function$;
comment on function rebate.line_refund_open(p_order_id bigint, p_line_no integer) is 'Whether a line of an order is in a WeChat Pay refund under way (created, processing, abnormal): it cannot be requested or refunded again until that refund ends.';
revoke all on function rebate.line_refund_open(p_order_id bigint, p_line_no integer) from public, anon, authenticated, service_role;

-- A WeChat Pay refund as the API returns it: the order, lines, amounts, states with Chinese labels
-- and, for finance, what to do next (advice).
CREATE OR REPLACE FUNCTION rebate.wechat_refund_view (
  w rebate.wechat_refunds
)
  RETURNS jsonb
  LANGUAGE sql
  STABLE
  SET search_path TO ''
  AS $function$
  select jsonb_build_object(
    'refund_no', w.id, 'out_refund_no', w.out_refund_no, 'out_trade_no', o.order_no, 'order_id', o.id,
    'member_code', m.member_code, 'nickname', m.nickname,
    'line_nos', to_jsonb(w.line_nos::integer[]), 'kept_back_fen', to_jsonb(w.kept_back_fen),
    'refund_fen', w.refund_fen, 'total_fen', w.total_fen, 'reason', w.reason, 'request_id', w.request_id,
    'retry_of', w.retry_of, 'status', w.status,
    'status_label', case w.status when 'created' then '待发送' when 'processing' then '退款中' when 'success' then '已退款'
                                  when 'abnormal' then '退款异常' when 'closed' then '退款关闭' else '退款失败' end,
    'wechat_status', w.wechat_status, 'wechat_refund_id', w.wechat_refund_id, 'received_account', w.received_account,
    'last_error', w.last_error, 'attempts', w.attempts, 'next_attempt_at', w.next_attempt_at,
    'created_at', w.created_at, 'updated_at', w.updated_at, 'finished_at', w.finished_at,
    'retried', exists (select 1 from rebate.wechat_refunds x where x.retry_of = w.id),
    'late_payment', w.late_payment_id is not null,
    'kind_label', case when w.late_payment_id is not null then '取消后到账·全额退回' else '订单退款' end,
    'advice', case
      when w.status = 'created' and w.last_error like 'NOT_ENOUGH%'
        then '商户号可用余额不足：请在微信支付商户平台充值后点「重试」（系统也会定时重试，退款单号不变，不会重复退款）'
      when w.status = 'created' and w.last_error is not null
        then '微信支付暂未受理（' || w.last_error || '）：系统会用同一退款单号定时重试；也可点「重试」'
      when w.status = 'created' then '等待发送到微信支付'
      when w.status = 'processing' then '微信支付处理中，到账后自动完成'
      when w.status = 'abnormal'
        then '退款到买家账户失败（账户异常或已注销）：请在微信支付商户平台「交易中心-退款管理」发起异常退款（退至买家银行卡或商户线下处理），完成后系统自动收到退款成功'
      when w.status = 'closed' and not exists (select 1 from rebate.wechat_refunds x where x.retry_of = w.id)
        then '微信支付已关闭此退款，钱未退出：可点「重新发起」用新的退款单号再退'
      when w.status = 'failed' and not exists (select 1 from rebate.wechat_refunds x where x.retry_of = w.id)
        then '微信支付拒绝了此退款（' || coalesce(w.last_error, '') || '）：核对后可点「重新发起」'
    end)
  from rebate.orders o
  join rebate.members m on m.id = o.member_id
  where o.id = w.order_id
$function$;
comment on function rebate.wechat_refund_view(w rebate.wechat_refunds) is 'A WeChat Pay refund as the API returns it: order, lines, amounts, state with its Chinese label, the last error and, for finance, what to do next (advice).';
revoke all on function rebate.wechat_refund_view(w rebate.wechat_refunds) from public, anon, authenticated, service_role;

-- Records a refund we are about to ask WeChat Pay for (the caller has checked the role): chosen
-- lines (null: every line not refunded and not in a refund under way) of a paid order, with
-- the SPEC §10 amount fixed now (per line: paid cash less the cash rebate its entry received,
-- never below 0 and never more than paid) and a new out_refund_no. Nothing is refunded yet: the
-- money and SPEC §10 follow WeChat's SUCCESS. A refund of 0 (everything was received as rebate)
-- needs no WeChat call and is applied at once.
CREATE OR REPLACE FUNCTION rebate.start_wechat_refund (
  p_order_no   text,
  p_line_nos   integer[],
  p_reason     text,
  p_request_id bigint,
  p_actor      uuid,
  p_retry_of   bigint DEFAULT NULL::bigint
)
  RETURNS rebate.wechat_refunds
  LANGUAGE plpgsql
  SET search_path TO ''
  AS $function$
declare
  o rebate.orders;
  w rebate.wechat_refunds;
  v_reason text := left(btrim(coalesce(p_reason, '')), 80);
  v_nos integer[];
  v_kept bigint[];
  v_refund bigint;
begin
  select * into o from rebate.orders x where x.order_no = p_order_no for update;
  if not found then
    raise exception using errcode = 'P0001', message = 'order_not_found', hint = '订单不存在';
  end if;
  if o.status not in ('paid', 'completed') then
    raise exception using errcode = 'P0001', message = 'order_not_refundable', hint = '订单当前状态不能退款';
  end if;
  if char_length(v_reason) = 0 then
    raise exception using errcode = 'P0001', message = 'reason_required', hint = '请填写原因（1 到 200 个字）';
  end if;
  if p_line_nos is not null and (cardinality(p_line_nos) not between 1 and 50
       or cardinality(p_line_nos) <> (select count(distinct n) from unnest(p_line_nos) n)
       or exists (select 1 from unnest(p_line_nos) n
                   where not exists (select 1 from rebate.order_lines x
                                      where x.order_id = o.id and x.line_no = n and x.refunded_at is null))) then
    raise exception using errcode = 'P0001', message = 'invalid_refund_lines', hint = '退款商品无效或已退款';
  end if;
  if p_line_nos is not null and exists (select 1 from unnest(p_line_nos) n where rebate.line_refund_open(o.id, n)) then
    raise exception using errcode = 'P0001', message = 'refund_in_progress', hint = '所选商品正在退款中';
  end if;
  v_nos := array(select x.line_no from rebate.order_lines x
                  where x.order_id = o.id and x.refunded_at is null
                    and (p_line_nos is null or x.line_no = any (p_line_nos))
                    and not rebate.line_refund_open(o.id, x.line_no)
                  order by x.line_no);
  if cardinality(v_nos) = 0 then
    raise exception using errcode = 'P0001', message = 'nothing_to_refund', hint = '没有可退款的商品';
  end if;
  -- what each entry received, read under its queue's lock (settlement may be paying it now)
  perform rebate.lock_queues(array(select distinct x.queue_id from rebate.order_lines x
                                    where x.order_id = o.id and x.line_no = any (v_nos) and x.queue_id is not null));
  select array_agg(least(l.pay_fen, coalesce(e.received_fen, ue.received_fen, 0)) order by l.line_no),
         sum(l.pay_fen - least(l.pay_fen, coalesce(e.received_fen, ue.received_fen, 0)))
    into v_kept, v_refund
    from rebate.order_lines l
    left join rebate.entries e on e.line_id = l.id
    left join rebate.union_entries ue on ue.line_id = l.id   -- union mode (SPEC §13.7)
   where l.order_id = o.id and l.line_no = any (v_nos);
  -- never more than was paid and is not refunded or being refunded already
  if v_refund > o.pay_fen - o.refunded_fen - coalesce((select sum(x.refund_fen) from rebate.wechat_refunds x
                                                         where x.order_id = o.id and x.status in ('created', 'processing', 'abnormal')), 0) then
    raise exception using errcode = 'P0001', message = 'refund_exceeds_paid', hint = '退款金额超过订单可退金额';
  end if;

  insert into rebate.wechat_refunds (out_refund_no, order_id, line_nos, kept_back_fen, refund_fen, total_fen, reason,
                                     request_id, started_by, retry_of)
  values ('RF' || o.order_no || '-' || (select count(*) + 1 from rebate.wechat_refunds x where x.order_id = o.id),
          o.id, v_nos::smallint[], v_kept, v_refund, o.pay_fen, v_reason, p_request_id, p_actor, p_retry_of)
  returning * into w;
  perform rebate.audit('refund.start', 'order', o.order_no, null,
                       jsonb_build_object('out_refund_no', w.out_refund_no, 'line_nos', v_nos, 'refund_fen', w.refund_fen,
                                          'kept_back_fen', v_kept, 'request_id', p_request_id, 'retry_of', p_retry_of),
                       v_reason);
  if v_refund = 0 then
    -- nothing to send (the rebate received covers the paid cash): SPEC §10 now
    w := rebate.finish_wechat_refund(w, 'SUCCESS', null, null);
  end if;
  return w;
end;
$function$;
comment on function rebate.start_wechat_refund(p_order_no text, p_line_nos integer[], p_reason text, p_request_id bigint, p_actor uuid, p_retry_of bigint) is 'Records a refund to ask WeChat Pay for (caller checked the role): chosen lines (null: all open) of a paid order, the SPEC §10 amount fixed now (paid less rebate received, per line), a new out_refund_no; audited. A refund of 0 is applied at once.';
revoke all on function rebate.start_wechat_refund(p_order_no text, p_line_nos integer[], p_reason text, p_request_id bigint, p_actor uuid, p_retry_of bigint) from public, anon, authenticated, service_role;

-- Moves a WeChat Pay refund (the caller holds the order's lock) to WeChat's state: SUCCESS
-- applies SPEC §10 once (rebate.refund_order with the kept-back amounts fixed at the start;
-- a late payment's refund only marks the late payment refunded: its order stays cancelled);
-- PROCESSING / ABNORMAL wait for the next word; CLOSED ends it with nothing refunded. A state
-- that arrives after the refund ended is stale and changes nothing; SUCCESS after CLOSED is a
-- contradiction a person must look at.
CREATE OR REPLACE FUNCTION rebate.finish_wechat_refund (
  w                  rebate.wechat_refunds,
  p_status           text,
  p_wechat_refund_id text,
  p_account          text
)
  RETURNS rebate.wechat_refunds
  LANGUAGE plpgsql
  SET search_path TO ''
  AS $function$
declare
  v_result jsonb;
begin
  if w.status in ('success', 'closed', 'failed') then
    if p_status = 'SUCCESS' and w.status <> 'success' then
      raise exception using errcode = 'P0001', message = 'refund_state_conflict', hint = '退款已关闭，微信支付却通知退款成功，请人工核对';
    end if;
    return w; -- a repeat, or a stale state
  end if;
  if p_status = 'SUCCESS' and w.late_payment_id is not null then
    -- a late payment paid back in full: the order stays cancelled, nothing else to undo
    update rebate.wechat_refunds x set status = 'success', wechat_status = 'SUCCESS',
           wechat_refund_id = coalesce(p_wechat_refund_id, x.wechat_refund_id), received_account = coalesce(p_account, x.received_account),
           finished_at = now(), updated_at = now()
     where x.id = w.id returning * into w;
    update rebate.late_payments l set status = 'refunded', refunded_at = now() where l.id = w.late_payment_id;
    insert into rebate.messages (member_id, kind, title, body, order_id, amount_fen)
    select o.member_id, 'refund_done', '退款成功',
           '订单' || o.order_no || '已取消，收到的款项' || rebate.fen_text(w.refund_fen) || '已原路退回', o.id, w.refund_fen
      from rebate.orders o where o.id = w.order_id;
  elsif p_status = 'SUCCESS' then
    v_result := rebate.refund_order((select o.order_no from rebate.orders o where o.id = w.order_id),
                                    coalesce(p_wechat_refund_id, w.out_refund_no), w.line_nos::integer[], w.kept_back_fen);
    if (v_result ->> 'refund_fen')::bigint <> w.refund_fen then
      raise exception using errcode = 'P0001', message = 'refund_amount_mismatch', hint = '退款金额与退款单不符';
    end if;
    update rebate.wechat_refunds x set status = 'success', wechat_status = 'SUCCESS', refund_id = (v_result ->> 'refund_id')::bigint,
           wechat_refund_id = coalesce(p_wechat_refund_id, x.wechat_refund_id), received_account = coalesce(p_account, x.received_account),
           finished_at = now(), updated_at = now()
     where x.id = w.id returning * into w;
    update rebate.refund_requests q set refund_id = w.refund_id where q.id = w.request_id;
    insert into rebate.messages (member_id, kind, title, body, order_id, amount_fen)
    select o.member_id, 'refund_done', '退款成功',
           '订单' || o.order_no || '退款' || rebate.fen_text(w.refund_fen) || '已原路退回'
             || case when w.refund_fen < (select sum(l.pay_fen) from rebate.order_lines l
                                           where l.order_id = o.id and l.line_no = any (w.line_nos))
                     then '（已返现金额已从退款中扣除）' else '' end,
           o.id, w.refund_fen
      from rebate.orders o where o.id = w.order_id;
  elsif p_status = 'PROCESSING' then
    update rebate.wechat_refunds x set status = 'processing', wechat_status = 'PROCESSING', last_error = null,
           wechat_refund_id = coalesce(p_wechat_refund_id, x.wechat_refund_id),
           next_attempt_at = now() + interval '1 minute', updated_at = now()
     where x.id = w.id returning * into w;
  elsif p_status = 'ABNORMAL' then
    update rebate.wechat_refunds x set status = 'abnormal', wechat_status = 'ABNORMAL',
           wechat_refund_id = coalesce(p_wechat_refund_id, x.wechat_refund_id), received_account = coalesce(p_account, x.received_account),
           next_attempt_at = now() + interval '30 minutes', updated_at = now()
     where x.id = w.id returning * into w;
  elsif p_status = 'CLOSED' then
    update rebate.wechat_refunds x set status = 'closed', wechat_status = 'CLOSED',
           wechat_refund_id = coalesce(p_wechat_refund_id, x.wechat_refund_id), finished_at = now(), updated_at = now()
     where x.id = w.id returning * into w;
  else
    raise exception using errcode = 'P0001', message = 'invalid_refund_status', hint = '退款状态无效';
  end if;
  return w;
end;
$function$;
comment on function rebate.finish_wechat_refund(w rebate.wechat_refunds, p_status text, p_wechat_refund_id text, p_account text) is 'Moves a WeChat Pay refund (order locked by the caller) to WeChat''s state: SUCCESS applies SPEC §10 once with the amounts fixed at the start (a late payment''s refund: the late payment is refunded); PROCESSING / ABNORMAL wait; CLOSED ends it with nothing refunded. Stale states change nothing; SUCCESS after CLOSED raises refund_state_conflict.';
revoke all on function rebate.finish_wechat_refund(w rebate.wechat_refunds, p_status text, p_wechat_refund_id text, p_account text) from public, anon, authenticated, service_role;

-- 订单 → 退款 (财务, 超级管理员): records the refund of chosen lines (null: every open line) of a
-- paid order with its SPEC §10 amount and a new out_refund_no; the refund-start edge function,
-- which calls this with the staff member's token, then asks WeChat Pay. Audited.
CREATE OR REPLACE FUNCTION public.console_start_refund (
  p_order_no text,
  p_line_nos integer[],
  p_reason   text
)
  RETURNS jsonb
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_uid uuid := rebate.require_role('finance');
  v_reason text := rebate.require_reason(p_reason);
begin
  perform rebate.settle_accepted_order(x.id) from rebate.orders x where x.order_no = p_order_no;
  return rebate.wechat_refund_view(rebate.start_wechat_refund(p_order_no, p_line_nos, v_reason, null, v_uid));
end;
$function$;
comment on function public.console_start_refund(p_order_no text, p_line_nos integer[], p_reason text) is 'Console 订单 退款 (finance, admin): records the refund of chosen lines (null: all open lines) of a paid order with its SPEC §10 amount and a new out_refund_no, audited; the refund-start edge function then asks WeChat Pay.';
revoke all on function public.console_start_refund(p_order_no text, p_line_nos integer[], p_reason text) from public, anon, authenticated, service_role;
grant execute on function public.console_start_refund(p_order_no text, p_line_nos integer[], p_reason text) to authenticated;

-- 退款售后 → 同意 (财务, 超级管理员): approves a member's pending refund request and records its
-- refund (the request's lines, its reason) like console_start_refund. Audited.
CREATE OR REPLACE FUNCTION public.console_approve_refund_request (
  p_request_id bigint
)
  RETURNS jsonb
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_uid uuid := rebate.require_role('finance');
  r rebate.refund_requests;
  v_order_no text;
  w rebate.wechat_refunds;
begin
  select o.order_no into v_order_no
    from rebate.refund_requests q join rebate.orders o on o.id = q.order_id where q.id = p_request_id;
  if not found then
    raise exception using errcode = 'P0001', message = 'refund_request_not_found', hint = '退款申请不存在';
  end if;
  perform rebate.settle_accepted_order(x.id) from rebate.orders x where x.order_no = v_order_no;
  perform 1 from rebate.orders x where x.order_no = v_order_no for update;
  select * into r from rebate.refund_requests q where q.id = p_request_id for update;
  if r.status <> 'pending' then
    raise exception using errcode = 'P0001', message = 'refund_request_not_pending', hint = '该退款申请已处理';
  end if;
  w := rebate.start_wechat_refund(v_order_no, r.line_nos::integer[], r.reason, r.id, v_uid);
  -- (a refund of 0 is done already, and refund_order has answered the request)
  update rebate.refund_requests q set status = 'approved', decided_at = coalesce(q.decided_at, now()), decided_by = v_uid,
         refund_id = coalesce(q.refund_id, w.refund_id)
   where q.id = r.id;
  perform rebate.audit('refund_request.approve', 'refund_request', r.id::text,
                       jsonb_build_object('status', 'pending'), jsonb_build_object('status', 'approved', 'out_refund_no', w.out_refund_no),
                       null);
  return rebate.wechat_refund_view(w);
end;
$function$;
comment on function public.console_approve_refund_request(p_request_id bigint) is 'Console 退款售后 同意 (finance, admin): approves a member''s pending refund request and records its refund (its lines, its reason, SPEC §10 amount, new out_refund_no), audited; the refund-start edge function then asks WeChat Pay.';
revoke all on function public.console_approve_refund_request(p_request_id bigint) from public, anon, authenticated, service_role;
grant execute on function public.console_approve_refund_request(p_request_id bigint) to authenticated;

-- 退款售后 → 驳回 (财务, 超级管理员): rejects a member's pending refund request with a reason the
-- member sees. Audited.
CREATE OR REPLACE FUNCTION public.console_reject_refund_request (
  p_request_id bigint,
  p_reason     text
)
  RETURNS public.refund_request_details
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_uid uuid := rebate.require_role('finance');
  v_reason text := rebate.require_reason(p_reason);
  r rebate.refund_requests;
begin
  select * into r from rebate.refund_requests q where q.id = p_request_id for update;
  if not found then
    raise exception using errcode = 'P0001', message = 'refund_request_not_found', hint = '退款申请不存在';
  end if;
  if r.status <> 'pending' then
    raise exception using errcode = 'P0001', message = 'refund_request_not_pending', hint = '该退款申请已处理';
  end if;
  update rebate.refund_requests q set status = 'rejected', reject_reason = v_reason, decided_at = now(), decided_by = v_uid
   where q.id = r.id returning * into r;
  insert into rebate.messages (member_id, kind, title, body, order_id)
  values (r.member_id, 'refund_rejected', '退款申请已驳回',
          '订单' || (select o.order_no from rebate.orders o where o.id = r.order_id) || '的退款申请已驳回：' || v_reason, r.order_id);
  perform rebate.audit('refund_request.reject', 'refund_request', r.id::text,
                       jsonb_build_object('status', 'pending'), jsonb_build_object('status', 'rejected'), v_reason);
  return rebate.refund_request_row(r);
end;
$function$;
comment on function public.console_reject_refund_request(p_request_id bigint, p_reason text) is 'Console 退款售后 驳回 (finance, admin): rejects a member''s pending refund request with a reason the member sees (and a message); audited.';
revoke all on function public.console_reject_refund_request(p_request_id bigint, p_reason text) from public, anon, authenticated, service_role;
grant execute on function public.console_reject_refund_request(p_request_id bigint, p_reason text) to authenticated;

-- 退款售后 → 重试 / 重新发起 (财务, 超级管理员): a refund still waiting for WeChat (created: an
-- error or a time-out) is due again now — the edge function sends it again with the SAME
-- out_refund_no; a closed or failed refund is started again for the same lines with a NEW
-- out_refund_no (nothing was refunded). Audited.
CREATE OR REPLACE FUNCTION public.console_retry_refund (
  p_out_refund_no text
)
  RETURNS jsonb
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_uid uuid := rebate.require_role('finance');
  w rebate.wechat_refunds;
  v_order_no text;
begin
  select o.order_no into v_order_no
    from rebate.wechat_refunds x join rebate.orders o on o.id = x.order_id where x.out_refund_no = p_out_refund_no;
  if not found then
    raise exception using errcode = 'P0001', message = 'refund_not_found', hint = '退款单不存在';
  end if;
  perform 1 from rebate.orders x where x.order_no = v_order_no for update;
  select * into w from rebate.wechat_refunds x where x.out_refund_no = p_out_refund_no for update;
  if w.status in ('created', 'processing', 'abnormal') then
    update rebate.wechat_refunds x set next_attempt_at = now(), updated_at = now() where x.id = w.id returning * into w;
    perform rebate.audit('refund.retry', 'order', v_order_no, null, jsonb_build_object('out_refund_no', w.out_refund_no), null);
    return rebate.wechat_refund_view(w);
  end if;
  if w.status = 'success' or exists (select 1 from rebate.wechat_refunds x where x.retry_of = w.id) then
    raise exception using errcode = 'P0001', message = 'refund_not_retryable', hint = '该退款不能重试';
  end if;
  if w.late_payment_id is not null then
    return rebate.wechat_refund_view(rebate.start_late_refund(w.late_payment_id, v_uid, w.id));
  end if;
  perform rebate.settle_accepted_order(w.order_id);
  return rebate.wechat_refund_view(
    rebate.start_wechat_refund(v_order_no, w.line_nos::integer[], w.reason, w.request_id, v_uid, w.id));
end;
$function$;
comment on function public.console_retry_refund(p_out_refund_no text) is 'Console 退款售后 重试 (finance, admin): a refund still waiting for WeChat is due again now (sent again with the same out_refund_no); a closed or failed one is started again for the same lines with a new out_refund_no. Audited.';
revoke all on function public.console_retry_refund(p_out_refund_no text) from public, anon, authenticated, service_role;
grant execute on function public.console_retry_refund(p_out_refund_no text) to authenticated;

-- What WeChat Pay said about one of our refunds (the answer to POST …/refunds, the refund
-- notification, GET …/refunds/{out_refund_no}), checked against the refund: same order, same
-- amount and total (else refund_amount_mismatch). Drives the refund (finish_wechat_refund):
-- SPEC §10 exactly once however often and in whatever order the news arrives. A refund we did
-- not start (made in the merchant platform) is applied like the notification always was: every
-- open line, when its amount is what SPEC §10 gives for them.
CREATE OR REPLACE FUNCTION public.record_wechat_refund (
  p_out_trade_no     text,
  p_out_refund_no    text,
  p_status           text,
  p_wechat_refund_id text,
  p_refund_fen       bigint,
  p_total_fen        bigint,
  p_account          text DEFAULT NULL::text
)
  RETURNS jsonb
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  o rebate.orders;
  w rebate.wechat_refunds;
  v_before text;
  v_nos integer[];
  v_due bigint;
  v_result jsonb;
begin
  if p_status is null or p_status not in ('SUCCESS', 'PROCESSING', 'ABNORMAL', 'CLOSED') then
    raise exception using errcode = 'P0001', message = 'invalid_refund_status', hint = '退款状态无效';
  end if;
  perform rebate.settle_accepted_order(x.id) from rebate.orders x where x.order_no = p_out_trade_no;
  select * into o from rebate.orders x where x.order_no = p_out_trade_no for update;
  if not found then
    raise exception using errcode = 'P0001', message = 'order_not_found', hint = '订单不存在';
  end if;
  select * into w from rebate.wechat_refunds x where x.out_refund_no = p_out_refund_no for update;
  if found then
    if w.order_id <> o.id then
      raise exception using errcode = 'P0001', message = 'refund_ref_conflict', hint = '退款单号已被其他订单使用';
    end if;
    if p_refund_fen is distinct from w.refund_fen or p_total_fen is distinct from w.total_fen then
      raise exception using errcode = 'P0001', message = 'refund_amount_mismatch', hint = '退款金额与退款单不符';
    end if;
    v_before := w.status;
    w := rebate.finish_wechat_refund(w, p_status, p_wechat_refund_id, p_account);
    return rebate.wechat_refund_view(w) || jsonb_build_object('ours', true, 'changed', w.status <> v_before,
                                                               'previous_status', v_before);
  end if;

  -- not ours: a refund made in the merchant platform
  if p_status <> 'SUCCESS' then
    return jsonb_build_object('out_refund_no', p_out_refund_no, 'status', lower(p_status), 'ours', false, 'changed', false);
  end if;
  if exists (select 1 from rebate.refunds x where x.refund_ref = p_wechat_refund_id) then
    return public.refund_order(p_out_trade_no, p_wechat_refund_id) || jsonb_build_object('ours', false); -- a repeat
  end if;
  if o.status not in ('paid', 'completed') then
    raise exception using errcode = 'P0001', message = 'order_not_refundable', hint = '订单当前状态不能退款';
  end if;
  v_nos := array(select l.line_no from rebate.order_lines l
                  where l.order_id = o.id and l.refunded_at is null and not rebate.line_refund_open(o.id, l.line_no)
                  order by l.line_no);
  select coalesce(sum(l.pay_fen - least(l.pay_fen, coalesce(e.received_fen, 0))), 0) into v_due
    from rebate.order_lines l left join rebate.entries e on e.line_id = l.id
   where l.order_id = o.id and l.line_no = any (v_nos);
  if cardinality(v_nos) = 0 or p_refund_fen is distinct from v_due or p_total_fen is distinct from o.pay_fen then
    raise exception using errcode = 'P0001', message = 'refund_amount_mismatch', hint = '退款金额与订单可退金额不符，请人工核对';
  end if;
  v_result := rebate.refund_order(p_out_trade_no, p_wechat_refund_id, v_nos);
  perform rebate.audit('refund.external', 'order', o.order_no, null,
                       jsonb_build_object('refund_id', p_wechat_refund_id, 'out_refund_no', p_out_refund_no, 'refund_fen', p_refund_fen),
                       '微信支付商户平台发起的退款');
  return v_result || jsonb_build_object('ours', false);
end;
$function$;
comment on function public.record_wechat_refund(p_out_trade_no text, p_out_refund_no text, p_status text, p_wechat_refund_id text, p_refund_fen bigint, p_total_fen bigint, p_account text) is 'What WeChat Pay said about a refund (POST answer, notification or query), checked against it (order, amount, total): drives our refund so SPEC §10 applies exactly once whatever repeats or reorders. A refund made in the merchant platform (not ours) is applied to every open line when its amount is what SPEC §10 gives.';
revoke all on function public.record_wechat_refund(p_out_trade_no text, p_out_refund_no text, p_status text, p_wechat_refund_id text, p_refund_fen bigint, p_total_fen bigint, p_account text) from public, anon, authenticated, service_role;
grant execute on function public.record_wechat_refund(p_out_trade_no text, p_out_refund_no text, p_status text, p_wechat_refund_id text, p_refund_fen bigint, p_total_fen bigint, p_account text) to service_role;

-- A call to WeChat Pay for one of our refunds failed (an error answer, or no answer: a time-out):
-- the refund stays as it is and is due again after a back-off (1, 2, 4 … 60 minutes); only an
-- answer that WeChat will never accept (its parameters or the trade: PARAM_ERROR,
-- INVALID_REQUEST, ORDER_NOT_EXIST, RESOURCE_NOT_EXISTS, USER_ACCOUNT_ABNORMAL) ends a refund
-- WeChat never accepted as failed, its lines free again. A time-out is never final: WeChat
-- may have accepted it, and asking again with the same out_refund_no refunds once.
CREATE OR REPLACE FUNCTION public.record_wechat_refund_error (
  p_out_refund_no text,
  p_code          text,
  p_message       text
)
  RETURNS jsonb
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  w rebate.wechat_refunds;
  v_final boolean := p_code in ('PARAM_ERROR', 'INVALID_REQUEST', 'ORDER_NOT_EXIST', 'RESOURCE_NOT_EXISTS', 'USER_ACCOUNT_ABNORMAL');
begin
  select * into w from rebate.wechat_refunds x where x.out_refund_no = p_out_refund_no for update;
  if not found then
    raise exception using errcode = 'P0001', message = 'refund_not_found', hint = '退款单不存在';
  end if;
  if w.status not in ('created', 'processing', 'abnormal') then
    return rebate.wechat_refund_view(w); -- ended meanwhile
  end if;
  update rebate.wechat_refunds x set
    attempts = x.attempts + 1,
    last_error = left(coalesce(nullif(p_code, ''), 'ERROR') || ': ' || coalesce(p_message, ''), 300),
    status = case when v_final and x.status = 'created' then 'failed' else x.status end,
    finished_at = case when v_final and x.status = 'created' then now() end,
    next_attempt_at = now() + make_interval(mins => least(60, (2 ^ least(x.attempts, 6))::integer)),
    updated_at = now()
   where x.id = w.id returning * into w;
  return rebate.wechat_refund_view(w);
end;
$function$;
comment on function public.record_wechat_refund_error(p_out_refund_no text, p_code text, p_message text) is 'A failed WeChat Pay call for one of our refunds (error answer or time-out): due again after a back-off; only answers WeChat will never accept end a never-accepted refund as failed (lines free again). A time-out is never final.';
revoke all on function public.record_wechat_refund_error(p_out_refund_no text, p_code text, p_message text) from public, anon, authenticated, service_role;
grant execute on function public.record_wechat_refund_error(p_out_refund_no text, p_code text, p_message text) to service_role;

-- One of our refunds, for the edge functions (service role): what to send to WeChat Pay.
CREATE OR REPLACE FUNCTION public.wechat_refund (
  p_out_refund_no text
)
  RETURNS jsonb
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  w rebate.wechat_refunds;
begin
  select * into w from rebate.wechat_refunds x where x.out_refund_no = p_out_refund_no;
  if not found then
    raise exception using errcode = 'P0001', message = 'refund_not_found', hint = '退款单不存在';
  end if;
  return rebate.wechat_refund_view(w);
end;
$function$;
comment on function public.wechat_refund(p_out_refund_no text) is 'One of our WeChat Pay refunds (service role): what to send, its state.';
revoke all on function public.wechat_refund(p_out_refund_no text) from public, anon, authenticated, service_role;
grant execute on function public.wechat_refund(p_out_refund_no text) to service_role;

-- The refund-query job's batch (service role): refunds under way that are due — created ones
-- (never answered: sent again with the same out_refund_no) and processing or abnormal ones
-- (asked with GET …/refunds/{out_refund_no}), oldest due first.
CREATE OR REPLACE FUNCTION public.wechat_refunds_due (
  p_limit integer DEFAULT 100
)
  RETURNS SETOF jsonb
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
begin
  return query
    select rebate.wechat_refund_view(w)
      from rebate.wechat_refunds w
     where w.status in ('created', 'processing', 'abnormal') and w.next_attempt_at <= now()
     order by w.next_attempt_at, w.id
     limit rebate.page_limit(p_limit);
end;
$function$;
comment on function public.wechat_refunds_due(p_limit integer) is 'The refund-query job''s batch (service role): refunds under way that are due (created: send again with the same out_refund_no; processing, abnormal: query), oldest due first.';
revoke all on function public.wechat_refunds_due(p_limit integer) from public, anon, authenticated, service_role;
grant execute on function public.wechat_refunds_due(p_limit integer) to service_role;

-- 退款售后 → 退款记录 (财务, 超级管理员): our WeChat Pay refunds newest first (keyset on id), by
-- status (open = created, processing, abnormal), of one order when given, with what to do.
CREATE OR REPLACE FUNCTION public.console_list_refunds (
  p_status    text    DEFAULT NULL::text,
  p_order_no  text    DEFAULT NULL::text,
  p_before_id bigint  DEFAULT NULL::bigint,
  p_limit     integer DEFAULT 20
)
  RETURNS jsonb
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_limit integer;
begin
  perform rebate.require_role('finance');
  v_limit := rebate.page_limit(p_limit);
  if p_status is not null and p_status not in ('open', 'created', 'processing', 'success', 'abnormal', 'closed', 'failed') then
    raise exception using errcode = 'P0001', message = 'invalid_status', hint = '状态无效';
  end if;
  return coalesce((select jsonb_agg(rebate.wechat_refund_view(w) order by w.id desc)
            from (select * from rebate.wechat_refunds x
                   where (p_status is null or x.status = p_status
                          or (p_status = 'open' and x.status in ('created', 'processing', 'abnormal')))
                     and (p_order_no is null or x.order_id = (select o.id from rebate.orders o where o.order_no = btrim(p_order_no)))
                     and (p_before_id is null or x.id < p_before_id)
                   order by x.id desc limit v_limit) w), '[]');
end;
$function$;
comment on function public.console_list_refunds(p_status text, p_order_no text, p_before_id bigint, p_limit integer) is 'Console 退款售后 退款记录 (finance, admin): WeChat Pay refunds newest first (keyset on id), by status (open = under way) or order, with state labels and what to do next.';
revoke all on function public.console_list_refunds(p_status text, p_order_no text, p_before_id bigint, p_limit integer) from public, anon, authenticated, service_role;
grant execute on function public.console_list_refunds(p_status text, p_order_no text, p_before_id bigint, p_limit integer) to authenticated;

-- 退款售后 → 退款申请 (财务, 超级管理员): members' refund requests newest first (keyset on id), by
-- status, with the member, the order, the lines and the state of their refund.
CREATE OR REPLACE FUNCTION public.console_list_refund_requests (
  p_status    text    DEFAULT NULL::text,
  p_before_id bigint  DEFAULT NULL::bigint,
  p_limit     integer DEFAULT 20
)
  RETURNS jsonb
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_limit integer;
begin
  perform rebate.require_role('finance');
  v_limit := rebate.page_limit(p_limit);
  if p_status is not null and p_status not in ('pending', 'approved', 'rejected', 'cancelled') then
    raise exception using errcode = 'P0001', message = 'invalid_status', hint = '状态无效';
  end if;
  return coalesce((select jsonb_agg(to_jsonb(rebate.refund_request_row(q)) || jsonb_build_object(
             'member_code', m.member_code, 'nickname', m.nickname, 'pay_fen', o.pay_fen,
             'lines', (select jsonb_agg(jsonb_build_object('line_no', l.line_no, 'name', coalesce(p.name, '收银台买单'),
                                                           'quantity', l.quantity, 'pay_fen', l.pay_fen) order by l.line_no)
                         from rebate.order_lines l left join rebate.products p on p.id = l.product_id
                        where l.order_id = o.id and l.line_no = any (q.line_nos)),
             'refund', (select rebate.wechat_refund_view(w) from rebate.wechat_refunds w
                         where w.request_id = q.id order by w.id desc limit 1)) order by q.id desc)
            from (select * from rebate.refund_requests x
                   where (p_status is null or x.status = p_status) and (p_before_id is null or x.id < p_before_id)
                   order by x.id desc limit v_limit) q
            join rebate.orders o on o.id = q.order_id
            join rebate.members m on m.id = q.member_id), '[]');
end;
$function$;
comment on function public.console_list_refund_requests(p_status text, p_before_id bigint, p_limit integer) is 'Console 退款售后 退款申请 (finance, admin): members'' refund requests newest first (keyset on id), by status, with member, order lines and the state of their WeChat Pay refund.';
revoke all on function public.console_list_refund_requests(p_status text, p_before_id bigint, p_limit integer) from public, anon, authenticated, service_role;
grant execute on function public.console_list_refund_requests(p_status text, p_before_id bigint, p_limit integer) to authenticated;

-- Records the full refund of a late payment (the caller holds the order's lock): every line,
-- nothing kept back (the order was never paid here, so SPEC §10 has nothing to keep), the whole
-- payment, a new out_refund_no; due at once for refund-query. p_retry_of: the closed or failed
-- refund this one starts again (finance's 重新发起). Audited.
CREATE OR REPLACE FUNCTION rebate.start_late_refund (
  p_late_payment_id bigint,
  p_actor           uuid,
  p_retry_of        bigint DEFAULT NULL::bigint
)
  RETURNS rebate.wechat_refunds
  LANGUAGE plpgsql
  SET search_path TO ''
  AS $function$
declare
  l rebate.late_payments;
  o rebate.orders;
  w rebate.wechat_refunds;
begin
  select * into l from rebate.late_payments x where x.id = p_late_payment_id for update;
  select * into o from rebate.orders x where x.id = l.order_id;
  if l.status <> 'refunding' or exists (select 1 from rebate.wechat_refunds x where x.late_payment_id = l.id
                                          and x.status in ('created', 'processing', 'abnormal', 'success')) then
    raise exception using errcode = 'P0001', message = 'refund_not_retryable', hint = '该退款不能重试';
  end if;
  insert into rebate.wechat_refunds (out_refund_no, order_id, line_nos, kept_back_fen, refund_fen, total_fen, reason,
                                     started_by, retry_of, late_payment_id)
  select 'RF' || o.order_no || '-' || (select count(*) + 1 from rebate.wechat_refunds x where x.order_id = o.id),
         o.id, array_agg(n.line_no order by n.line_no), array_agg(0::bigint order by n.line_no), l.paid_fen, l.paid_fen,
         '订单已取消，款项原路退回', p_actor, p_retry_of, l.id
    from rebate.order_lines n where n.order_id = o.id
  returning * into w;
  perform rebate.audit('refund.late_payment', 'order', o.order_no, null,
                       jsonb_build_object('out_refund_no', w.out_refund_no, 'refund_fen', w.refund_fen,
                                          'transaction_id', l.transaction_id, 'retry_of', p_retry_of),
                       '订单已取消后收到的付款，全额原路退回');
  return w;
end;
$function$;
comment on function rebate.start_late_refund(p_late_payment_id bigint, p_actor uuid, p_retry_of bigint) is 'Records the full refund of a late payment (order locked by the caller): every line, nothing kept back, the whole payment, a new out_refund_no, due at once for refund-query; p_retry_of for 重新发起. Audited.';
revoke all on function rebate.start_late_refund(p_late_payment_id bigint, p_actor uuid, p_retry_of bigint) from public, anon, authenticated, service_role;

-- A payment for an order we cancelled (public.accept_payment holds the order's lock; SPEC §16,
-- "nothing is ever lost"): recorded once by its transaction_id and refunded in full through
-- WeChat Pay (start_late_refund: refund-query sends it). The order stays cancelled. A repeat
-- (the same transaction_id: a duplicated notification, or the expiry job's query after it)
-- returns the same record (replayed); a different transaction for the same order cannot be
-- (WeChat pays an out_trade_no once) and is refused. The member is told at once.
CREATE OR REPLACE FUNCTION rebate.accept_late_payment (
  o             rebate.orders,
  p_payment_ref text,
  p_paid_fen    bigint
)
  RETURNS jsonb
  LANGUAGE plpgsql
  SET search_path TO ''
  AS $function$
declare
  l rebate.late_payments;
  w rebate.wechat_refunds;
  v_replayed boolean := true;
begin
  if p_payment_ref is null or p_payment_ref !~ '^[A-Za-z0-9_.:|-]{1,64}$' then
    raise exception using errcode = 'P0001', message = 'invalid_payment_ref', hint = '支付单号无效';
  end if;
  select * into l from rebate.late_payments x where x.order_id = o.id;
  if found and l.transaction_id <> p_payment_ref then
    raise exception using errcode = 'P0001', message = 'order_already_paid', hint = '订单已支付';
  end if;
  if not found then
    if p_paid_fen is distinct from o.pay_fen then
      raise exception using errcode = 'P0001', message = 'paid_amount_mismatch', hint = '支付金额与订单不符';
    end if;
    if exists (select 1 from rebate.orders x where x.payment_ref = p_payment_ref)
       or exists (select 1 from rebate.late_payments x where x.transaction_id = p_payment_ref) then
      raise exception using errcode = 'P0001', message = 'payment_ref_conflict', hint = '支付单号已被其他订单使用';
    end if;
    v_replayed := false;
    insert into rebate.late_payments (order_id, transaction_id, paid_fen)
    values (o.id, p_payment_ref, p_paid_fen)
    returning * into l;
    -- WeChat's trade is final (paid): nothing left to close there
    update rebate.payment_requests r set close_due_at = null where r.order_id = o.id;
    w := rebate.start_late_refund(l.id, null);
    insert into rebate.messages (member_id, kind, title, body, order_id, amount_fen)
    values (o.member_id, 'late_payment', '订单已取消，款项将原路退回',
            '订单' || o.order_no || '已取消，收到的款项' || rebate.fen_text(p_paid_fen) || '将原路退回，请留意微信支付退款通知',
            o.id, p_paid_fen);
  elsif p_paid_fen is distinct from l.paid_fen then
    raise exception using errcode = 'P0001', message = 'paid_amount_mismatch', hint = '支付金额与订单不符';
  end if;
  select * into w from rebate.wechat_refunds x where x.late_payment_id = l.id order by x.id desc limit 1;
  return jsonb_build_object('order_id', o.id, 'order_no', o.order_no, 'status', o.status, 'payment_ref', null,
                            'paid_fen', l.paid_fen, 'paid_at', null, 'replayed', v_replayed, 'settled', true,
                            'settle_queue_id', null, 'late_payment', jsonb_build_object(
                              'transaction_id', l.transaction_id, 'status', l.status, 'received_at', l.received_at,
                              'out_refund_no', w.out_refund_no, 'refund_status', w.status));
end;
$function$;
comment on function rebate.accept_late_payment(o rebate.orders, p_payment_ref text, p_paid_fen bigint) is 'A payment for an order we cancelled (order locked by the caller; SPEC §16): recorded once by transaction_id and refunded in full through WeChat Pay (start_late_refund); the order stays cancelled, the member gets a message. A repeat is replayed; another transaction for the order is refused.';
revoke all on function rebate.accept_late_payment(o rebate.orders, p_payment_ref text, p_paid_fen bigint) from public, anon, authenticated, service_role;

-- order-expiry (service role): WeChat Pay says the trade of this order is closed (closed by our
-- call, past its time_expire, or unknown there), so it can never be paid: a pending order is
-- cancelled (its deductions returned), and a cancelled one no longer needs closing.
CREATE OR REPLACE FUNCTION public.record_trade_closed (
  p_order_no text
)
  RETURNS jsonb
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  o rebate.orders;
  v_cancelled boolean := false;
begin
  select * into o from rebate.orders x where x.order_no = p_order_no for update;
  if not found then
    raise exception using errcode = 'P0001', message = 'order_not_found', hint = '订单不存在';
  end if;
  if o.status = 'pending' then
    perform rebate.cancel_locked_order(o);
    v_cancelled := true;
  elsif o.status <> 'cancelled' then
    raise exception using errcode = 'P0001', message = 'order_not_cancellable', hint = '订单已支付，不能取消';
  end if;
  update rebate.payment_requests r set close_due_at = null where r.order_id = o.id;
  return jsonb_build_object('order_no', o.order_no, 'status', 'cancelled', 'cancelled', v_cancelled);
end;
$function$;
comment on function public.record_trade_closed(p_order_no text) is 'order-expiry (service role): WeChat Pay''s trade of this order is closed and can never be paid: a pending order is cancelled (deductions returned), a cancelled one no longer needs closing. A paid order is refused (order_not_cancellable).';
revoke all on function public.record_trade_closed(p_order_no text) from public, anon, authenticated, service_role;
grant execute on function public.record_trade_closed(p_order_no text) to service_role;

-- The order-expiry job's second batch (service role): cancelled orders whose WeChat trade may
-- still be open (the member cancelled, or a cancel raced the close), oldest first. The job asks
-- WeChat about each: paid → a late payment (accept_payment records and refunds it); not paid →
-- closed there, then record_trade_closed.
CREATE OR REPLACE FUNCTION public.trades_to_close (
  p_limit integer DEFAULT 100
)
  RETURNS TABLE (
    order_no    text,
    pay_fen     bigint,
    time_expire timestamptz
  )
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
begin
  return query
    select o.order_no, o.pay_fen, r.time_expire
      from rebate.payment_requests r
      join rebate.orders o on o.id = r.order_id
     where r.close_due_at is not null and r.close_due_at <= now()
     order by r.close_due_at, r.order_id
     limit rebate.page_limit(p_limit);
end;
$function$;
comment on function public.trades_to_close(p_limit integer) is 'The order-expiry job''s second batch (service role): cancelled orders whose WeChat trade may still be open, oldest first; each is queried, then closed there or its late payment recorded.';
revoke all on function public.trades_to_close(p_limit integer) from public, anon, authenticated, service_role;
grant execute on function public.trades_to_close(p_limit integer) to service_role;

-- The order-expiry job's batch (service role): pending orders whose payment window has passed
-- (payment_requests.time_expire), and pending orders never sent to WeChat Pay that are older
-- than p_unsent_hours; oldest first. The job asks WeChat about each before it cancels anything.
CREATE OR REPLACE FUNCTION public.expired_pending_orders (
  p_limit        integer DEFAULT 100,
  p_unsent_hours integer DEFAULT 24
)
  RETURNS TABLE (
    order_no    text,
    pay_fen     bigint,
    time_expire timestamptz,
    prepaid     boolean
  )
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
begin
  if p_unsent_hours is null or p_unsent_hours not between 1 and 720 then
    raise exception using errcode = 'P0001', message = 'invalid_ttl', hint = '支付有效期无效';
  end if;
  return query
    select o.order_no, o.pay_fen, r.time_expire, r.order_id is not null
      from rebate.orders o
      left join rebate.payment_requests r on r.order_id = o.id
     where o.status = 'pending'
       and (r.time_expire < now() or (r.order_id is null and o.created_at < now() - make_interval(hours => p_unsent_hours)))
     order by o.created_at, o.id
     limit rebate.page_limit(p_limit);
end;
$function$;
comment on function public.expired_pending_orders(p_limit integer, p_unsent_hours integer) is 'The order-expiry job''s batch (service role): pending orders past their payment window (time_expire), or never sent to WeChat Pay and older than p_unsent_hours; oldest first.';
revoke all on function public.expired_pending_orders(p_limit integer, p_unsent_hours integer) from public, anon, authenticated, service_role;
grant execute on function public.expired_pending_orders(p_limit integer, p_unsent_hours integer) to service_role;

-- reconcile(): refunds through WeChat Pay agree with the books.
CREATE OR REPLACE FUNCTION rebate.reconcile_check_refunds()
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
  -- an order's refunded cash is what its refund rows say, and never more than it paid
  select 'order_refunds_sum', o.id::text, coalesce(sum(r.refund_fen), 0)::bigint, o.refunded_fen
    from rebate.orders o left join rebate.refunds r on r.order_id = o.id
   where o.refunded_fen > 0 or r.id is not null
   group by o.id
  having o.refunded_fen <> coalesce(sum(r.refund_fen), 0) or o.refunded_fen > o.pay_fen
  union all
  -- refunds asked for and not failed or closed never exceed what the order paid
  select 'wechat_refunds_exceed_paid', o.id::text, o.pay_fen, sum(w.refund_fen)::bigint
    from rebate.wechat_refunds w join rebate.orders o on o.id = w.order_id
   where w.status in ('created', 'processing', 'abnormal', 'success')
   group by o.id
  having sum(w.refund_fen) > o.pay_fen
  union all
  -- a successful refund booked exactly what WeChat refunded, for exactly its lines
  select 'wechat_refund_booked', w.out_refund_no, w.refund_fen, r.refund_fen
    from rebate.wechat_refunds w left join rebate.refunds r on r.id = w.refund_id
   where w.status = 'success' and w.late_payment_id is null
     and (r.id is null or r.refund_fen <> w.refund_fen or r.order_id <> w.order_id or r.line_nos <> w.line_nos
          or exists (select 1 from rebate.order_lines l where l.order_id = w.order_id and l.line_no = any (w.line_nos)
                                                           and l.refund_id is distinct from w.refund_id))
  union all
  -- a line is in at most one refund under way or done
  select 'line_refunded_twice', w.order_id::text || ':' || n::text, 1::bigint, count(*)
    from rebate.wechat_refunds w cross join lateral unnest(w.line_nos) n
   where w.status in ('created', 'processing', 'abnormal', 'success')
   group by w.order_id, n
  having count(*) > 1
  union all
  -- a refund under way is for lines not refunded yet, of an order that is still paid or completed
  select 'wechat_refund_open_state', w.out_refund_no, null::bigint, null::bigint
    from rebate.wechat_refunds w join rebate.orders o on o.id = w.order_id
   where w.status in ('created', 'processing', 'abnormal') and w.late_payment_id is null
     and (o.status not in ('paid', 'completed')
          or exists (select 1 from rebate.order_lines l where l.order_id = w.order_id and l.line_no = any (w.line_nos)
                                                           and l.refunded_at is not null))
  union all
  -- an approved member request has its refund (started through WeChat Pay, or a notification's)
  select 'refund_request_unanswered', q.id::text, null::bigint, null::bigint
    from rebate.refund_requests q
   where q.status = 'approved' and q.refund_id is null
     and not exists (select 1 from rebate.wechat_refunds w where w.request_id = q.id)
  union all
  -- a late payment is for a cancelled order that was never paid here
  select 'late_payment_order', l.order_id::text, null::bigint, null::bigint
    from rebate.late_payments l join rebate.orders o on o.id = l.order_id
   where o.status <> 'cancelled' or o.payment_ref is not null or o.pay_fen <> l.paid_fen
  union all
  -- a late payment is never kept: refunding with one refund under way (or waiting for finance
  -- after WeChat closed or refused it: shown here until started again), or refunded exactly once in full
  select 'late_payment_kept', l.order_id::text, l.paid_fen,
         coalesce(sum(w.refund_fen) filter (where w.status in ('created', 'processing', 'abnormal', 'success')), 0)::bigint
    from rebate.late_payments l left join rebate.wechat_refunds w on w.late_payment_id = l.id
   group by l.id
  having count(*) filter (where w.status in ('created', 'processing', 'abnormal', 'success')) <> 1
      or coalesce(sum(w.refund_fen) filter (where w.status in ('created', 'processing', 'abnormal', 'success')), 0) <> l.paid_fen
      or (l.status = 'refunded') <> coalesce(bool_or(w.status = 'success'), false)
      or bool_or(w.order_id <> l.order_id or w.total_fen <> l.paid_fen)
$function$;
comment on function rebate.reconcile_check_refunds() is 'reconcile(): orders'' refunded cash = their refund rows and ≤ paid; refunds asked of WeChat Pay never exceed the paid cash; a successful one booked exactly its amount and lines; a line is in one live refund at most; an open refund is for unrefunded lines of a paid order; an approved request has its refund; a late payment is for a cancelled, unpaid order and is refunding (one refund under way) or refunded in full exactly once, never kept.';
revoke all on function rebate.reconcile_check_refunds() from public, anon, authenticated, service_role;

-- ============================================================ grants

GRANT SELECT ON TABLE "rebate"."wechat_refunds" TO "service_role";

GRANT SELECT ON TABLE "rebate"."late_payments" TO "service_role";
