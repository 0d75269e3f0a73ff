-- Statements (对账): each day's payments and refunds here compared with WeChat Pay's trade bill
-- SPEC §16. The statement-download job (an edge function) downloads and parses the bill
-- (GET /v3/bill/tradebill, docs/payments.md) and hands its lines to record_statement, which
-- stores them and every difference; finance resolves differences with a reason (audited).
-- The source of truth (docs/database.md): edit here, then `npm run db:diff -- <name>` writes the migration.

-- ============================================================ tables

-- One downloaded trade bill per Asia/Shanghai day (bill_type ALL), with its totals.
CREATE TABLE "rebate"."statements" (
  "bill_date"     date                     NOT NULL,
  "hash_value"    text,                               -- SHA1 of the file, as WeChat stated and we checked (null: no bill that day)
  "line_count"    integer                  NOT NULL DEFAULT 0,
  "pay_count"     integer                  NOT NULL DEFAULT 0,
  "pay_fen"       bigint                   NOT NULL DEFAULT 0,  -- Σ 订单金额 of the payment lines
  "refund_count"  integer                  NOT NULL DEFAULT 0,
  "refund_fen"    bigint                   NOT NULL DEFAULT 0,  -- Σ 申请退款金额 of the refund lines
  "runs"          integer                  NOT NULL DEFAULT 1,
  "downloaded_at" timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT "statements_counts_check" CHECK (((line_count >= 0) AND (pay_count >= 0) AND (refund_count >= 0) AND ((pay_count + refund_count) = line_count))),
  CONSTRAINT "statements_hash_value_check" CHECK (((hash_value IS NULL) OR (hash_value ~ '^[0-9a-f]{40}$'::text))),
  CONSTRAINT "statements_pay_fen_check" CHECK ((pay_fen >= 0)),
  CONSTRAINT "statements_pkey" PRIMARY KEY (bill_date),
  CONSTRAINT "statements_refund_fen_check" CHECK ((refund_fen >= 0))
);

ALTER TABLE "rebate"."statements"
  ENABLE ROW LEVEL SECURITY;

-- The bill's lines: a payment (交易状态 SUCCESS …) or a refund (交易状态 REFUND). Replaced when the
-- day is downloaded again.
CREATE TABLE "rebate"."statement_lines" (
  "id"             bigint                   GENERATED ALWAYS AS IDENTITY NOT NULL,
  "bill_date"      date                     NOT NULL,
  "line_no"        integer                  NOT NULL,
  "kind"           text                     NOT NULL,  -- payment | refund
  "trade_time"     timestamp with time zone,
  "out_trade_no"   text                     NOT NULL,
  "transaction_id" text                     NOT NULL,
  "out_refund_no"  text,
  "refund_id"      text,
  "amount_fen"     bigint                   NOT NULL,
  "trade_state"    text                     NOT NULL,
  "refund_state"   text,
  CONSTRAINT "statement_lines_amount_fen_check" CHECK ((amount_fen >= 0)),
  CONSTRAINT "statement_lines_bill_date_fkey" FOREIGN KEY (bill_date) REFERENCES rebate.statements(bill_date),
  CONSTRAINT "statement_lines_bill_date_line_no_key" UNIQUE (bill_date, line_no),
  CONSTRAINT "statement_lines_kind_check" CHECK ((kind = ANY (ARRAY['payment'::text, 'refund'::text]))),
  CONSTRAINT "statement_lines_pkey" PRIMARY KEY (id),
  CONSTRAINT "statement_lines_refund" CHECK (((kind = 'refund'::text) = (refund_id IS NOT NULL)))
);

ALTER TABLE "rebate"."statement_lines"
  ENABLE ROW LEVEL SECURITY;

CREATE INDEX statement_lines_out_trade_no_idx ON rebate.statement_lines USING btree (out_trade_no) WHERE (kind = 'payment'::text);

CREATE INDEX statement_lines_refund_id_idx ON rebate.statement_lines USING btree (refund_id) WHERE (kind = 'refund'::text);

-- A difference between WeChat's bill and our books, open until finance resolves it with a
-- reason. One row per (day, payment or refund, reference, kind): downloading a day again
-- updates or removes its open rows, never duplicates them; a resolved row stays resolved.
CREATE TABLE "rebate"."statement_differences" (
  "id"             bigint                   GENERATED ALWAYS AS IDENTITY NOT NULL,
  "bill_date"      date                     NOT NULL,
  "subject"        text                     NOT NULL,  -- payment | refund
  "ref"            text                     NOT NULL,  -- payment: out_trade_no (our order number); refund: WeChat's refund_id
  "kind"           text                     NOT NULL,  -- missing_here | missing_there | amount_mismatch | state_mismatch
  "out_trade_no"   text,
  "out_refund_no"  text,
  "our_fen"        bigint,
  "their_fen"      bigint,
  "our_state"      text,
  "their_state"    text,
  "status"         text                     NOT NULL DEFAULT 'open'::text,
  "created_at"     timestamp with time zone NOT NULL DEFAULT now(),
  "updated_at"     timestamp with time zone NOT NULL DEFAULT now(),
  "resolved_at"    timestamp with time zone,
  "resolved_by"    uuid,
  "resolve_reason" text,
  CONSTRAINT "statement_differences_bill_date_fkey" FOREIGN KEY (bill_date) REFERENCES rebate.statements(bill_date),
  CONSTRAINT "statement_differences_key" UNIQUE (bill_date, subject, ref, kind),
  CONSTRAINT "statement_differences_kind_check" CHECK ((kind = ANY (ARRAY['missing_here'::text, 'missing_there'::text, 'amount_mismatch'::text, 'state_mismatch'::text]))),
  CONSTRAINT "statement_differences_pkey" PRIMARY KEY (id),
  CONSTRAINT "statement_differences_resolution" CHECK (
CASE status
    WHEN 'open'::text THEN ((resolved_at IS NULL) AND (resolved_by IS NULL) AND (resolve_reason IS NULL))
    WHEN 'resolved'::text THEN ((resolved_at IS NOT NULL) AND (resolved_by IS NOT NULL) AND (char_length(resolve_reason) >= 1) AND (char_length(resolve_reason) <= 200))
    ELSE NULL::boolean
END),
  CONSTRAINT "statement_differences_resolved_by_fkey" FOREIGN KEY (resolved_by) REFERENCES rebate.members(id),
  CONSTRAINT "statement_differences_subject_check" CHECK ((subject = ANY (ARRAY['payment'::text, 'refund'::text])))
);

ALTER TABLE "rebate"."statement_differences"
  ENABLE ROW LEVEL SECURITY;

CREATE INDEX statement_differences_status_idx ON rebate.statement_differences USING btree (status, id);

-- the foreign key's index
CREATE INDEX statement_differences_resolved_by_idx ON rebate.statement_differences USING btree (resolved_by) WHERE (resolved_by IS NOT NULL);

-- Our side of a day: the payments and refunds recorded in it (no scan of all orders).
CREATE INDEX orders_paid_at_idx ON rebate.orders USING btree (paid_at) WHERE (payment_ref IS NOT NULL);

CREATE INDEX refunds_created_at_idx ON rebate.refunds USING btree (created_at);

-- ... and its late payments (docs/payments.md "Late payments") with their full refunds
CREATE INDEX late_payments_received_at_idx ON rebate.late_payments USING btree (received_at);

CREATE INDEX wechat_refunds_late_finished_idx ON rebate.wechat_refunds USING btree (finished_at)
  WHERE ((late_payment_id IS NOT NULL) AND (status = 'success'::text));

-- ============================================================ functions

-- The Chinese words for a difference (console 对账).
CREATE OR REPLACE FUNCTION rebate.statement_difference_json (
  d rebate.statement_differences
)
  RETURNS jsonb
  LANGUAGE sql
  STABLE
  SET search_path TO ''
  AS $function$
  select to_jsonb(d) - 'resolved_by'
         || jsonb_build_object(
              'difference_id', d.id,
              'subject_label', case d.subject when 'payment' then '支付' else '退款' end,
              'kind_label', case d.kind when 'missing_here' then '我方缺失（微信有、我方无）'
                                        when 'missing_there' then '微信缺失（我方有、微信无）'
                                        when 'amount_mismatch' then '金额不一致'
                                        else '状态不一致' end,
              'resolved_by_code', (select m.member_code from rebate.members m where m.id = d.resolved_by))
$function$;
comment on function rebate.statement_difference_json(d rebate.statement_differences) is 'A statement difference as the console lists it, with Chinese labels.';
revoke all on function rebate.statement_difference_json(d rebate.statement_differences) from public, anon, authenticated, service_role;

-- Stores WeChat's trade bill of p_bill_date (the parsed lines; p_summary is the bill's own
-- totals {count, pay_fen, refund_fen}, checked against the lines) and compares it with our
-- books of that day:
--   payment in the bill, no such order here → missing_here; the order not paid here (or paid by
--   another transaction) → state_mismatch; another amount → amount_mismatch;
--   paid here that day, in no downloaded bill → missing_there (a payment just before midnight may
--   be on the next day's bill: downloading that day clears it);
--   refunds alike, by WeChat's refund_id (a refund not yet SUCCESS in the bill is no difference
--   unless we booked it).
-- A late payment (rebate.late_payments: paid at WeChat for an order we had cancelled) is a payment
-- of ours: the bill's SUCCESS line of that order and transaction matches it (another amount →
-- amount_mismatch), and one received that day in no bill is missing_there. Its full refund (the
-- wechat_refunds row with late_payment_id, found by out_refund_no) matches the bill's REFUND line:
-- SUCCESS on both sides with the same amount is no difference, another amount is amount_mismatch,
-- SUCCESS on one side only is state_mismatch (our_state is its state here, upper case); one that
-- succeeded here that day and is in no bill is missing_there.
-- Idempotent per day: running it again replaces the lines and updates or removes the open
-- differences; resolved ones are kept.
CREATE OR REPLACE FUNCTION public.record_statement (
  p_bill_date date,
  p_hash      text,
  p_lines     jsonb,
  p_summary   jsonb DEFAULT NULL::jsonb
)
  RETURNS jsonb
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_start timestamptz := p_bill_date::timestamp at time zone 'Asia/Shanghai';
  v_end timestamptz := (p_bill_date + 1)::timestamp at time zone 'Asia/Shanghai';
  v_count integer;
  v_pay_count integer;
  v_pay bigint;
  v_refund_count integer;
  v_refund bigint;
  v_diffs jsonb;
  v_removed integer;
  v_cleared integer;
  v_open integer;
begin
  if p_bill_date is null or p_bill_date >= rebate.shanghai_day(now()) then
    raise exception using errcode = 'P0001', message = 'invalid_bill_date', hint = '账单日期应早于今天';
  end if;
  if p_lines is null or jsonb_typeof(p_lines) <> 'array' then
    raise exception using errcode = 'P0001', message = 'invalid_statement', hint = '账单内容无效';
  end if;
  insert into rebate.statements as s (bill_date, hash_value)
  values (p_bill_date, p_hash)
  on conflict (bill_date) do update set hash_value = excluded.hash_value, runs = s.runs + 1, downloaded_at = now();
  perform 1 from rebate.statements s where s.bill_date = p_bill_date for update;  -- one run of a day at a time

  delete from rebate.statement_lines l where l.bill_date = p_bill_date;
  begin
    insert into rebate.statement_lines (bill_date, line_no, kind, trade_time, out_trade_no, transaction_id, out_refund_no,
                                        refund_id, amount_fen, trade_state, refund_state)
    select p_bill_date, x.line_no, x.kind, x.trade_time::timestamp at time zone 'Asia/Shanghai', x.out_trade_no,
           x.transaction_id, nullif(x.out_refund_no, ''), nullif(x.refund_id, ''), x.amount_fen, x.trade_state,
           nullif(x.refund_state, '')
      from jsonb_to_recordset(p_lines) as x(line_no integer, kind text, trade_time text, out_trade_no text,
                                            transaction_id text, out_refund_no text, refund_id text, amount_fen bigint,
                                            trade_state text, refund_state text);
  exception when not_null_violation or check_violation or unique_violation or invalid_datetime_format
                 or datetime_field_overflow or invalid_text_representation then
    raise exception using errcode = 'P0001', message = 'invalid_statement', hint = '账单内容无效';
  end;
  select count(*), count(*) filter (where l.kind = 'payment'), coalesce(sum(l.amount_fen) filter (where l.kind = 'payment'), 0),
         count(*) filter (where l.kind = 'refund'), coalesce(sum(l.amount_fen) filter (where l.kind = 'refund'), 0)
    into v_count, v_pay_count, v_pay, v_refund_count, v_refund
    from rebate.statement_lines l where l.bill_date = p_bill_date;
  if p_summary is not null and ((p_summary ->> 'count')::bigint is distinct from v_count
       or (p_summary ->> 'pay_fen')::bigint is distinct from v_pay
       or (p_summary ->> 'refund_fen')::bigint is distinct from v_refund) then
    raise exception using errcode = 'P0001', message = 'statement_inconsistent', hint = '账单汇总与明细不一致';
  end if;
  update rebate.statements s
     set line_count = v_count, pay_count = v_pay_count, pay_fen = v_pay, refund_count = v_refund_count, refund_fen = v_refund
   where s.bill_date = p_bill_date;

  with d as (
    select 'payment' as subject, l.out_trade_no as ref, l.out_trade_no, null::text as out_refund_no,
           case when o.id is null then 'missing_here'
                when o.payment_ref = l.transaction_id then case when o.pay_fen <> l.amount_fen then 'amount_mismatch' end
                when lp.id is not null then case when lp.paid_fen <> l.amount_fen then 'amount_mismatch' end
                else 'state_mismatch' end as kind,
           coalesce(lp.paid_fen, o.pay_fen) as our_fen, l.amount_fen as their_fen,
           case when lp.id is not null then 'late_payment' else o.status end as our_state, l.trade_state as their_state
      from rebate.statement_lines l
      left join rebate.orders o on o.order_no = l.out_trade_no
      left join rebate.late_payments lp on lp.order_id = o.id and lp.transaction_id = l.transaction_id
     where l.bill_date = p_bill_date and l.kind = 'payment'
    union all
    select 'payment', o.order_no, o.order_no, null, 'missing_there', o.pay_fen, null, o.status, null
      from rebate.orders o
     where o.payment_ref is not null and o.paid_at >= v_start and o.paid_at < v_end
       and not exists (select 1 from rebate.statement_lines l where l.kind = 'payment' and l.out_trade_no = o.order_no)
    union all
    select 'payment', o.order_no, o.order_no, null, 'missing_there', lp.paid_fen, null, 'late_payment', null
      from rebate.late_payments lp join rebate.orders o on o.id = lp.order_id
     where lp.received_at >= v_start and lp.received_at < v_end
       and not exists (select 1 from rebate.statement_lines l where l.kind = 'payment' and l.out_trade_no = o.order_no)
    union all
    select 'refund', l.refund_id, l.out_trade_no, l.out_refund_no,
           case when r.id is not null then case when l.refund_state is distinct from 'SUCCESS' then 'state_mismatch'
                                                when r.refund_fen <> l.amount_fen then 'amount_mismatch' end
                when w.id is not null then case when (w.status = 'success') <> (l.refund_state is not distinct from 'SUCCESS') then 'state_mismatch'
                                                when w.status = 'success' and w.refund_fen <> l.amount_fen then 'amount_mismatch' end
                when l.refund_state = 'SUCCESS' then 'missing_here' end,
           coalesce(r.refund_fen, w.refund_fen), l.amount_fen,
           case when r.id is not null then 'SUCCESS' when w.id is not null then upper(w.status) end, l.refund_state
      from rebate.statement_lines l
      left join rebate.refunds r on r.refund_ref = l.refund_id
      left join rebate.wechat_refunds w on r.id is null and w.out_refund_no = l.out_refund_no and w.late_payment_id is not null
     where l.bill_date = p_bill_date and l.kind = 'refund'
    union all
    select 'refund', r.refund_ref, o.order_no, null, 'missing_there', r.refund_fen, null, 'SUCCESS', null
      from rebate.refunds r join rebate.orders o on o.id = r.order_id
     where r.created_at >= v_start and r.created_at < v_end
       and not exists (select 1 from rebate.statement_lines l where l.kind = 'refund' and l.refund_id = r.refund_ref)
    union all
    select 'refund', coalesce(w.wechat_refund_id, w.out_refund_no), o.order_no, w.out_refund_no, 'missing_there', w.refund_fen, null,
           'SUCCESS', null
      from rebate.wechat_refunds w join rebate.orders o on o.id = w.order_id
     where w.late_payment_id is not null and w.status = 'success' and w.finished_at >= v_start and w.finished_at < v_end
       and not exists (select 1 from rebate.statement_lines l where l.kind = 'refund' and l.refund_id = w.wechat_refund_id))
  select coalesce(jsonb_agg(to_jsonb(d)), '[]') into v_diffs from d where d.kind is not null;

  -- open differences of this day that no longer hold
  delete from rebate.statement_differences s
   where s.bill_date = p_bill_date and s.status = 'open'
     and not exists (select 1 from jsonb_to_recordset(v_diffs) as x(subject text, ref text, kind text)
                      where x.subject = s.subject and x.ref = s.ref and x.kind = s.kind);
  get diagnostics v_removed = row_count;
  -- "missing there" of other days that this bill now explains (a payment near midnight)
  delete from rebate.statement_differences s
   where s.bill_date <> p_bill_date and s.status = 'open' and s.kind = 'missing_there'
     and exists (select 1 from rebate.statement_lines l
                  where l.bill_date = p_bill_date
                    and ((s.subject = 'payment' and l.kind = 'payment' and l.out_trade_no = s.ref)
                      or (s.subject = 'refund' and l.kind = 'refund' and l.refund_id = s.ref)));
  get diagnostics v_cleared = row_count;
  insert into rebate.statement_differences as s (bill_date, subject, ref, kind, out_trade_no, out_refund_no, our_fen, their_fen,
                                                 our_state, their_state)
  select p_bill_date, x.subject, x.ref, x.kind, x.out_trade_no, x.out_refund_no, x.our_fen, x.their_fen, x.our_state, x.their_state
    from jsonb_to_recordset(v_diffs) as x(subject text, ref text, kind text, out_trade_no text, out_refund_no text,
                                          our_fen bigint, their_fen bigint, our_state text, their_state text)
  on conflict (bill_date, subject, ref, kind) do update
     set our_fen = excluded.our_fen, their_fen = excluded.their_fen, our_state = excluded.our_state,
         their_state = excluded.their_state, out_refund_no = excluded.out_refund_no, updated_at = now()
   where s.status = 'open';
  select count(*) into v_open from rebate.statement_differences s where s.bill_date = p_bill_date and s.status = 'open';
  return jsonb_build_object('bill_date', p_bill_date, 'lines', v_count, 'pay_count', v_pay_count, 'pay_fen', v_pay,
                            'refund_count', v_refund_count, 'refund_fen', v_refund, 'differences', jsonb_array_length(v_diffs),
                            'open', v_open, 'removed', v_removed, 'cleared_elsewhere', v_cleared);
end;
$function$;
comment on function public.record_statement(p_bill_date date, p_hash text, p_lines jsonb, p_summary jsonb) is 'Service role: stores a day''s WeChat trade bill (lines checked against its totals) and every difference with our payments and refunds (late payments and their full refunds included); idempotent per day (open differences updated or removed, resolved ones kept).';
revoke all on function public.record_statement(p_bill_date date, p_hash text, p_lines jsonb, p_summary jsonb) from public, anon, authenticated, service_role;
grant execute on function public.record_statement(p_bill_date date, p_hash text, p_lines jsonb, p_summary jsonb) to service_role;

-- Finance: the downloaded days, newest first, with their totals and open / resolved differences.
CREATE OR REPLACE FUNCTION public.admin_list_statements (
  p_before_date date    DEFAULT NULL::date,
  p_limit       integer DEFAULT 30
)
  RETURNS jsonb
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
begin
  perform rebate.require_role('finance');
  if p_limit is null or p_limit not between 1 and 100 then
    raise exception using errcode = 'P0001', message = 'invalid_limit', hint = '每页数量应在 1 到 100 之间';
  end if;
  return coalesce((
    select jsonb_agg(to_jsonb(s) || jsonb_build_object(
             'open', (select count(*) from rebate.statement_differences d where d.bill_date = s.bill_date and d.status = 'open'),
             'resolved', (select count(*) from rebate.statement_differences d where d.bill_date = s.bill_date and d.status = 'resolved'))
           order by s.bill_date desc)
      from (select * from rebate.statements x where p_before_date is null or x.bill_date < p_before_date
             order by x.bill_date desc limit p_limit) s), '[]'::jsonb);
end;
$function$;
comment on function public.admin_list_statements(p_before_date date, p_limit integer) is 'Finance: downloaded trade bills by day, newest first, with totals and open / resolved difference counts.';
revoke all on function public.admin_list_statements(p_before_date date, p_limit integer) from public, anon, authenticated, service_role;
grant execute on function public.admin_list_statements(p_before_date date, p_limit integer) to authenticated;

-- Finance: statement differences by status (open first use), newest first (keyset on id).
CREATE OR REPLACE FUNCTION public.admin_list_statement_differences (
  p_status    text    DEFAULT 'open'::text,
  p_bill_date date    DEFAULT NULL::date,
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
  perform rebate.require_role('finance');
  if p_status is not null and p_status not in ('open', 'resolved') then
    raise exception using errcode = 'P0001', message = 'invalid_status', hint = '状态无效';
  end if;
  if p_limit is null or p_limit not between 1 and 100 then
    raise exception using errcode = 'P0001', message = 'invalid_limit', hint = '每页数量应在 1 到 100 之间';
  end if;
  return coalesce((
    select jsonb_agg(rebate.statement_difference_json(d) order by d.id desc)
      from (select * from rebate.statement_differences x
             where (p_status is null or x.status = p_status) and (p_bill_date is null or x.bill_date = p_bill_date)
               and (p_before_id is null or x.id < p_before_id)
             order by x.id desc limit p_limit) d), '[]'::jsonb);
end;
$function$;
comment on function public.admin_list_statement_differences(p_status text, p_bill_date date, p_before_id bigint, p_limit integer) is 'Finance: statement differences by status and day, newest first (keyset on id), with Chinese labels.';
revoke all on function public.admin_list_statement_differences(p_status text, p_bill_date date, p_before_id bigint, p_limit integer) from public, anon, authenticated, service_role;
grant execute on function public.admin_list_statement_differences(p_status text, p_bill_date date, p_before_id bigint, p_limit integer) to authenticated;

-- Finance: marks an open difference resolved with a reason (what was done about it), audited.
CREATE OR REPLACE FUNCTION public.admin_resolve_statement_difference (
  p_difference_id bigint,
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
  d rebate.statement_differences;
begin
  if char_length(v_reason) not between 1 and 200 then
    raise exception using errcode = 'P0001', message = 'invalid_reason', hint = '请填写处理说明（1 到 200 个字）';
  end if;
  select * into d from rebate.statement_differences x where x.id = p_difference_id for update;
  if not found then
    raise exception using errcode = 'P0001', message = 'difference_not_found', hint = '对账差异不存在';
  end if;
  if d.status <> 'open' then
    raise exception using errcode = 'P0001', message = 'difference_not_open', hint = '该差异已处理';
  end if;
  update rebate.statement_differences x
     set status = 'resolved', resolved_at = now(), resolved_by = v_admin, resolve_reason = v_reason, updated_at = now()
   where x.id = d.id
   returning * into d;
  perform rebate.audit('statement.resolve', 'statement_difference', d.id::text,
                       jsonb_build_object('status', 'open', 'bill_date', d.bill_date, 'subject', d.subject, 'ref', d.ref,
                                          'kind', d.kind, 'our_fen', d.our_fen, 'their_fen', d.their_fen),
                       jsonb_build_object('status', d.status), v_reason);
  return rebate.statement_difference_json(d);
end;
$function$;
comment on function public.admin_resolve_statement_difference(p_difference_id bigint, p_reason text) is 'Finance: marks an open statement difference resolved with a reason (audited).';
revoke all on function public.admin_resolve_statement_difference(p_difference_id bigint, p_reason text) from public, anon, authenticated, service_role;
grant execute on function public.admin_resolve_statement_difference(p_difference_id bigint, p_reason text) to authenticated;

-- Reconcile findings of statements: every open difference (the books and WeChat disagree until
-- finance resolves it), and each stored bill's totals against its lines.
CREATE OR REPLACE FUNCTION rebate.reconcile_check_statements()
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
  select 'statement_difference_open', d.bill_date::text || ':' || d.subject || ':' || d.ref || ':' || d.kind,
         d.our_fen, d.their_fen
    from rebate.statement_differences d where d.status = 'open'
  union all
  select 'statement_totals', s.bill_date::text, s.pay_fen + s.refund_fen, coalesce(sum(l.amount_fen), 0)
    from rebate.statements s left join rebate.statement_lines l on l.bill_date = s.bill_date
   group by s.bill_date, s.pay_fen, s.refund_fen, s.line_count
  having s.pay_fen + s.refund_fen <> coalesce(sum(l.amount_fen), 0) or s.line_count <> count(l.id)
$function$;
comment on function rebate.reconcile_check_statements() is 'Reconcile findings of statements: open differences with WeChat''s trade bills, and bills whose totals disagree with their lines.';
revoke all on function rebate.reconcile_check_statements() from public, anon, authenticated, service_role;

-- ============================================================ policies

CREATE POLICY "Nobody reads statements directly" ON "rebate"."statements"
  FOR SELECT
  TO "authenticated"
  USING (false);

CREATE POLICY "Nobody reads statement lines directly" ON "rebate"."statement_lines"
  FOR SELECT
  TO "authenticated"
  USING (false);

CREATE POLICY "Nobody reads statement differences directly" ON "rebate"."statement_differences"
  FOR SELECT
  TO "authenticated"
  USING (false);

-- ============================================================ grants

GRANT SELECT ON TABLE "rebate"."statement_differences" TO "service_role";

GRANT SELECT ON TABLE "rebate"."statement_lines" TO "service_role";

GRANT SELECT ON TABLE "rebate"."statements" TO "service_role";
