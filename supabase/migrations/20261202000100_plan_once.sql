-- Statements that PostgreSQL planned again on every call (pg_stat_statements with
-- track_planning, `BENCH_PROFILE=1 npm run bench`): PL/pgSQL keeps a custom plan when the
-- generic one is estimated dearer, and then pays the planner each time; an SQL-language
-- function called in FROM plans its body on every call. Same behaviour, same errors; each statement below now keeps one plan.

-- The settler's advisory key (see …2400_create_settle_inbox.sql), in PL/pgSQL so that it is
-- not planned again for every payment (no SET clause: it names no object, and a SET costs a
-- configuration change on every call).
create or replace function rebate.settler_key(p_queue_id bigint, out k1 integer, out k2 integer)
language plpgsql immutable
as $$
begin
  k1 := 20261125;
  k2 := (p_queue_id % 2147483647)::integer;
end;
$$;

-- Step 2 of 2, and the sweep (…2400_create_settle_inbox.sql): unchanged but for the count.
create or replace function public.settle_pending(p_queue_id bigint default null, p_max integer default 50) returns jsonb
language plpgsql volatile security definer set search_path = ''
as $$
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
$$;

-- Creates a pending order (…0600_create_order_api.sql): unchanged but for the line insert.
create or replace function public.create_order(p_order jsonb) returns jsonb
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_uid uuid := rebate.require_member();
  r record;
  v_order_id bigint;
begin
  r := rebate.parse_order_request(p_order);

  v_order_id := nextval(pg_get_serial_sequence('rebate.orders', 'id'));
  insert into rebate.orders (id, order_no, member_id, channel, store_id, cashier_id, goods_fen,
                             points_deduct_fen, love_deduct_fen, pay_fen)
  values (v_order_id, to_char(now() at time zone 'Asia/Shanghai', 'YYYYMMDD') || lpad(v_order_id::text, 10, '0'),
          v_uid, r.channel, r.store_id, r.cashier_id, r.goods_fen,
          r.points_fen, r.love_fen, r.goods_fen - r.points_fen - r.love_fen);
  -- one INSERT … VALUES per line: it keeps one plan (an INSERT … SELECT over
  -- generate_series(1, n) was planned again for every order)
  for i in 1 .. cardinality(r.amounts) loop
    insert into rebate.order_lines (order_id, line_no, product_id, quantity, unit_price_fen, amount_fen,
                                    points_deduct_fen, love_deduct_fen, pay_fen)
    values (v_order_id, i, r.products[i], r.qtys[i], r.prices[i], r.amounts[i],
            r.points_alloc[i], r.love_alloc[i], r.amounts[i] - r.points_alloc[i] - r.love_alloc[i]);
  end loop;

  -- raises insufficient_points / insufficient_love, which rolls everything back
  perform rebate.wallet_apply(v_uid, 'points', -r.points_fen, 'order_deduction', v_order_id);
  perform rebate.wallet_apply(v_uid, 'love', -r.love_fen, 'order_deduction', v_order_id);

  return rebate.order_json(v_order_id);
end;
$$;
