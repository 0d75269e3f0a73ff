-- Reconcile: every invariant of the books re-checked from the rows
-- SPEC §1, §2.
-- The source of truth (docs/database.md): edit here, then `npm run db:diff -- <name>` writes the migration.

-- ============================================================ functions

CREATE OR REPLACE FUNCTION rebate.reconcile_check_engine()
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
  with
  line_sums as (
    select l.queue_id,
           count(*) as joined,
           max(l.seq) as max_seq,
           coalesce(sum(l.extraction_fen) filter (where l.settled_at is not null), 0) as extracted
      from rebate.order_lines l where l.queue_id is not null group by l.queue_id),
  entry_sums as (
    select e.queue_id, count(*) as n, sum(e.entitlement_fen) as entitlement
      from rebate.entries e group by e.queue_id),
  dist_q as (select d.queue_id, sum(d.amount_fen) as amount from rebate.distributions d group by d.queue_id),
  ret_q as (select r.queue_id, sum(r.amount_fen) as amount from rebate.retentions r group by r.queue_id),
  dist_line as (select d.source_line_id as id, sum(d.amount_fen) as amount from rebate.distributions d group by 1),
  ret_line as (select r.source_line_id as id, sum(r.amount_fen) as amount from rebate.retentions r group by 1),
  dist_entry as (select d.entry_id as id, sum(d.amount_fen) as amount from rebate.distributions d group by 1),
  ledger_sums as (
    select g.member_id, g.asset, sum(g.delta) as total,
           (array_agg(g.balance_after order by g.id desc))[1] as last_after
      from rebate.ledger g group by g.member_id, g.asset),
  wallet_assets as (
    select w.member_id, a.asset, a.balance
      from rebate.wallets w
      cross join lateral (values ('cash', w.cash_fen), ('commission', w.commission_fen), ('points', w.points),
                                 ('love', w.love_fen), ('love_frozen', w.love_frozen_fen)) a(asset, balance)),
  ledger_chain as (
    select g.id, g.member_id, g.asset, g.balance_before,
           lag(g.balance_after) over (partition by g.member_id, g.asset order by g.id) as prev_after
      from rebate.ledger g),
  order_lines_sum as (
    select l.order_id, sum(l.amount_fen) as amount, sum(l.points_deduct_fen) as points,
           sum(l.love_deduct_fen) as love, sum(l.refund_fen) as refund
      from rebate.order_lines l group by l.order_id),
  rebate_ledger as (
    select g.member_id, sum(g.delta) as amount from rebate.ledger g
     where g.asset = 'cash' and g.reason = 'queue_rebate' group by g.member_id),
  dist_member as (select d.member_id, sum(d.amount_fen) as amount from rebate.distributions d group by d.member_id),
  deduction_expected as (
    -- what orders should have done to points / love: taken when created, back on cancel or refund
    select o.member_id,
           sum(case when o.status = 'cancelled' then 0 else -o.points_deduct_fen end)
             + coalesce(sum(rl.points), 0) as points,
           sum(case when o.status = 'cancelled' then 0 else -o.love_deduct_fen end)
             + coalesce(sum(rl.love), 0) as love
      from rebate.orders o
      left join lateral (select sum(l.points_deduct_fen) as points, sum(l.love_deduct_fen) as love
                           from rebate.order_lines l where l.order_id = o.id and l.refunded_at is not null) rl on true
     group by o.member_id),
  deduction_ledger as (
    select g.member_id,
           coalesce(sum(g.delta) filter (where g.asset = 'points'), 0) as points,
           coalesce(sum(g.delta) filter (where g.asset = 'love'), 0) as love
      from rebate.ledger g
     where g.reason in ('order_deduction', 'order_cancel_return', 'order_refund_return')
     group by g.member_id)

  -- §2: for every queue, Σ extraction = Σ distributed + Σ retained (rows and running totals)
  select 'queue_extracted_total', q.id::text, coalesce(ls.extracted, 0), q.total_extracted_fen
    from rebate.queues q left join line_sums ls on ls.queue_id = q.id
   where q.total_extracted_fen <> coalesce(ls.extracted, 0)
  union all
  select 'queue_distributed_total', q.id::text, coalesce(d.amount, 0), q.total_distributed_fen
    from rebate.queues q left join dist_q d on d.queue_id = q.id
   where q.total_distributed_fen <> coalesce(d.amount, 0)
  union all
  select 'queue_retained_total', q.id::text, coalesce(r.amount, 0), q.total_retained_fen
    from rebate.queues q left join ret_q r on r.queue_id = q.id
   where q.total_retained_fen <> coalesce(r.amount, 0)
  union all
  select 'queue_conservation', q.id::text, coalesce(ls.extracted, 0), coalesce(d.amount, 0) + coalesce(r.amount, 0)
    from rebate.queues q
    left join line_sums ls on ls.queue_id = q.id
    left join dist_q d on d.queue_id = q.id
    left join ret_q r on r.queue_id = q.id
   where coalesce(ls.extracted, 0) <> coalesce(d.amount, 0) + coalesce(r.amount, 0)
  union all
  select 'queue_joined_count', q.id::text, coalesce(ls.joined, 0), q.joined_count
    from rebate.queues q left join line_sums ls on ls.queue_id = q.id
   where q.joined_count <> coalesce(ls.joined, 0)
  union all
  select 'queue_next_seq', q.id::text, coalesce(ls.max_seq, 0) + 1, q.next_seq
    from rebate.queues q left join line_sums ls on ls.queue_id = q.id
   where q.next_seq <> coalesce(ls.max_seq, 0) + 1
  union all
  select 'queue_entry_count', q.id::text, coalesce(es.n, 0), q.entry_count
    from rebate.queues q left join entry_sums es on es.queue_id = q.id
   where q.entry_count <> coalesce(es.n, 0)
  union all
  select 'queue_entitlement_total', q.id::text, coalesce(es.entitlement, 0), q.total_entitlement_fen
    from rebate.queues q left join entry_sums es on es.queue_id = q.id
   where q.total_entitlement_fen <> coalesce(es.entitlement, 0)

  -- every settled line: extraction = distributed + retained; nothing for unsettled lines
  union all
  select 'line_distributed', l.id::text, coalesce(d.amount, 0), l.distributed_fen
    from rebate.order_lines l left join dist_line d on d.id = l.id
   where l.distributed_fen <> coalesce(d.amount, 0)
  union all
  select 'line_retained', l.id::text, coalesce(r.amount, 0), l.retained_fen
    from rebate.order_lines l left join ret_line r on r.id = l.id
   where l.retained_fen <> coalesce(r.amount, 0)
  union all
  select 'line_conservation', l.id::text, case when l.settled_at is null then 0 else l.extraction_fen end,
         coalesce(d.amount, 0) + coalesce(r.amount, 0)
    from rebate.order_lines l
    left join dist_line d on d.id = l.id
    left join ret_line r on r.id = l.id
   where coalesce(d.amount, 0) + coalesce(r.amount, 0) <> case when l.settled_at is null then 0 else l.extraction_fen end
  union all
  select 'line_entitlement', l.id::text, coalesce(e.entitlement_fen, 0), l.entitlement_fen
    from rebate.order_lines l left join rebate.entries e on e.line_id = l.id
   where l.no_entry_reason is null and l.queue_id is not null and l.entitlement_fen <> coalesce(e.entitlement_fen, 0)

  -- every entry belongs to its line: same queue, position, order, member, entitlement
  union all
  select 'entry_line', e.id::text, l.id, e.line_id
    from rebate.entries e
    join rebate.order_lines l on l.id = e.line_id
    join rebate.orders o on o.id = l.order_id
   where e.queue_id is distinct from l.queue_id or e.seq is distinct from l.seq or e.order_id <> l.order_id
      or e.member_id <> o.member_id or e.entitlement_fen <> l.entitlement_fen or e.base_fen <> l.pay_fen
      or l.no_entry_reason is not null

  -- every entry: entitlement = received + remaining (+ closed), remaining ≥ 0; received = its distributions
  union all
  select 'entry_received', e.id::text, coalesce(d.amount, 0), e.received_fen
    from rebate.entries e left join dist_entry d on d.id = e.id
   where e.received_fen <> coalesce(d.amount, 0)
  union all
  select 'entry_overpaid', e.id::text, e.entitlement_fen, e.received_fen + e.closed_fen
    from rebate.entries e
   where e.received_fen + e.closed_fen > e.entitlement_fen
      or (e.status <> 'waiting' and e.received_fen + e.closed_fen <> e.entitlement_fen)

  -- every distribution pays an entry of the same queue ahead of the paying order, never its own order
  union all
  select 'distribution_ahead', d.id::text, l.pay_below_seq, e.seq
    from rebate.distributions d
    join rebate.order_lines l on l.id = d.source_line_id
    join rebate.entries e on e.id = d.entry_id
   where e.seq >= l.pay_below_seq or e.queue_id <> l.queue_id or d.queue_id <> l.queue_id
      or e.order_id = l.order_id or d.member_id <> e.member_id

  -- every wallet against its ledger
  union all
  select 'wallet_ledger_sum', wa.member_id::text || ':' || wa.asset, coalesce(ls.total, 0), wa.balance
    from wallet_assets wa left join ledger_sums ls on ls.member_id = wa.member_id and ls.asset = wa.asset
   where wa.balance <> coalesce(ls.total, 0)
  union all
  select 'wallet_ledger_last', wa.member_id::text || ':' || wa.asset, ls.last_after, wa.balance
    from wallet_assets wa join ledger_sums ls on ls.member_id = wa.member_id and ls.asset = wa.asset
   where wa.balance <> ls.last_after
  union all
  select 'ledger_reason', g.id::text, null::bigint, null::bigint
    from rebate.ledger g
   where not exists (select 1 from rebate.ledger_reasons r where r.code = g.reason)
  union all
  select 'ledger_chain', c.id::text, c.prev_after, c.balance_before
    from ledger_chain c
   where c.balance_before <> coalesce(c.prev_after, 0)
  union all
  select 'wallet_rebate', coalesce(rl.member_id, dm.member_id)::text, coalesce(dm.amount, 0), coalesce(rl.amount, 0)
    from rebate_ledger rl full join dist_member dm on dm.member_id = rl.member_id
   where coalesce(rl.amount, 0) <> coalesce(dm.amount, 0)
  union all
  select 'wallet_deductions_points', coalesce(de.member_id, dl.member_id)::text, coalesce(de.points, 0), coalesce(dl.points, 0)
    from deduction_expected de full join deduction_ledger dl on dl.member_id = de.member_id
   where coalesce(de.points, 0) <> coalesce(dl.points, 0)
  union all
  select 'wallet_deductions_love', coalesce(de.member_id, dl.member_id)::text, coalesce(de.love, 0), coalesce(dl.love, 0)
    from deduction_expected de full join deduction_ledger dl on dl.member_id = de.member_id
   where coalesce(de.love, 0) <> coalesce(dl.love, 0)

  -- every order: its lines add up
  union all
  select 'order_goods', o.id::text, o.goods_fen, coalesce(s.amount, 0)
    from rebate.orders o left join order_lines_sum s on s.order_id = o.id
   where o.goods_fen <> coalesce(s.amount, 0)
  union all
  select 'order_points', o.id::text, o.points_deduct_fen, coalesce(s.points, 0)
    from rebate.orders o left join order_lines_sum s on s.order_id = o.id
   where o.points_deduct_fen <> coalesce(s.points, 0)
  union all
  select 'order_love', o.id::text, o.love_deduct_fen, coalesce(s.love, 0)
    from rebate.orders o left join order_lines_sum s on s.order_id = o.id
   where o.love_deduct_fen <> coalesce(s.love, 0)
  union all
  select 'order_refunded', o.id::text, coalesce(s.refund, 0), o.refunded_fen
    from rebate.orders o left join order_lines_sum s on s.order_id = o.id
   where o.refunded_fen <> coalesce(s.refund, 0)
$function$;
comment on function rebate.reconcile_check_engine() is 'Reconcile findings of the queue engine: queue totals, entries, distributions, retentions, orders and wallets against the ledger.';
revoke all on function rebate.reconcile_check_engine() from public, anon, authenticated, service_role;
grant execute on function rebate.reconcile_check_engine() to service_role;

-- reconcile(): no waiting entry below its queue's head pointer.
CREATE OR REPLACE FUNCTION rebate.reconcile_check_queue_head()
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
  select 'queue_head', q.id::text, q.head_seq, min(e.seq)
    from rebate.queues q
    join rebate.entries e on e.queue_id = q.id and e.status = 'waiting'
   group by q.id, q.head_seq
  having min(e.seq) < q.head_seq
$function$;
comment on function rebate.reconcile_check_queue_head() is 'reconcile(): no waiting entry below its queue''s head pointer.';
revoke all on function rebate.reconcile_check_queue_head() from public, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION rebate.reconcile_check_referral()
  RETURNS TABLE (
    check_name text,
    subject    text,
    expected   bigint,
    actual     bigint
  )
  LANGUAGE sql
  STABLE
  SET search_path TO ''
  AS $function$
  with
  line_rewards as (
    select x.line_id, sum(x.amount_fen) as amount, min(x.budget_fen) as budget, max(x.budget_fen) as budget_max
      from rebate.rewards x where x.line_id is not null group by x.line_id),
  line_payouts as (
    select coalesce(lr.line_id, a.line_id) as line_id,
           coalesce(lr.amount, 0) + coalesce(a.amount_fen, 0) as amount,
           least(coalesce(lr.budget, a.budget_fen), coalesce(a.budget_fen, lr.budget)) as budget,
           greatest(coalesce(lr.budget_max, a.budget_fen), coalesce(a.budget_fen, lr.budget_max)) as budget_max
      from line_rewards lr full join rebate.dividend_accruals a on a.line_id = lr.line_id),
  period_accruals as (
    select a.period_id, sum(a.amount_fen) as amount from rebate.dividend_accruals a
     where a.period_id is not null group by a.period_id),
  period_rewards as (
    select x.period_id, sum(x.amount_fen) as amount from rebate.rewards x
     where x.period_id is not null group by x.period_id),
  withdrawal_expected as (
    select w.member_id, w.asset, sum(w.amount_fen) filter (where w.status not in ('rejected', 'returned')) as held
      from rebate.withdrawals w group by w.member_id, w.asset),
  withdrawal_ledger as (
    select g.member_id, g.asset, sum(g.delta) as delta from rebate.ledger g
     where g.reason in ('withdrawal', 'withdrawal_return', 'withdrawal_transfer_return') group by g.member_id, g.asset),
  referral_walk as (
    select * from (
      with recursive walk(start_id, cur_id, depth) as (
        select r.member_id, r.referrer_id, 1 from rebate.referrals r
        union all
        select w.start_id, r.referrer_id, w.depth + 1
          from walk w join rebate.referrals r on r.member_id = w.cur_id
         where w.cur_id <> w.start_id and w.depth < 10000)
      select w.start_id from walk w where w.cur_id = w.start_id) c)

  -- every reward has its commission ledger row, and it matches
  select 'reward_ledger', x.id::text, x.amount_fen, g.delta
    from rebate.rewards x left join rebate.ledger g on g.id = x.ledger_id
   where g.id is null or g.asset <> 'commission' or g.member_id <> x.member_id or g.delta <> x.amount_fen
      or g.reason <> 'commission_' || x.kind or g.order_id is distinct from x.order_id
  union all
  -- every commission ledger row of a reward reason belongs to a reward
  select 'commission_ledger_reward', g.id::text, null::bigint, g.delta
    from rebate.ledger g
   where g.reason in ('commission_direct', 'commission_indirect', 'commission_level_diff',
                      'commission_merchant_recruit', 'commission_dividend')
     and not exists (select 1 from rebate.rewards x where x.ledger_id = g.id)
  union all
  -- every reversal has its ledger row (when something was taken back), and it matches
  select 'reward_reversal_ledger', x.id::text, -x.reversed_fen, g.delta
    from rebate.rewards x left join rebate.ledger g on g.id = x.reversal_ledger_id
   where x.reversal_ledger_id is not null
     and (g.id is null or g.asset <> 'commission' or g.member_id <> x.member_id or g.delta <> -x.reversed_fen
          or g.reason <> 'commission_reversal')
  union all
  select 'commission_reversal_ledger', g.id::text, null::bigint, g.delta
    from rebate.ledger g
   where g.reason = 'commission_reversal'
     and not exists (select 1 from rebate.rewards x where x.reversal_ledger_id = g.id)
  union all
  -- a reward from a line: the line is settled, the base is its paid amount, the source its buyer;
  -- reversed exactly when the line was refunded
  select 'reward_line', x.id::text, l.pay_fen, x.base_fen
    from rebate.rewards x
    left join rebate.order_lines l on l.id = x.line_id
    left join rebate.orders o on o.id = l.order_id
   where x.line_id is not null
     and (l.id is null or l.settled_at is null or x.order_id <> l.order_id or x.base_fen <> l.pay_fen
          or x.source_member_id <> o.member_id or (x.reversed_at is null) <> (l.refunded_at is null))
  union all
  -- the guardrail: a line's rewards and dividend accrual within its budget, which is at most
  -- what the paid amount leaves after extraction
  select 'line_payout_cap', p.line_id::text, p.budget, p.amount
    from line_payouts p join rebate.order_lines l on l.id = p.line_id
   where p.amount > p.budget or p.budget <> p.budget_max or p.budget > greatest(0, l.pay_fen - l.extraction_fen)
  union all
  -- a dividend accrual: its line is settled; removed from the pool only when refunded before payout
  select 'dividend_accrual_line', a.id::text, l.pay_fen, a.base_fen
    from rebate.dividend_accruals a left join rebate.order_lines l on l.id = a.line_id
   where l.id is null or l.settled_at is null or a.base_fen <> l.pay_fen or a.order_id <> l.order_id
      or (a.refunded_at is null) <> (l.refunded_at is null)
  union all
  -- every dividend period paid exactly the accruals it took, as its dividend rewards
  select 'dividend_period_accruals', dp.id::text, dp.paid_fen, coalesce(pa.amount, 0)
    from rebate.dividend_periods dp left join period_accruals pa on pa.period_id = dp.id
   where dp.paid_fen <> coalesce(pa.amount, 0)
  union all
  select 'dividend_period_rewards', dp.id::text, dp.paid_fen, coalesce(pr.amount, 0)
    from rebate.dividend_periods dp left join period_rewards pr on pr.period_id = dp.id
   where dp.paid_fen <> coalesce(pr.amount, 0)
  union all
  -- withdrawals: the hold (and the return of a rejected one) are ledger rows that match; a
  -- returned transfer's return is checked by reconcile_check_payouts
  select 'withdrawal_hold_ledger', w.id::text, -w.amount_fen, g.delta
    from rebate.withdrawals w left join rebate.ledger g on g.id = w.hold_ledger_id
   where g.id is null or g.member_id <> w.member_id or g.asset <> w.asset or g.delta <> -w.amount_fen
      or g.reason <> 'withdrawal'
  union all
  select 'withdrawal_return_ledger', w.id::text, w.amount_fen, g.delta
    from rebate.withdrawals w left join rebate.ledger g on g.id = w.return_ledger_id
   where (w.status in ('rejected', 'returned')) <> (w.return_ledger_id is not null)
      or (w.status = 'rejected'
          and (g.id is null or g.member_id <> w.member_id or g.asset <> w.asset or g.delta <> w.amount_fen
               or g.reason <> 'withdrawal_return'))
  union all
  select 'withdrawal_ledger_row', g.id::text, null::bigint, g.delta
    from rebate.ledger g
   where g.reason in ('withdrawal', 'withdrawal_return', 'withdrawal_transfer_return')
     and not exists (select 1 from rebate.withdrawals w where w.hold_ledger_id = g.id or w.return_ledger_id = g.id)
  union all
  -- held + paid out = what left the balance; returned ones came back
  select 'withdrawal_balance', coalesce(e.member_id, l.member_id)::text || ':' || coalesce(e.asset, l.asset),
         -coalesce(e.held, 0), coalesce(l.delta, 0)
    from withdrawal_expected e full join withdrawal_ledger l on l.member_id = e.member_id and l.asset = e.asset
   where -coalesce(e.held, 0) <> coalesce(l.delta, 0)
  union all
  -- referrals: never a cycle
  select 'referral_cycle', c.start_id::text, null::bigint, null::bigint from referral_walk c
$function$;
comment on function rebate.reconcile_check_referral() is 'Reconcile findings of referral: rewards against the commission ledger, reversals, the dividend pool.';
revoke all on function rebate.reconcile_check_referral() from public, anon, authenticated, service_role;

-- The rules' invariants, as rows of what is wrong (none when healthy). Full scans.
CREATE OR REPLACE FUNCTION rebate.reconcile_check_rules()
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
  with
  entry_ledger as (
    select g.entry_id, g.reason, g.asset, sum(g.delta) as amount
      from rebate.ledger g
     where g.reason in ('entry_exchange', 'random_return_points') and g.entry_id is not null
     group by g.entry_id, g.reason, g.asset),
  transfer_ledger as (
    select g.member_id,
           coalesce(sum(g.delta) filter (where g.reason = 'points_transfer_out'), 0) as sent,
           coalesce(sum(g.delta) filter (where g.reason = 'points_transfer_in'), 0) as received
      from rebate.ledger g where g.reason in ('points_transfer_out', 'points_transfer_in') group by g.member_id),
  transfer_rows as (
    select m.member_id, sum(m.sent) as sent, sum(m.received) as received
      from (select t.from_member_id as member_id, t.points as sent, 0::bigint as received from rebate.points_transfers t
            union all
            select t.to_member_id, 0, t.points from rebate.points_transfers t) m
     group by m.member_id),
  limited_targets as (
    select 'product'::text as kind, x.id from rebate.products x where x.daily_limit is not null or x.total_limit is not null
    union all
    select 'store', x.id from rebate.stores x where x.daily_limit is not null or x.total_limit is not null
    union all
    select 'cashier', x.id from rebate.cashiers x where x.daily_limit is not null or x.total_limit is not null),
  target_entries as (
    select t.kind, t.id, e.member_id, rebate.shanghai_day(e.created_at) as day
      from limited_targets t
      join rebate.entries e on true
      join rebate.order_lines l on l.id = e.line_id
      join rebate.orders o on o.id = e.order_id
     where case t.kind when 'product' then l.product_id = t.id
                       when 'store' then o.channel = 'store' and o.store_id = t.id
                       else o.channel = 'cashier' and o.cashier_id = t.id end),
  target_expected as (
    select te.kind, te.id, te.member_id, count(*) as total from target_entries te group by 1, 2, 3),
  draw_pick as (
    -- the result the stored random value gives under the stored configuration
    select d.id, d.entry_id, d.drawn_bps,
           case d.mode
             when 'interval' then (d.config ->> 'min_bps')::bigint + d.random_value
             else (select x.bps from (select (o ->> 'bps')::bigint as bps,
                                             sum((o ->> 'weight')::bigint) over (order by i) as upto
                                        from jsonb_array_elements(d.config -> 'options') with ordinality t(o, i)) x
                    where x.upto > d.random_value order by x.upto limit 1) end as expected_bps,
           case d.mode
             when 'interval' then d.random_value <= (d.config ->> 'max_bps')::bigint - (d.config ->> 'min_bps')::bigint
             else d.random_value < (select sum((o ->> 'weight')::bigint) from jsonb_array_elements(d.config -> 'options') o) end
             as in_range
      from rebate.lottery_draws d),
  group_counts as (
    select r.queue_id, r.group_no, count(*) as n from rebate.random_returns r group by 1, 2)

  -- exchange: every exchanged entry has its exchange, amounts exact, credited once
  select 'exchange_entry', e.id::text, e.closed_fen, x.remaining_fen
    from rebate.entries e left join rebate.exchanges x on x.entry_id = e.id
   where (e.status = 'exchanged') <> (x.entry_id is not null)
      or (x.entry_id is not null and (x.remaining_fen <> e.closed_fen or x.member_id <> e.member_id
                                      or x.queue_id <> e.queue_id))
  union all
  select 'exchange_amount', x.entry_id::text, rebate.bps_of(x.remaining_fen, x.ratio_bps), x.amount
    from rebate.exchanges x where x.amount <> rebate.bps_of(x.remaining_fen, x.ratio_bps)
  union all
  select 'exchange_ledger', x.entry_id::text, x.amount, coalesce(l.amount, 0)
    from rebate.exchanges x
    left join entry_ledger l on l.entry_id = x.entry_id and l.reason = 'entry_exchange' and l.asset = x.asset
   where coalesce(l.amount, 0) <> x.amount
  union all
  select 'exchange_ledger_orphan', l.entry_id::text, null::bigint, l.amount
    from entry_ledger l
   where l.reason = 'entry_exchange'
     and not exists (select 1 from rebate.exchanges x where x.entry_id = l.entry_id and x.asset = l.asset)

  -- clearing: every cleared entry forfeited exactly its remaining, in one run; runs add up
  union all
  select 'cleared_entry', e.id::text, e.closed_fen, c.forfeited_fen
    from rebate.entries e left join rebate.clearing_items c on c.entry_id = e.id
   where (e.status = 'cleared') <> (c.entry_id is not null)
      or (c.entry_id is not null and (c.forfeited_fen <> e.closed_fen or c.member_id <> e.member_id
                                      or c.queue_id <> e.queue_id))
  union all
  select 'clearing_run_total', r.id::text, r.forfeited_fen, coalesce(sum(c.forfeited_fen), 0)
    from rebate.clearing_runs r left join rebate.clearing_items c on c.run_id = r.id
   group by r.id
  having r.forfeited_fen <> coalesce(sum(c.forfeited_fen), 0) or r.cleared_count <> count(c.entry_id)
  union all
  select 'cleared_after_instant', c.entry_id::text, null::bigint, null::bigint
    from rebate.clearing_items c
    join rebate.clearing_runs r on r.id = c.run_id
    join rebate.entries e on e.id = c.entry_id
   where e.created_at > r.scheduled_at

  -- random return: every converted entry has its record; points exact and credited once;
  -- every full group converted exactly its points count
  union all
  select 'random_return_entry', e.id::text, e.entitlement_fen, r.converted_fen
    from rebate.entries e left join rebate.random_returns r on r.entry_id = e.id
   where (e.status = 'completed' and e.closed_fen > 0) <> (r.entry_id is not null)
      or (r.entry_id is not null and (r.converted_fen <> e.entitlement_fen or e.received_fen <> 0
                                      or r.member_id <> e.member_id or r.queue_id <> e.queue_id))
  union all
  select 'random_return_points', r.entry_id::text, rebate.bps_of(r.converted_fen, r.ratio_bps), r.points
    from rebate.random_returns r where r.points <> rebate.bps_of(r.converted_fen, r.ratio_bps)
  union all
  select 'random_return_ledger', r.entry_id::text, r.points, coalesce(l.amount, 0)
    from rebate.random_returns r
    left join entry_ledger l on l.entry_id = r.entry_id and l.reason = 'random_return_points' and l.asset = 'points'
   where coalesce(l.amount, 0) <> r.points
  union all
  select 'random_return_group', g.queue_id::text || ':' || g.group_no::text,
         case when g.end_reason = 'full' then g.points_count else g.converted end, coalesce(c.n, 0)
    from rebate.random_return_groups g
    left join group_counts c on c.queue_id = g.queue_id and c.group_no = g.group_no
   where coalesce(c.n, 0) <> g.converted or (g.end_reason = 'full' and g.converted <> g.points_count)

  -- lottery: the entry carries the drawn ratio and the recomputed entitlement; the result is
  -- what the stored random value gives under the stored configuration
  union all
  select 'lottery_entry', d.entry_id::text, d.drawn_bps, e.reward_bps
    from rebate.lottery_draws d join rebate.entries e on e.id = d.entry_id
   where e.reward_bps <> d.drawn_bps or e.entitlement_fen <> d.entitlement_fen or e.member_id <> d.member_id
      or e.rule_code <> d.rule_code or e.rule_code not like '%\_lottery'
      or d.entitlement_fen <> greatest(1, rebate.bps_of(e.base_fen, d.drawn_bps))
  union all
  select 'lottery_result', p.entry_id::text, p.expected_bps, p.drawn_bps
    from draw_pick p where p.expected_bps is distinct from p.drawn_bps or not p.in_range
  union all
  select 'entry_entitlement', e.id::text, rebate.bps_of(e.base_fen, e.reward_bps), e.entitlement_fen
    from rebate.entries e
   where not exists (select 1 from rebate.lottery_draws d where d.entry_id = e.id)
     and e.entitlement_fen <> rebate.bps_of(e.base_fen, e.reward_bps)

  -- refunds take back what exchanges and random returns gave, as the ledger says
  union all
  select 'refund_takeback', t.entry_id::text, t.taken,
         -coalesce((select sum(g.delta) from rebate.ledger g
                     where g.entry_id = t.entry_id and g.refund_id = t.refund_id
                       and g.reason in ('refund_points_back', 'refund_love_back') and g.asset = t.asset), 0)
    from rebate.refund_takebacks t
   where t.taken <> -coalesce((select sum(g.delta) from rebate.ledger g
                                where g.entry_id = t.entry_id and g.refund_id = t.refund_id
                                  and g.reason in ('refund_points_back', 'refund_love_back') and g.asset = t.asset), 0)
      or t.due <> coalesce((select x.amount from rebate.exchanges x where x.entry_id = t.entry_id),
                           (select r.points from rebate.random_returns r where r.entry_id = t.entry_id))
  union all
  select 'refund_takeback_missing', e.id::text, null::bigint, null::bigint
    from rebate.entries e
    join rebate.order_lines l on l.id = e.line_id
   where l.refunded_at is not null
     and (exists (select 1 from rebate.exchanges x where x.entry_id = e.id and x.amount > 0)
          or exists (select 1 from rebate.random_returns r where r.entry_id = e.id and r.points > 0))
     and not exists (select 1 from rebate.refund_takebacks t where t.entry_id = e.id)

  -- points transfers: both sides in the ledger, balanced per member
  union all
  select 'transfer_sent', coalesce(t.member_id, l.member_id)::text, -coalesce(t.sent, 0), coalesce(l.sent, 0)
    from transfer_rows t full join transfer_ledger l on l.member_id = t.member_id
   where coalesce(l.sent, 0) <> -coalesce(t.sent, 0)
  union all
  select 'transfer_received', coalesce(t.member_id, l.member_id)::text, coalesce(t.received, 0), coalesce(l.received, 0)
    from transfer_rows t full join transfer_ledger l on l.member_id = t.member_id
   where coalesce(l.received, 0) <> coalesce(t.received, 0)

  -- limit counts equal the entries of each limited target (in total, and on the counted day)
  union all
  select 'limit_total', coalesce(x.kind, c.target_kind) || ':' || coalesce(x.id, c.target_id)::text || ':'
           || coalesce(x.member_id, c.member_id)::text, coalesce(x.total, 0), coalesce(c.total_count, 0)
    from target_expected x
    full join (select c.* from rebate.member_target_counts c
                join limited_targets t on t.kind = c.target_kind and t.id = c.target_id) c
      on c.target_kind = x.kind and c.target_id = x.id and c.member_id = x.member_id
   where coalesce(x.total, 0) <> coalesce(c.total_count, 0)
  union all
  select 'limit_day', c.target_kind || ':' || c.target_id::text || ':' || c.member_id::text,
         (select count(*) from target_entries te
           where te.kind = c.target_kind and te.id = c.target_id and te.member_id = c.member_id and te.day = c.day),
         c.day_count
    from rebate.member_target_counts c
   where c.day_count <> (select count(*) from target_entries te
                          where te.kind = c.target_kind and te.id = c.target_id and te.member_id = c.member_id
                            and te.day = c.day)
  union all
  select 'limit_untracked', c.target_kind || ':' || c.target_id::text, null::bigint, c.total_count
    from rebate.member_target_counts c
   where not exists (select 1 from limited_targets t where t.kind = c.target_kind and t.id = c.target_id)
$function$;
comment on function rebate.reconcile_check_rules() is 'The rules'' invariants, as rows of what is wrong (none when healthy). Full scans.';
revoke all on function rebate.reconcile_check_rules() from public, anon, authenticated, service_role;

-- reconcile(), union mode (SPEC §13.9): the pool balance (Σ contributions − Σ acceleration −
-- Σ payouts − Σ taken back) is never negative and, up to the last day paid out, equals its
-- carry-over; each payout row chains from the previous one and adds up its items; every entry's
-- received ≤ quota and equals its accelerations and payout; every line record's acceleration is
-- its parts; the cash ledger of each member matches what acceleration and payouts paid.
CREATE OR REPLACE FUNCTION rebate.reconcile_check_union()
  RETURNS TABLE (
    check_name text,
    subject    text,
    expected   bigint,
    actual     bigint
  )
  LANGUAGE sql
  STABLE
  SET search_path TO ''
  AS $function$
  with
  last_payout as (select p.* from rebate.union_payouts p order by p.day desc limit 1),
  totals as (
    select (select coalesce(sum(u.contribution_fen), 0) from rebate.union_lines u) as contributed,
           (select coalesce(sum(u.accel_fen), 0) from rebate.union_lines u) as accelerated,
           (select coalesce(sum(p.paid_fen), 0) from rebate.union_payouts p) as paid,
           (select coalesce(sum(t.amount_fen), 0) from rebate.union_takebacks t) as taken),
  upto_last as (
    select (select coalesce(sum(u.contribution_fen - u.accel_fen), 0) from rebate.union_lines u, last_payout lp where u.day <= lp.day)
           - (select coalesce(sum(t.amount_fen), 0) from rebate.union_takebacks t, last_payout lp where t.day <= lp.day)
           - (select coalesce(sum(p.paid_fen), 0) from rebate.union_payouts p) as balance),
  chain as (
    select p.day, p.carry_in_fen, lag(p.carry_over_fen) over (order by p.day) as prev_carry from rebate.union_payouts p),
  items_day as (select i.day, sum(i.amount_fen) as amount, count(*) as n from rebate.union_payout_items i group by i.day),
  accel_entry as (select a.entry_id, sum(a.amount_fen) as amount from rebate.union_accelerations a group by a.entry_id),
  accel_line as (select a.line_id, sum(a.amount_fen) as amount from rebate.union_accelerations a group by a.line_id),
  paid_entry as (select i.entry_id, sum(i.amount_fen) as amount from rebate.union_payout_items i group by i.entry_id),
  ledger_union as (
    select g.member_id, g.reason, sum(g.delta) as amount from rebate.ledger g
     where g.asset = 'cash' and g.reason in ('union_acceleration', 'union_dividend') group by g.member_id, g.reason),
  paid_union as (
    select a.member_id, 'union_acceleration'::text as reason, sum(a.amount_fen) as amount from rebate.union_accelerations a group by a.member_id
    union all
    select i.member_id, 'union_dividend', sum(i.amount_fen) from rebate.union_payout_items i group by i.member_id)

  select 'union_pool_balance', 'pool', 0::bigint, t.contributed - t.accelerated - t.paid - t.taken
    from totals t where t.contributed - t.accelerated - t.paid - t.taken < 0
  union all
  select 'union_carry_over', lp.day::text, lp.carry_over_fen, ul.balance
    from last_payout lp, upto_last ul where ul.balance <> lp.carry_over_fen
  union all
  select 'union_payout_chain', c.day::text, coalesce(c.prev_carry, 0), c.carry_in_fen
    from chain c where c.carry_in_fen <> coalesce(c.prev_carry, 0)
  union all
  select 'union_payout_items', p.day::text, p.paid_fen, coalesce(i.amount, 0)
    from rebate.union_payouts p left join items_day i on i.day = p.day
   where p.paid_fen <> coalesce(i.amount, 0) or p.entries_paid <> coalesce(i.n, 0)
  union all
  select 'union_entry_received', e.id::text, coalesce(a.amount, 0) + coalesce(pe.amount, 0), e.received_fen
    from rebate.union_entries e
    left join accel_entry a on a.entry_id = e.id
    left join paid_entry pe on pe.entry_id = e.id
   where e.received_fen <> coalesce(a.amount, 0) + coalesce(pe.amount, 0) or e.accelerated_fen <> coalesce(a.amount, 0)
  union all
  select 'union_entry_overpaid', e.id::text, e.quota_fen, e.received_fen + e.closed_fen
    from rebate.union_entries e
   where e.received_fen + e.closed_fen > e.quota_fen or (e.status <> 'waiting' and e.received_fen + e.closed_fen <> e.quota_fen)
  union all
  select 'union_entry_line', e.id::text, l.pay_fen, e.base_fen
    from rebate.union_entries e join rebate.order_lines l on l.id = e.line_id join rebate.orders o on o.id = l.order_id
   where e.base_fen <> l.pay_fen or e.order_id <> l.order_id or e.member_id <> o.member_id or not l.union_joined
      or l.no_entry_reason is not null or e.quota_fen <> rebate.bps_of(e.base_fen, e.quota_bps)
  union all
  select 'union_line_acceleration', u.line_id::text, u.accel_fen, coalesce(a.amount, 0)
    from rebate.union_lines u left join accel_line a on a.line_id = u.line_id
   where u.accel_fen <> coalesce(a.amount, 0)
  union all
  select 'union_line_contribution', u.line_id::text, rebate.bps_of(u.net_profit_fen, u.pool_bps), u.contribution_fen
    from rebate.union_lines u
   where u.contribution_fen <> rebate.bps_of(u.net_profit_fen, u.pool_bps)
  union all
  select 'union_wallet_' || coalesce(lu.reason, pu.reason), coalesce(lu.member_id, pu.member_id)::text,
         coalesce(pu.amount, 0), coalesce(lu.amount, 0)
    from ledger_union lu full join paid_union pu on pu.member_id = lu.member_id and pu.reason = lu.reason
   where coalesce(lu.amount, 0) <> coalesce(pu.amount, 0)
$function$;
comment on function rebate.reconcile_check_union() is 'reconcile(), union mode (SPEC §13.9): pool balance never negative and equal to the last carry-over; payout rows chain and add up their items; every entry''s received ≤ quota and equal to its accelerations and payout; line accelerations and contributions; the cash ledger against acceleration and payouts.';
revoke all on function rebate.reconcile_check_union() from public, anon, authenticated, service_role;

-- ------------------------------------------------------------ reconcile
-- Accepted orders that are not settled: parked ones (expected 0 failed attempts left), and
-- paid orders with a line that never joined (no queue, no reason) that are not in the inbox.
CREATE OR REPLACE FUNCTION rebate.reconcile_check_settlement()
  RETURNS TABLE (
    check_name text,
    subject    text,
    expected   bigint,
    actual     bigint
  )
  LANGUAGE sql
  STABLE
  SET search_path TO ''
  AS $function$
  select 'settle_inbox_parked', i.order_id::text, 0::bigint, i.attempts::bigint
    from rebate.settle_inbox i
   where i.attempts >= rebate.settle_max_attempts()
  union all
  select 'paid_order_not_settled', o.id::text, 0::bigint, count(*)
    from rebate.orders o
    join rebate.order_lines l on l.order_id = o.id
   where o.paid_at is not null and l.refunded_at is null and l.queue_id is null and l.no_entry_reason is null
     and not l.union_joined
     and not exists (select 1 from rebate.settle_inbox i where i.order_id = o.id)
   group by o.id
$function$;
comment on function rebate.reconcile_check_settlement() is '------------------------------------------------------------ reconcile Accepted orders that are not settled: parked ones (expected 0 failed attempts left), and paid orders with a line that never joined (no queue, no reason) that are not in the inbox.';
revoke all on function rebate.reconcile_check_settlement() from public, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION public.reconcile()
  RETURNS TABLE (
    check_name text,
    subject    text,
    expected   bigint,
    actual     bigint
  )
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_check record;
begin
  for v_check in
    select p.proname
      from pg_proc p
      join pg_namespace n on n.oid = p.pronamespace
     where n.nspname = 'rebate' and p.proname like 'reconcile\_check\_%' and p.pronargs = 0
     order by p.proname
  loop
    return query execute format('select * from rebate.%I()', v_check.proname);
  end loop;
end;
$function$;
comment on function public.reconcile() is 'Every invariant of the books re-checked from the rows (SPEC §1, §2): an empty result means the books balance; otherwise one row per finding.';
revoke all on function public.reconcile() from public, anon, authenticated, service_role;
grant execute on function public.reconcile() to service_role;
