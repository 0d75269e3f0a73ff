// Preloads waiting entries into queues with set-based SQL (superuser), producing exactly the
// rows the real functions would have written for orders created and paid earlier:
//
//   orders (paid, payment_ref, paid_at), one order line each (joined: queue, seq,
//   pay_below_seq = seq, ratios, entitlement, settled), a waiting entry at that position,
//   its 'entry_joined' message, and the queue's running totals and next_seq.
//
// The story these rows tell: the orders were paid while the plugin's extraction ratio was 0%
// (so each line earned its full entitlement but extracted nothing and paid no one; settled
// with extraction 0 = distributed 0 + retained 0). Every row CHECK runs, every foreign key is
// checked, and reconcile() is clean afterwards. The entries stay waiting until the bench's
// orders pay them, oldest first.
import pg from 'pg';

const LOADED_TABLES = ['rebate.orders', 'rebate.order_lines', 'rebate.entries', 'rebate.messages'];

// Foreign keys are checked set-based after the load (one anti-join per key over the new rows)
// instead of one trigger call per row: the load runs with session_replication_role = replica,
// which skips triggers only (every CHECK still runs). That is done only while the loaded tables
// have no triggers of their own; otherwise the rows go in the slow way, triggers and all.
async function fastPathAllowed(c) {
  const { rows } = await c.query(`select count(*)::int as n from pg_trigger t
    where not t.tgisinternal and t.tgrelid = any($1::regclass[])`, [LOADED_TABLES]);
  return rows[0].n === 0;
}

async function maxIds(c) {
  const out = {};
  for (const t of LOADED_TABLES) out[t] = (await c.query(`select coalesce(max(id), 0) as m from ${t}`)).rows[0].m;
  return out;
}

async function verifyForeignKeys(c, before) {
  const { rows: fks } = await c.query(`
    select k.conname, k.conrelid::regclass::text as tbl, k.confrelid::regclass::text as ref,
           array(select a.attname::text from unnest(k.conkey) with ordinality x(n, i)
                   join pg_attribute a on a.attrelid = k.conrelid and a.attnum = x.n order by x.i) as cols,
           array(select a.attname::text from unnest(k.confkey) with ordinality x(n, i)
                   join pg_attribute a on a.attrelid = k.confrelid and a.attnum = x.n order by x.i) as refcols
      from pg_constraint k where k.contype = 'f' and k.conrelid = any($1::regclass[])`, [LOADED_TABLES]);
  const q = (x) => `"${x.replace(/"/g, '""')}"`;
  for (const fk of fks) {
    const notNull = fk.cols.map((col) => `t.${q(col)} is not null`).join(' and ');
    const match = fk.cols.map((col, i) => `r.${q(fk.refcols[i])} = t.${q(col)}`).join(' and ');
    const { rows } = await c.query(`select count(*)::int as n from ${fk.tbl} t
      where t.id > $1 and ${notNull} and not exists (select 1 from ${fk.ref} r where ${match})`, [before[fk.tbl]]);
    if (rows[0].n !== 0) throw new Error(`preload broke foreign key ${fk.conname} (${rows[0].n} rows)`);
  }
}

async function sequences(c) {
  const { rows: [r] } = await c.query(`select pg_get_serial_sequence('rebate.orders', 'id') as orders,
    pg_get_serial_sequence('rebate.order_lines', 'id') as lines, pg_get_serial_sequence('rebate.entries', 'id') as entries`);
  return r;
}

const STAGE_SQL = `
  select nextval($5::regclass) as order_id, nextval($6::regclass) as line_id, nextval($7::regclass) as entry_id,
         q.id as queue_id, p.id as product_id, p.price_fen, q.next_seq + s - 1 as seq,
         m.id as member_id,
         rebate.bps_of(p.price_fen, st.default_reward_bps) as entitlement_fen,
         st.default_reward_bps as reward_bps, st.display_name
    from rebate.queues q
    join rebate.products p on p.id = coalesce(q.product_id, $3::bigint)
    cross join rebate.settings st
    cross join generate_series(1, $4::int) s
    join unnest($2::uuid[]) with ordinality m(id, k)
      on m.k = 1 + (q.id + q.next_seq + s) % cardinality($2::uuid[])
   where q.id = any($1::bigint[]) and st.id = 1
   order by q.id, s`;

const INSERT_SQL = {
  orders: (t) => `
    insert into rebate.orders (id, order_no, member_id, channel, status, goods_fen, pay_fen, payment_ref, created_at, paid_at)
    select b.order_id, to_char(now() at time zone 'Asia/Shanghai', 'YYYYMMDD') || lpad(b.order_id::text, 10, '0'),
           b.member_id, 'mall', 'paid', b.price_fen, b.price_fen, 'preload-' || b.order_id, now(), now()
      from ${t} b order by b.order_id`,
  lines: (t) => `
    insert into rebate.order_lines (id, order_id, line_no, product_id, quantity, unit_price_fen, amount_fen, pay_fen,
                                    queue_id, seq, pay_below_seq, reward_bps, reward_rule_code, reward_rule_label,
                                    extraction_bps, entitlement_fen, extraction_fen, settled_at)
    select b.line_id, b.order_id, 1, b.product_id, 1, b.price_fen, b.price_fen, b.price_fen,
           b.queue_id, b.seq, b.seq, b.reward_bps, 'plugin_default', '默认比例', 0, b.entitlement_fen, 0, now()
      from ${t} b order by b.line_id`,
  entries: (t) => `
    insert into rebate.entries (id, queue_id, seq, member_id, order_id, line_id, base_fen, reward_bps,
                                rule_code, rule_label, entitlement_fen)
    select b.entry_id, b.queue_id, b.seq, b.member_id, b.order_id, b.line_id, b.price_fen, b.reward_bps,
           'plugin_default', '默认比例', b.entitlement_fen
      from ${t} b order by b.entry_id`,
  messages: (t) => `
    insert into rebate.messages (member_id, kind, title, body, entry_id, order_id, amount_fen)
    select b.member_id, 'entry_joined', b.display_name || '排队成功',
           '订单' || to_char(now() at time zone 'Asia/Shanghai', 'YYYYMMDD') || lpad(b.order_id::text, 10, '0')
             || '已加入排队，待返权益' || rebate.fen_text(b.entitlement_fen),
           b.entry_id, b.order_id, b.entitlement_fen
      from ${t} b order by b.entry_id`,
};

const QUEUE_TOTALS_SQL = (t) => `
  update rebate.queues q set
    next_seq = q.next_seq + x.n, joined_count = q.joined_count + x.n, entry_count = q.entry_count + x.n,
    total_entitlement_fen = q.total_entitlement_fen + x.ent
    from (select b.queue_id, count(*) as n, sum(b.entitlement_fen) as ent from ${t} b group by b.queue_id) x
   where q.id = x.queue_id`;

async function connect(url) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  return c;
}

/**
 * Adds `perQueue` waiting entries to each queue in `queueIds` (members round-robin).
 * A mall queue's lines are of `mallProductId`; a product queue's lines are of its product.
 * Returns the number of entries added.
 *
 * Fast path (the loaded tables have no triggers of their own): each batch is staged in an
 * unlogged table, the queues' totals move in one transaction, and the four tables are filled
 * by two connections at once with triggers off (session_replication_role = replica: every
 * CHECK still runs); the foreign keys are then verified set-based. Slow path: one transaction
 * per batch on one connection, triggers and foreign-key checks row by row.
 */
export async function preloadWaiting(url, { queueIds, perQueue, memberIds, mallProductId, batch = 250000 }) {
  const c = await connect(url);
  let added = 0;
  try {
    const seq = await sequences(c);
    const fast = await fastPathAllowed(c);
    const before = fast ? await maxIds(c) : null;
    // the two loaders run with triggers off; `c` (queues, staging) keeps them on
    const helpers = fast ? [await connect(url), await connect(url)] : [];
    for (const h of helpers) await h.query('set session_replication_role = replica');
    try {
      for (let done = 0; done < perQueue; done += batch) {
        const n = Math.min(batch, perQueue - done);
        const params = [queueIds, memberIds, mallProductId, n, seq.orders, seq.lines, seq.entries];
        const lockQueues = () => c.query(`select 1 from rebate.queues q where q.id = any($1::bigint[]) order by q.id for update`, [queueIds]);
        if (fast) {
          const stage = 'public.bench_preload_stage';
          await c.query('begin');
          await lockQueues();
          await c.query(`drop table if exists ${stage}`);
          await c.query(`create unlogged table ${stage} as ${STAGE_SQL}`, params);
          const { rowCount } = await c.query(QUEUE_TOTALS_SQL(stage));
          if (rowCount !== queueIds.length) throw new Error(`preload: ${rowCount} of ${queueIds.length} queues updated`);
          await c.query('commit');
          await Promise.all([
            (async () => { await helpers[0].query(INSERT_SQL.orders(stage)); await helpers[0].query(INSERT_SQL.lines(stage)); })(),
            (async () => { await helpers[1].query(INSERT_SQL.entries(stage)); await helpers[1].query(INSERT_SQL.messages(stage)); })(),
          ]);
          await c.query(`drop table ${stage}`);
        } else {
          await c.query('begin');
          await lockQueues();
          await c.query(`create temp table bench_pre on commit drop as ${STAGE_SQL}`, params);
          for (const k of ['orders', 'lines', 'entries', 'messages']) await c.query(INSERT_SQL[k]('bench_pre'));
          const { rowCount } = await c.query(QUEUE_TOTALS_SQL('bench_pre'));
          if (rowCount !== queueIds.length) throw new Error(`preload: ${rowCount} of ${queueIds.length} queues updated`);
          await c.query('commit');
        }
        added += n * queueIds.length;
      }
    } finally {
      for (const h of helpers) await h.end();
    }
    if (fast) await verifyForeignKeys(c, before);
  } catch (e) {
    await c.query('rollback').catch(() => {});
    throw e;
  } finally {
    await c.end();
  }
  return added;
}

/**
 * Pending orders of one product, as create_order leaves them (no deductions), for the
 * settle-step-only case: returns [{order_no, pay_fen}] in creation order.
 */
export async function createPendingOrders(url, { count, memberIds, productId }) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query('begin');
    await c.query(`
      create temp table bench_pending on commit drop as
      select nextval($4::regclass) as order_id, m.id as member_id, p.id as product_id, p.price_fen
        from generate_series(1, $1::int) s
        join rebate.products p on p.id = $3::bigint
        join unnest($2::uuid[]) with ordinality m(id, k) on m.k = 1 + s % cardinality($2::uuid[])
       order by s`, [count, memberIds, productId, (await sequences(c)).orders]);
    const { rows } = await c.query(`
      insert into rebate.orders (id, order_no, member_id, channel, goods_fen, pay_fen)
      select b.order_id, to_char(now() at time zone 'Asia/Shanghai', 'YYYYMMDD') || lpad(b.order_id::text, 10, '0'),
             b.member_id, 'mall', b.price_fen, b.price_fen
        from bench_pending b order by b.order_id
      returning order_no, pay_fen::int`);
    await c.query(`
      insert into rebate.order_lines (order_id, line_no, product_id, quantity, unit_price_fen, amount_fen, pay_fen)
      select b.order_id, 1, b.product_id, 1, b.price_fen, b.price_fen, b.price_fen from bench_pending b order by b.order_id`);
    await c.query('commit');
    return rows;
  } finally {
    await c.end();
  }
}
