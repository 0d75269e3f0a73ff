-- reconcile() for referral, rewards and withdrawals: public.reconcile() runs every
-- rebate.reconcile_check_<area>() (20261125000800); this is the area 'referral'. No rows when healthy.
--   commissions  every commission ledger row of a reward reason belongs to exactly one reward and
--                matches it (member, amount, reason, order); every reversal likewise; rewards match
--                their source line (settled, paid amount, buyer) and are reversed iff it was refunded;
--                a line's rewards and dividend accrual stay within its guardrail budget
--   dividends    each period paid exactly the accruals it took, split into its dividend rewards
--   withdrawals  hold and return ledger rows match each withdrawal; per member and asset the
--                withdrawal ledger rows sum to −(pending + paid)
--   referrals    no cycle

-- ============================================================ functions
create or replace function rebate.reconcile_check_referral()
returns table (check_name text, subject text, expected bigint, actual bigint)
language sql stable set search_path = ''
as $$
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
    select w.member_id, w.asset, sum(w.amount_fen) filter (where w.status <> 'rejected') as held
      from rebate.withdrawals w group by w.member_id, w.asset),
  withdrawal_ledger as (
    select g.member_id, g.asset, sum(g.delta) as delta from rebate.ledger g
     where g.reason in ('withdrawal', 'withdrawal_return') group by g.member_id, g.asset),
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
  -- withdrawals: the hold (and the return of a rejected one) are ledger rows that match
  select 'withdrawal_hold_ledger', w.id::text, -w.amount_fen, g.delta
    from rebate.withdrawals w left join rebate.ledger g on g.id = w.hold_ledger_id
   where g.id is null or g.member_id <> w.member_id or g.asset <> w.asset or g.delta <> -w.amount_fen
      or g.reason <> 'withdrawal'
  union all
  select 'withdrawal_return_ledger', w.id::text, w.amount_fen, g.delta
    from rebate.withdrawals w left join rebate.ledger g on g.id = w.return_ledger_id
   where (w.status = 'rejected') <> (w.return_ledger_id is not null)
      or (w.return_ledger_id is not null
          and (g.id is null or g.member_id <> w.member_id or g.asset <> w.asset or g.delta <> w.amount_fen
               or g.reason <> 'withdrawal_return'))
  union all
  select 'withdrawal_ledger_row', g.id::text, null::bigint, g.delta
    from rebate.ledger g
   where g.reason in ('withdrawal', 'withdrawal_return')
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
$$;

-- ============================================================ grants
revoke all on function rebate.reconcile_check_referral() from public, anon, authenticated;
