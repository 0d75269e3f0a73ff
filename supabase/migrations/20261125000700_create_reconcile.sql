-- reconcile(): checks every conservation invariant of SPEC §2 and every wallet against its
-- ledger, and returns the differences (no rows when healthy). Full scans: run it off-peak,
-- from a scheduled job or by hand (service_role).

-- ============================================================ functions
create or replace function public.reconcile()
returns table (check_name text, subject text, expected bigint, actual bigint)
language sql stable security definer set search_path = ''
as $$
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
$$;

-- ============================================================ grants
revoke all on function public.reconcile() from public, anon, authenticated, service_role;
grant execute on function public.reconcile() to service_role;
