// The union queue mode (工会排队, SPEC §13) in the bench: switching a case database to union
// mode with a referral tree (so most orders pay an acceleration), preloading waiting union
// entries with set-based SQL, and timing the daily payout over a large waiting queue.
//
// Preloaded rows tell this story: orders paid earlier in union mode while the pool ratio was 0%
// (each line joined and got its entry with the whole quota waiting; its union_lines record
// says net profit = its amount, contribution 0). Every CHECK runs; foreign keys are verified
// set-based; reconcile() is clean afterwards.
import pg from 'pg';

async function connect(url) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  return c;
}

/** Union mode on: quota 110%, pool 60%, acceleration `accelBps`; mall products cost half their price;
 *  member k (k ≥ 2, in openid order) is bound to member ⌊k/2⌋ through bind_referrer, as a scan would. */
export async function switchToUnion(url, { accelBps = 1000, referrals = true } = {}) {
  const c = await connect(url);
  try {
    await c.query(`update rebate.settings set programme_mode = 'union', union_quota_bps = 11000, union_pool_bps = 6000,
                     union_accel_bps = $1 where id = 1`, [accelBps]);
    await c.query(`update rebate.products set cost_fen = price_fen / 2`);
    if (referrals) {
      await c.query(`
        do $$
        declare r record;
        begin
          for r in
            with m as (select x.id, x.member_code, row_number() over (order by x.openid) as k
                         from rebate.members x where x.openid like 'bench\\_member\\_%')
            select a.id, b.member_code from m a join m b on b.k = a.k / 2 where a.k >= 2 order by a.k
          loop
            perform set_config('request.jwt.claims', json_build_object('sub', r.id, 'role', 'authenticated')::text, true);
            perform public.bind_referrer(r.member_code, 'scan');
          end loop;
        end $$`);
    }
  } finally {
    await c.end();
  }
}

/**
 * Adds `count` waiting union entries (members round-robin, product `productId`, bought
 * `daysAgo` days ago), each with its paid order, its joined and settled line, its union_lines
 * record (pool ratio 0%) and its 'union_joined' message. Returns the number added.
 */
export async function preloadUnionWaiting(url, { count, memberIds, productId, daysAgo = 2, batch = 250000 }) {
  const c = await connect(url);
  try {
    let added = 0;
    while (added < count) {
      const n = Math.min(batch, count - added);
      await c.query('begin');
      await c.query(`set local session_replication_role = replica`);   // triggers off (FKs verified below); every CHECK runs
      await c.query(`create temp table b on commit drop as
        select nextval(pg_get_serial_sequence('rebate.orders', 'id')) as order_id,
               nextval(pg_get_serial_sequence('rebate.order_lines', 'id')) as line_id,
               m.id as member_id, p.id as product_id, p.price_fen, rebate.bps_of(p.price_fen, 11000) as quota
          from generate_series(1, $1::int) s
          join unnest($2::uuid[]) with ordinality m(id, k) on m.k = 1 + s % cardinality($2::uuid[])
          cross join rebate.products p where p.id = $3`, [n, memberIds, productId]);
      await c.query(`insert into rebate.orders (id, order_no, member_id, channel, status, goods_fen, pay_fen, payment_ref, created_at, paid_at)
        select b.order_id, to_char(now() at time zone 'Asia/Shanghai', 'YYYYMMDD') || lpad(b.order_id::text, 12, '0'),
               b.member_id, 'mall', 'paid', b.price_fen, b.price_fen, 'preload-u-' || b.order_id, now(), now()
          from b order by b.order_id`);
      await c.query(`insert into rebate.order_lines (id, order_id, line_no, product_id, quantity, unit_price_fen, amount_fen, pay_fen,
                                                     union_joined, settled_at)
        select b.line_id, b.order_id, 1, b.product_id, 1, b.price_fen, b.price_fen, b.price_fen, true, now() from b order by b.line_id`);
      await c.query(`insert into rebate.union_entries (member_id, order_id, line_id, base_fen, quota_bps, quota_fen)
        select b.member_id, b.order_id, b.line_id, b.price_fen, 11000, b.quota from b order by b.order_id`);
      await c.query(`insert into rebate.union_lines (line_id, order_id, member_id, day, gross_fen, rewards_fen, subsidy_fen, net_profit_fen,
                                                     pool_bps, contribution_fen, accel_bps, accel_fen)
        select b.line_id, b.order_id, b.member_id, rebate.shanghai_day(now()) - $1::int, b.price_fen, 0, 0, b.price_fen, 0, 0, 0, 0
          from b order by b.line_id`, [daysAgo]);
      await c.query(`insert into rebate.messages (member_id, kind, title, body, order_id, amount_fen)
        select b.member_id, 'union_joined', '工会排队成功', '订单已加入工会排队，分红额度' || rebate.fen_text(b.quota), b.order_id, b.quota
          from b order by b.order_id`);
      await c.query('commit');
      added += n;
    }
    const { rows: [fk] } = await c.query(`select count(*)::int as n from rebate.order_lines l
      where l.union_joined and (not exists (select 1 from rebate.orders o where o.id = l.order_id)
                                or not exists (select 1 from rebate.products p where p.id = l.product_id))`);
    if (fk.n !== 0) throw new Error(`union preload broke a foreign key (${fk.n} lines)`);
    return added;
  } finally {
    await c.end();
  }
}

/**
 * Adds one paid and settled union line per day for days `daysAgo…1` whose contribution pays
 * exactly `entries` whole quotas of 110% × `priceFen` (and leaves 50.00 over), then runs the
 * daily payout of each day as the clock would and returns the time of each run (ms) and what it paid.
 */
export async function timeUnionPayouts(url, { memberId, productId, priceFen, entries, days = 3 }) {
  const c = await connect(url);
  try {
    const quota = Math.floor((priceFen * 11000 + 5000) / 10000);
    const contribution = quota * entries + 5000;
    const amount = Math.ceil(contribution / 0.6);   // pool 60% of the net profit (cost 0 for this line)
    const runs = [];
    // the first payout ever sums every earlier contribution (the preload's): run it untimed
    const first = (await c.query(`select ((rebate.shanghai_day(now()) - $1::int)::timestamp + time '00:11') at time zone 'Asia/Shanghai' as t`, [days])).rows[0].t;
    await c.query('begin');
    await c.query(`select set_config('role', 'service_role', true), set_config('request.jwt.claims', '{"role":"service_role"}', true)`);
    await c.query(`select public.run_union_payout($1::timestamptz)`, [first]);
    await c.query('commit');
    for (let d = days; d >= 1; d--) {
      await c.query('begin');
      await c.query(`set local session_replication_role = replica`);
      const { rows: [o] } = await c.query(`insert into rebate.orders (order_no, member_id, channel, status, goods_fen, pay_fen, payment_ref, paid_at)
        values (to_char(now() at time zone 'Asia/Shanghai', 'YYYYMMDD') || lpad((900000000000 + $3::bigint)::text, 12, '0'), $1, 'mall', 'paid', $2, $2, 'bench-pool-' || $3, now())
        returning id`, [memberId, amount, d]);
      const { rows: [l] } = await c.query(`insert into rebate.order_lines (order_id, line_no, product_id, quantity, unit_price_fen, amount_fen, pay_fen, union_joined, no_entry_reason, settled_at)
        values ($1, 1, $2, 1, $3, $3, $3, true, 'limit_reached', now()) returning id`, [o.id, productId, amount]);
      await c.query(`insert into rebate.union_lines (line_id, order_id, member_id, day, gross_fen, rewards_fen, subsidy_fen, net_profit_fen,
                                                     pool_bps, contribution_fen, accel_bps, accel_fen)
        values ($1, $2, $3, rebate.shanghai_day(now()) - $4::int, $5, 0, 0, $5, 6000, rebate.bps_of($5, 6000), 0, 0)`,
        [l.id, o.id, memberId, d, amount]);
      await c.query('commit');
      const at = (await c.query(`select ((rebate.shanghai_day(now()) - $1::int + 1)::timestamp + time '00:11') at time zone 'Asia/Shanghai' as t`, [d])).rows[0].t;
      const t0 = process.hrtime.bigint();
      await c.query('begin');
      await c.query(`select set_config('role', 'service_role', true), set_config('request.jwt.claims', '{"role":"service_role"}', true)`);
      const { rows: [r] } = await c.query(`select public.run_union_payout($1::timestamptz) as r`, [at]);
      await c.query('commit');
      runs.push({ day: r.r.day, ms: Number(process.hrtime.bigint() - t0) / 1e6, paid_fen: Number(r.r.paid_fen), entries_paid: r.r.entries_paid,
                  carry_over_fen: Number(r.r.carry_over_fen) });
    }
    return runs;
  } finally {
    await c.end();
  }
}
