// SPEC §9: exchange of a waiting entry's remaining entitlement into points or love value
// (preview exact, final, atomic with the queue, refused in every wrong state), points
// deduction and transfer between members, both sides in the ledger.
import { Pool } from 'pg';
import { claimsFor, createTestDb, expectDbError, TestDb } from '../helpers/db';
import {
  buy, callNum, createMembers, createOrder, createProduct, enableRebate, entries, expectHealthy, grantBalance, mallOrder,
  pay, refund, wallet,
} from '../helpers/engine';
import { exchange, lineTerms, memberCode, myEntries, previewExchange, setPlugin, transfer } from '../helpers/rules';

let db: TestDb;
beforeEach(async () => { db = await createTestDb(); });
afterEach(async () => { await expectHealthy(db); await db.close(); });

describe('exchange (兑换)', () => {
  test('the preview is exactly what the exchange gives; the entry leaves the queue; the next entry is paid instead', async () => {
    await enableRebate(db, { merchant_queue: true, extraction_bps: 1000, points_exchange_bps: 15000, love_exchange_bps: 3333 } as any);
    const p = await createProduct(db, { priceFen: 10001 });
    const [a, b, c] = await createMembers(db, 3);
    const oa = await buy(db, a, p);
    await buy(db, b, p);                                     // a receives 10.00
    const ea = (await lineTerms(db, oa.order_no)).entry_id;
    const pv = await previewExchange(db, a, ea, 'points');
    expect(pv).toEqual({ entry_id: ea, target: 'points', remaining_fen: 9001, ratio_bps: 15000, exchange_bps: 15000,
      amount: 13502, asset: 'points', frozen: false });     // 9001 × 1.5 = 13501.5 → 13502 (half-up)
    const pl = await previewExchange(db, a, ea, 'love');
    expect(pl).toMatchObject({ remaining_fen: 9001, ratio_bps: 3333, amount: 3000, asset: 'love', frozen: false });
    expect((await myEntries(db, a))[0]).toMatchObject({ can_exchange: true });

    const r = await exchange(db, a, ea, 'points');
    expect(r).toMatchObject({ ...pv, status: 'exchanged', entry_status: 'exchanged', balance_after: 13502 });
    expect((await wallet(db, a)).points).toBe(13502);
    const [row] = await myEntries(db, a);
    expect(row).toMatchObject({ status: 'exchanged', status_label: '已兑换', received_fen: 1000, closed_fen: 9001, remaining_fen: 0,
      can_exchange: false, can_draw: false, converted_asset: 'points', converted_amount: 13502 });
    const { rows: led } = await db.admin.query(`select asset, delta::int, reason, entry_id::int from rebate.ledger where member_id = $1 and asset = 'points'`, [a]);
    expect(led).toEqual([{ asset: 'points', delta: 13502, reason: 'entry_exchange', entry_id: ea }]);
    const { rows: msgs } = await db.admin.query(`select kind from rebate.messages where member_id = $1 and kind = 'entry_exchanged'`, [a]);
    expect(msgs).toHaveLength(1);

    // final: a second exchange or preview is refused; the next order pays b instead
    await expectDbError(exchange(db, a, ea, 'love'), 'entry_not_waiting');
    await expectDbError(previewExchange(db, a, ea, 'points'), 'entry_not_waiting');
    await buy(db, c, p);
    const es = await entries(db);
    expect(es.map((e) => [e.member_id, e.received_fen, e.status])).toEqual([
      [a, 1000, 'exchanged'], [b, 1000, 'waiting'], [c, 0, 'waiting'],
    ]);
  });

  test('love value is credited available or frozen per the setting', async () => {
    await enableRebate(db, { merchant_queue: true } as any);
    await setPlugin(db, { love_exchange_bps: 10000, love_exchange_frozen: true });
    const p = await createProduct(db, { priceFen: 5000 });
    const [a, b] = await createMembers(db, 2);
    const e1 = (await lineTerms(db, (await buy(db, a, p)).order_no)).entry_id;
    const e2 = (await lineTerms(db, (await buy(db, a, p)).order_no)).entry_id;
    expect(await exchange(db, a, e1, 'love')).toMatchObject({ asset: 'love_frozen', frozen: true, amount: 4500 });
    await setPlugin(db, { love_exchange_frozen: false });
    expect(await exchange(db, a, e2, 'love')).toMatchObject({ asset: 'love', frozen: false, amount: 5000 });
    const { rows } = await db.admin.query(`select love_fen::int, love_frozen_fen::int from rebate.wallets where member_id = $1`, [a]);
    expect(rows[0]).toEqual({ love_fen: 5000, love_frozen_fen: 4500 });
    await expectDbError(exchange(db, b, e1, 'love'), 'entry_not_found');
  });

  test('refusals: unknown target, another member, ratio 0, nothing to give, completed / voided entries', async () => {
    await enableRebate(db, { merchant_queue: true, extraction_bps: 5000 });
    const p = await createProduct(db, { priceFen: 10000 });
    const [a, b] = await createMembers(db, 2);
    const ea = (await lineTerms(db, (await buy(db, a, p)).order_no)).entry_id;
    await expectDbError(exchange(db, a, ea, 'cash' as any), 'invalid_exchange_target');
    await expectDbError(previewExchange(db, a, ea, null as any), 'invalid_exchange_target');
    await expectDbError(exchange(db, b, ea, 'points'), 'entry_not_found');
    await setPlugin(db, { points_exchange_bps: 0 });
    await expectDbError(exchange(db, a, ea, 'points'), 'exchange_off');
    await setPlugin(db, { points_exchange_bps: 1, love_exchange_bps: 0 });
    // 100.00 × 0.01% = 0.01 point … × 1 bps of 100.00 → 1; of 0.49 → 0
    expect(await previewExchange(db, a, ea, 'points')).toMatchObject({ amount: 1 });
    expect((await myEntries(db, a))[0].can_exchange).toBe(true);
    await buy(db, b, p); await buy(db, b, p);              // a completed (2 × 50.00)
    await expectDbError(exchange(db, a, ea, 'points'), 'entry_not_waiting');
    const small = await createProduct(db, { priceFen: 49 });
    const es = (await lineTerms(db, (await buy(db, b, small)).order_no)).entry_id;
    await expectDbError(exchange(db, b, es, 'points'), 'exchange_amount_zero');
    expect((await myEntries(db, b)).find((e) => e.entry_id === es)!.can_exchange).toBe(false);
    await setPlugin(db, { points_exchange_bps: 10000, love_exchange_bps: 10000 });
    expect((await myEntries(db, b)).find((e) => e.entry_id === es)!.can_exchange).toBe(true);
  });

  test('race: exchanges and distributions to the same entries at once never lose or double-count a fen', async () => {
    await enableRebate(db, { merchant_queue: true, extraction_bps: 3000 });
    const p = await createProduct(db, { priceFen: 10000 });
    const ms = await createMembers(db, 8);
    const ids: number[] = [];
    for (let i = 0; i < 16; i++) ids.push((await lineTerms(db, (await buy(db, ms[i % 8], p)).order_no)).entry_id);
    const pending = [];
    for (let i = 0; i < 24; i++) pending.push(await createOrder(db, ms[(i + 3) % 8], mallOrder([[p, 1]])));
    // several connections: payments (which distribute to the head) and exchanges of the head entries, interleaved
    const pool = new Pool({ connectionString: db.url, max: 8 });
    const asMember = async (sub: string, sql: string, params: unknown[]) => {
      const c = await pool.connect();
      try {
        await c.query('begin');
        await c.query(`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)`, [JSON.stringify(claimsFor('authenticated', sub))]);
        await c.query(sql, params);
        await c.query('commit');
        return 'ok';
      } catch (e: any) {
        await c.query('rollback');
        return e.message as string;
      } finally { c.release(); }
    };
    const payOne = async (o: { order_no: string; pay_fen: number }) => {
      const c = await pool.connect();
      try {
        await c.query('begin');
        await c.query(`select set_config('role', 'service_role', true), set_config('request.jwt.claims', '{"role":"service_role"}', true)`);
        await c.query(`select public.mark_order_paid($1, $2, $3)`, [o.order_no, `pay-${o.order_no}`, o.pay_fen]);
        await c.query('commit');
      } finally { c.release(); }
    };
    const jobs: Array<Promise<unknown>> = [];
    for (let i = 0; i < 24; i++) {
      jobs.push(payOne(pending[i]));
      if (i < 16) jobs.push(asMember(ms[i % 8], `select to_jsonb(public.exchange_entry($1, 'points'))`, [ids[i]]));
    }
    const results = await Promise.all(jobs);
    await pool.end();
    const refusals = results.filter((r) => typeof r === 'string' && r !== 'ok');
    expect(refusals.every((r) => r === 'entry_not_waiting')).toBe(true);   // completed before the exchange got the lock

    const es = (await entries(db)).filter((e) => ids.includes(e.id));
    const { rows: xs } = await db.admin.query(`select entry_id::int, remaining_fen::int, amount::int from rebate.exchanges`);
    for (const e of es) {
      const x = xs.find((r) => r.entry_id === e.id);
      expect(e.received_fen + e.closed_fen).toBe(e.entitlement_fen);
      if (e.status === 'exchanged') expect(x).toEqual({ entry_id: e.id, remaining_fen: e.closed_fen, amount: e.closed_fen });
      else expect([e.status, x]).toEqual(['completed', undefined]);
    }
    // every fen extracted went to an entry or was retained; points = what exchanges gave
    const { rows: [tot] } = await db.admin.query(`
      select (select sum(amount_fen) from rebate.distributions)::int as dist,
             (select coalesce(sum(amount_fen), 0) from rebate.retentions)::int as ret,
             (select sum(extraction_fen) from rebate.order_lines where settled_at is not null)::int as ext,
             (select sum(points) from rebate.wallets)::int as points, (select sum(amount) from rebate.exchanges)::int as exchanged`);
    expect(tot.dist + tot.ret).toBe(tot.ext);
    expect(tot.points).toBe(tot.exchanged);
  });
});

describe('points (积分)', () => {
  test('transfer by member code: both wallets and both ledger rows; the recipient is told; balances never negative', async () => {
    await enableRebate(db);
    const [a, b] = await createMembers(db, 2);
    await db.admin.query(`update rebate.members set nickname = '王小明' where id = $1`, [b]);
    await grantBalance(db, a, 'points', 500);
    const code = await memberCode(db, b);
    // the confirmation names the recipient before anything moves; it refuses what the transfer refuses about them
    const who = async (c: string) => (await callNum(db, 'authenticated', a, `select to_jsonb(public.transfer_recipient($1)) as r`, [c]))[0].r;
    expect(await who(` ${code.toLowerCase()} `)).toEqual({ member_code: code, nickname_masked: '王**' });
    await expectDbError(who('NOPE'), 'invalid_member_code');
    await expectDbError(who('ZZZZZZZZ'), 'member_not_found');
    await expectDbError(who(await memberCode(db, a)), 'transfer_to_self');
    expect((await wallet(db, b)).points).toBe(0);
    const r = await transfer(db, a, code.toLowerCase(), 120);
    expect(r).toMatchObject({ points: 120, points_balance: 380, balance_after: 380, to_member_code: code, to_nickname_masked: '王**' });
    expect((await wallet(db, a)).points).toBe(380);
    expect((await wallet(db, b)).points).toBe(120);
    const { rows } = await db.admin.query(`select member_id, delta::int, balance_after::int, reason from rebate.ledger where reason like 'points_transfer%' order by id`);
    expect(rows).toEqual([
      { member_id: a, delta: -120, balance_after: 380, reason: 'points_transfer_out' },
      { member_id: b, delta: 120, balance_after: 120, reason: 'points_transfer_in' },
    ]);
    const { rows: msgs } = await db.admin.query(`select body from rebate.messages where member_id = $1 and kind = 'points_received'`, [b]);
    expect(msgs[0].body).toContain('120积分');
    const ledger = await callNum(db, 'authenticated', b, `select reason, reason_label from public.my_ledger('points')`);
    expect(ledger).toEqual([{ reason: 'points_transfer_in', reason_label: '积分转赠（转入）' }]);

    await expectDbError(transfer(db, a, code, 381), 'insufficient_points');
    await expectDbError(transfer(db, a, code, 0), 'invalid_points');
    await expectDbError(transfer(db, a, code, -5), 'invalid_points');
    await expectDbError(transfer(db, a, 'NOPE', 1), 'invalid_member_code');
    await expectDbError(transfer(db, a, 'ZZZZZZZZ', 1), 'member_not_found');
    await expectDbError(transfer(db, a, await memberCode(db, a), 1), 'transfer_to_self');
    expect((await wallet(db, a)).points).toBe(380);
  });

  test('concurrent transfers between two members in both directions: no deadlock, balances exact', async () => {
    await enableRebate(db);
    const [a, b] = await createMembers(db, 2);
    await grantBalance(db, a, 'points', 1000);
    await grantBalance(db, b, 'points', 1000);
    const ca = await memberCode(db, a);
    const cb = await memberCode(db, b);
    const jobs = [];
    for (let i = 0; i < 20; i++) {
      jobs.push(transfer(db, a, cb, 7));
      jobs.push(transfer(db, b, ca, 3));
    }
    await Promise.all(jobs);
    expect((await wallet(db, a)).points).toBe(1000 - 140 + 60);
    expect((await wallet(db, b)).points).toBe(1000 + 140 - 60);
  });

  test('points pay part of an order (deduction), and points from an exchange can be spent', async () => {
    await enableRebate(db, { merchant_queue: true });
    const p = await createProduct(db, { priceFen: 10000 });
    const [a] = await createMembers(db, 1);
    const ea = (await lineTerms(db, (await buy(db, a, p)).order_no)).entry_id;
    await exchange(db, a, ea, 'points');
    const o = await createOrder(db, a, mallOrder([[p, 1]], { points_fen: 6000 }));
    expect(o).toMatchObject({ points_deduct_fen: 6000, pay_fen: 4000 });
    await pay(db, o);
    expect((await wallet(db, a)).points).toBe(4000);
  });
});

describe('refund of a line whose entry was exchanged or converted', () => {
  test('the points / love value it gave are taken back, never below zero; recorded and in the ledger', async () => {
    await enableRebate(db, { merchant_queue: true });
    await setPlugin(db, { love_exchange_bps: 10000 });
    const p = await createProduct(db, { priceFen: 10000 });
    const [a, b] = await createMembers(db, 2);
    const oa = await buy(db, a, p);
    const ob = await buy(db, b, p);                          // pays a 10.00
    await exchange(db, a, (await lineTerms(db, oa.order_no)).entry_id, 'points');   // 9000 points
    await exchange(db, b, (await lineTerms(db, ob.order_no)).entry_id, 'love');     // 10000 love
    await transfer(db, a, await memberCode(db, b), 8000);    // a keeps 1000 points
    await refund(db, oa.order_no, 'rf-a');
    await refund(db, ob.order_no, 'rf-b');
    expect(await wallet(db, a)).toMatchObject({ points: 0 });
    expect(await wallet(db, b)).toMatchObject({ points: 8000, love_fen: 0 });
    const { rows } = await db.admin.query(`select member_id, asset, due::int, taken::int from rebate.refund_takebacks order by refund_id`);
    expect(rows).toEqual([{ member_id: a, asset: 'points', due: 9000, taken: 1000 }, { member_id: b, asset: 'love', due: 10000, taken: 10000 }]);
    const { rows: led } = await db.admin.query(`select member_id, asset, delta::int, reason from rebate.ledger where reason like 'refund_%' order by id`);
    expect(led).toEqual([{ member_id: a, asset: 'points', delta: -1000, reason: 'refund_points_back' },
      { member_id: b, asset: 'love', delta: -10000, reason: 'refund_love_back' }]);
  });
});
