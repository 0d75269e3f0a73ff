-- The RPCs of the queue rebate engine.
--   members (authenticated): create_order, cancel_my_order, my_orders, my_order, my_entries,
--                            queue_process, entry_sources
--   payment and fulfilment (service_role): mark_order_paid, complete_order, refund_order, cancel_order
-- Each runs in one transaction. Lock order everywhere: the order row, then its queues
-- (id order), then wallets (member order).

-- ============================================================ functions: internal
-- An order with its lines, as the member sees it.
create or replace function rebate.order_json(p_order_id bigint) returns jsonb
language plpgsql stable set search_path = ''
as $$
begin
  return (select jsonb_build_object(
    'order_id', o.id, 'order_no', o.order_no, 'channel', o.channel, 'status', o.status,
    'status_label', rebate.order_status_label(o.status), 'store_id', o.store_id, 'store_name', st.name,
    'goods_fen', o.goods_fen, 'points_deduct_fen', o.points_deduct_fen, 'love_deduct_fen', o.love_deduct_fen,
    'pay_fen', o.pay_fen, 'refunded_fen', o.refunded_fen, 'created_at', o.created_at, 'paid_at', o.paid_at,
    'completed_at', o.completed_at, 'cancelled_at', o.cancelled_at, 'refunded_at', o.refunded_at,
    'lines', (
      select jsonb_agg(jsonb_build_object(
               'line_no', l.line_no, 'product_id', l.product_id, 'name', coalesce(p.name, '收银台买单'),
               'quantity', l.quantity, 'unit_price_fen', l.unit_price_fen, 'amount_fen', l.amount_fen,
               'points_deduct_fen', l.points_deduct_fen, 'love_deduct_fen', l.love_deduct_fen, 'pay_fen', l.pay_fen,
               'joined', l.queue_id is not null, 'queue_id', l.queue_id, 'no_entry_reason', l.no_entry_reason,
               'entry_id', e.id, 'entry_status', e.status, 'entitlement_fen', l.entitlement_fen,
               'reward_bps', l.reward_bps, 'reward_rule_label', l.reward_rule_label,
               'settled', l.settled_at is not null, 'refunded', l.refunded_at is not null, 'refund_fen', l.refund_fen)
             order by l.line_no)
        from rebate.order_lines l
        left join rebate.products p on p.id = l.product_id
        left join rebate.entries e on e.line_id = l.id
       where l.order_id = o.id))
  from rebate.orders o
  left join rebate.stores st on st.id = o.store_id
  where o.id = p_order_id);
end;
$$;

-- Cancels a pending order (the caller holds its row lock) and returns its deductions.
create or replace function rebate.cancel_locked_order(p_order rebate.orders) returns jsonb
language plpgsql volatile set search_path = ''
as $$
begin
  if p_order.status = 'cancelled' then
    return rebate.order_json(p_order.id) || jsonb_build_object('replayed', true);
  end if;
  if p_order.status <> 'pending' then
    raise exception using errcode = 'P0001', message = 'order_not_cancellable', hint = '订单已支付，不能取消';
  end if;
  update rebate.orders o set status = 'cancelled', cancelled_at = now() where o.id = p_order.id;
  perform rebate.wallet_apply(p_order.member_id, 'points', p_order.points_deduct_fen, 'order_cancel_return', p_order.id);
  perform rebate.wallet_apply(p_order.member_id, 'love', p_order.love_deduct_fen, 'order_cancel_return', p_order.id);
  return rebate.order_json(p_order.id) || jsonb_build_object('replayed', false);
end;
$$;

-- Reads and validates an order request (the JSON below) without writing anything: the one
-- place for the request's rules, shared by create_order and preview_order. Deductions are
-- split over the lines in proportion to their amounts (points first, then love value).
create or replace function rebate.parse_order_request(p_order jsonb,
  out channel text, out store_id bigint, out cashier_id bigint,
  out products bigint[], out qtys integer[], out prices bigint[], out amounts bigint[],
  out goods_fen bigint, out points_fen bigint, out love_fen bigint,
  out points_alloc bigint[], out love_alloc bigint[])
language plpgsql stable set search_path = ''
as $$
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
  i integer;
begin
  if p_order is null or jsonb_typeof(p_order) <> 'object' then
    raise exception using errcode = 'P0001', message = 'invalid_order', hint = '订单参数无效';
  end if;
  if exists (select 1 from jsonb_object_keys(p_order) k
              where k not in ('channel', 'lines', 'store_id', 'amount_fen', 'points_fen', 'love_fen')) then
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
$$;

-- ============================================================ functions: members
-- Creates a pending order. p_order is one JSON object:
--   {"channel": "mall",    "lines": [{"product_id": 1, "quantity": 2}, …], "points_fen": 0, "love_fen": 0}
--   {"channel": "store",   "lines": [...], "store_id": 3 (optional, must match the products)}
--   {"channel": "cashier", "store_id": 3, "amount_fen": 12800}
-- points_fen / love_fen: deduction (1 point = 1 fen); taken from the wallet now, returned on
-- cancel or refund. The cash part must stay at least 1 fen.
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
  insert into rebate.order_lines (order_id, line_no, product_id, quantity, unit_price_fen, amount_fen,
                                  points_deduct_fen, love_deduct_fen, pay_fen)
  select v_order_id, t.i, r.products[t.i], r.qtys[t.i], r.prices[t.i], r.amounts[t.i],
         r.points_alloc[t.i], r.love_alloc[t.i], r.amounts[t.i] - r.points_alloc[t.i] - r.love_alloc[t.i]
    from generate_series(1, cardinality(r.amounts)) t(i);

  -- raises insufficient_points / insufficient_love, which rolls everything back
  perform rebate.wallet_apply(v_uid, 'points', -r.points_fen, 'order_deduction', v_order_id);
  perform rebate.wallet_apply(v_uid, 'love', -r.love_fen, 'order_deduction', v_order_id);

  return rebate.order_json(v_order_id);
end;
$$;

-- The member cancels one of their own pending orders.
create or replace function public.cancel_my_order(p_order_id bigint) returns jsonb
language plpgsql volatile security definer set search_path = ''
as $$
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
$$;

-- My orders, newest first (page with p_before_id).
create or replace function public.my_orders(p_status text default null, p_before_id bigint default null,
                                            p_limit integer default 20)
returns table (order_id bigint, order_no text, channel text, status text, status_label text, store_name text,
               goods_fen bigint, points_deduct_fen bigint, love_deduct_fen bigint, pay_fen bigint,
               refunded_fen bigint, item_count integer, first_item text, entitlement_fen bigint,
               created_at timestamptz, paid_at timestamptz, completed_at timestamptz)
language plpgsql stable security definer set search_path = ''
as $$
declare
  v_uid uuid := rebate.require_member();
begin
  if p_status is not null and p_status not in ('pending', 'paid', 'completed', 'refunded', 'cancelled') then
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
       and (p_status is null or o.status = p_status)
       and (p_before_id is null or o.id < p_before_id)
     order by o.id desc
     limit p_limit;
end;
$$;

-- One of my orders with its lines; another member's order is not found.
create or replace function public.my_order(p_order_id bigint) returns jsonb
language plpgsql stable security definer set search_path = ''
as $$
declare
  v_uid uuid := rebate.require_member();
begin
  if not exists (select 1 from rebate.orders o where o.id = p_order_id and o.member_id = v_uid) then
    raise exception using errcode = 'P0001', message = 'order_not_found', hint = '订单不存在';
  end if;
  return rebate.order_json(p_order_id);
end;
$$;

-- My queue entries with their progress, newest first.
create or replace function public.my_entries(p_status text default null, p_before_id bigint default null,
                                             p_limit integer default 20)
returns table (entry_id bigint, queue_id bigint, queue_name text, seq bigint, status text, status_label text,
               entitlement_fen bigint, received_fen bigint, remaining_fen bigint, closed_fen bigint,
               progress_bps integer, reward_bps integer, rule_code text, rule_label text, order_id bigint,
               order_no text, item_name text, order_completed boolean, created_at timestamptz, ended_at timestamptz)
language plpgsql stable security definer set search_path = ''
as $$
declare
  v_uid uuid := rebate.require_member();
begin
  if p_status is not null and p_status not in ('waiting', 'completed', 'exchanged', 'cleared', 'voided') then
    raise exception using errcode = 'P0001', message = 'invalid_status', hint = '状态无效';
  end if;
  if p_limit is null or p_limit not between 1 and 100 then
    raise exception using errcode = 'P0001', message = 'invalid_limit', hint = '每页数量应在 1 到 100 之间';
  end if;
  return query
    select e.id, e.queue_id, q.name, e.seq, e.status, rebate.entry_status_label(e.status),
           e.entitlement_fen, e.received_fen,
           case when e.status = 'waiting' then e.entitlement_fen - e.received_fen else 0::bigint end,
           e.closed_fen, (e.received_fen * 10000 / e.entitlement_fen)::integer, e.reward_bps, e.rule_code,
           e.rule_label, e.order_id, o.order_no, coalesce(p.name, st.name || ' 买单'), e.order_completed,
           e.created_at, e.ended_at
      from rebate.entries e
      join rebate.queues q on q.id = e.queue_id
      join rebate.orders o on o.id = e.order_id
      join rebate.order_lines l on l.id = e.line_id
      left join rebate.products p on p.id = l.product_id
      left join rebate.stores st on st.id = o.store_id
     where e.member_id = v_uid
       and (p_status is null or e.status = p_status)
       and (p_before_id is null or e.id < p_before_id)
     order by e.id desc
     limit p_limit;
end;
$$;

-- The queue process view of one of my entries (§14): position, entries and amount ahead,
-- and the waiting entries around mine with member info masked, as the display switches allow.
create or replace function public.queue_process(p_entry_id bigint, p_around integer default 5) returns jsonb
language plpgsql stable security definer set search_path = ''
as $$
declare
  v_uid uuid := rebate.require_member();
  e rebate.entries;
  s rebate.settings;
  v_queue_name text;
  v_order_no text;
  v_ahead bigint;
  v_ahead_fen bigint;
  v_el_ahead bigint;
  v_el_ahead_fen bigint;
  v_around jsonb := '[]';
begin
  if p_around is null or p_around not between 0 and 20 then
    raise exception using errcode = 'P0001', message = 'invalid_limit', hint = '显示数量应在 0 到 20 之间';
  end if;
  select * into e from rebate.entries x where x.id = p_entry_id and x.member_id = v_uid;
  if not found then
    raise exception using errcode = 'P0001', message = 'entry_not_found', hint = '排队名额不存在';
  end if;
  select * into s from rebate.settings where id = 1;
  select q.name into v_queue_name from rebate.queues q where q.id = e.queue_id;
  select o.order_no into v_order_no from rebate.orders o where o.id = e.order_id;

  if e.status = 'waiting' then
    select count(*), coalesce(sum(x.entitlement_fen - x.received_fen), 0),
           count(*) filter (where x.order_completed),
           coalesce(sum(x.entitlement_fen - x.received_fen) filter (where x.order_completed), 0)
      into v_ahead, v_ahead_fen, v_el_ahead, v_el_ahead_fen
      from rebate.entries x
     where x.queue_id = e.queue_id and x.status = 'waiting' and x.seq < e.seq;
  end if;

  if s.show_process and p_around > 0 then
    select coalesce(jsonb_agg(jsonb_build_object(
             'seq', w.seq,
             'is_mine', w.id = e.id,
             'status', case when w.id = e.id or s.show_waiting then w.status end,
             'status_label', case when w.id = e.id or s.show_waiting then rebate.entry_status_label(w.status) end,
             'nickname', case when w.member_id = v_uid then m.nickname
                              when s.show_member_info then rebate.mask_name(m.nickname) end,
             'avatar_url', case when w.member_id = v_uid or s.show_member_info then m.avatar_url end,
             'entitlement_fen', case when w.id = e.id or s.show_waiting then w.entitlement_fen end,
             'received_fen', case when w.id = e.id or s.show_received then w.received_fen end,
             'remaining_fen', case when w.id = e.id or s.show_waiting_amount
                                   then case when w.status = 'waiting' then w.entitlement_fen - w.received_fen else 0 end end)
             order by w.seq), '[]')
      into v_around
      from (
        (select x.* from rebate.entries x
          where x.queue_id = e.queue_id and x.status = 'waiting' and x.seq < e.seq
          order by x.seq desc limit p_around)
        union all
        select e.*
        union all
        (select x.* from rebate.entries x
          where x.queue_id = e.queue_id and x.status = 'waiting' and x.seq > e.seq
          order by x.seq limit p_around)
      ) w
      join rebate.members m on m.id = w.member_id;
  end if;

  return jsonb_build_object(
    'entry', jsonb_build_object(
      'entry_id', e.id, 'seq', e.seq, 'status', e.status, 'status_label', rebate.entry_status_label(e.status),
      'entitlement_fen', e.entitlement_fen, 'received_fen', e.received_fen,
      'remaining_fen', case when e.status = 'waiting' then e.entitlement_fen - e.received_fen else 0 end,
      'closed_fen', e.closed_fen, 'reward_bps', e.reward_bps, 'rule_label', e.rule_label,
      'order_no', v_order_no, 'order_completed', e.order_completed,
      'created_at', e.created_at, 'ended_at', e.ended_at),
    'queue_id', case when s.show_process then e.queue_id end,
    'queue_name', case when s.show_process then v_queue_name end,
    'reward_rule', s.reward_rule,
    'position', case when e.status = 'waiting' then v_ahead + 1 end,
    'ahead_count', v_ahead,
    'ahead_amount_fen', case when s.show_waiting_amount then v_ahead_fen end,
    'eligible_ahead_count', case when s.reward_rule = 'completed_queue_order' then v_el_ahead end,
    'eligible_ahead_amount_fen', case when s.reward_rule = 'completed_queue_order' and s.show_waiting_amount
                                      then v_el_ahead_fen end,
    'display', jsonb_build_object('show_process', s.show_process, 'show_received', s.show_received,
                                  'show_waiting', s.show_waiting, 'show_member_info', s.show_member_info,
                                  'show_waiting_amount', s.show_waiting_amount),
    'around', v_around);
end;
$$;

-- "Who paid me": the distributions one of my entries received, with the source order masked.
create or replace function public.entry_sources(p_entry_id bigint, p_before_id bigint default null,
                                                p_limit integer default 20)
returns table (distribution_id bigint, amount_fen bigint, created_at timestamptz, source_order_no text,
               source_item text, payer_nickname text)
language plpgsql stable security definer set search_path = ''
as $$
declare
  v_uid uuid := rebate.require_member();
  v_show boolean;
begin
  if p_limit is null or p_limit not between 1 and 100 then
    raise exception using errcode = 'P0001', message = 'invalid_limit', hint = '每页数量应在 1 到 100 之间';
  end if;
  if not exists (select 1 from rebate.entries x where x.id = p_entry_id and x.member_id = v_uid) then
    raise exception using errcode = 'P0001', message = 'entry_not_found', hint = '排队名额不存在';
  end if;
  select s.show_member_info into v_show from rebate.settings s where s.id = 1;
  return query
    select d.id, d.amount_fen, d.created_at, rebate.mask_order_no(o.order_no),
           coalesce(p.name, st.name || ' 买单'),
           case when o.member_id = v_uid then m.nickname when v_show then rebate.mask_name(m.nickname) end
      from rebate.distributions d
      join rebate.order_lines l on l.id = d.source_line_id
      join rebate.orders o on o.id = l.order_id
      join rebate.members m on m.id = o.member_id
      left join rebate.products p on p.id = l.product_id
      left join rebate.stores st on st.id = o.store_id
     where d.entry_id = p_entry_id
       and (p_before_id is null or d.id < p_before_id)
     order by d.id desc
     limit p_limit;
end;
$$;

-- ============================================================ functions: payment and fulfilment (service_role)
-- Payment notification: pending → paid; joins the queues and, if the settlement event is
-- payment, distributes. Idempotent on p_payment_ref: a repeat returns the first result.
create or replace function public.mark_order_paid(p_order_no text, p_payment_ref text, p_paid_fen bigint) returns jsonb
language plpgsql volatile security definer set search_path = ''
as $$
declare
  o rebate.orders;
  s rebate.settings;
begin
  if p_payment_ref is null or p_payment_ref !~ '^[A-Za-z0-9_.:|-]{1,64}$' then
    raise exception using errcode = 'P0001', message = 'invalid_payment_ref', hint = '支付单号无效';
  end if;
  select * into o from rebate.orders x where x.order_no = p_order_no for update;
  if not found then
    raise exception using errcode = 'P0001', message = 'order_not_found', hint = '订单不存在';
  end if;
  if o.payment_ref is not null then
    if o.payment_ref = p_payment_ref then
      return jsonb_build_object('order_id', o.id, 'order_no', o.order_no, 'status', 'paid',
                                'payment_ref', o.payment_ref, 'paid_fen', o.pay_fen, 'paid_at', o.paid_at,
                                'replayed', true);
    end if;
    raise exception using errcode = 'P0001', message = 'order_already_paid', hint = '订单已支付';
  end if;
  if o.status <> 'pending' then
    raise exception using errcode = 'P0001', message = 'order_not_pending', hint = '订单已关闭，不能支付';
  end if;
  if p_paid_fen is distinct from o.pay_fen then
    raise exception using errcode = 'P0001', message = 'paid_amount_mismatch', hint = '支付金额与订单不符';
  end if;
  if exists (select 1 from rebate.orders x where x.payment_ref = p_payment_ref) then
    raise exception using errcode = 'P0001', message = 'payment_ref_conflict', hint = '支付单号已被其他订单使用';
  end if;
  select * into s from rebate.settings x where x.id = 1;
  update rebate.orders x set status = 'paid', payment_ref = p_payment_ref, paid_at = now()
   where x.id = o.id
   returning * into o;
  perform rebate.settle_order(o, s, 'paid');
  return jsonb_build_object('order_id', o.id, 'order_no', o.order_no, 'status', 'paid',
                            'payment_ref', o.payment_ref, 'paid_fen', o.pay_fen, 'paid_at', o.paid_at,
                            'replayed', false);
end;
$$;

-- Fulfilment: paid → completed. Its entries become eligible under the "completed + queue
-- order" rule; lines not yet settled (settlement event = completion) are settled now.
-- Completing a completed order changes nothing.
create or replace function public.complete_order(p_order_no text) returns jsonb
language plpgsql volatile security definer set search_path = ''
as $$
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
$$;

-- Refund notification (SPEC §10) for the given line numbers, or all lines not yet refunded.
-- Each refunded line's waiting entry is voided (remaining forfeited); the rebate it already
-- received is kept back from the cash refunded; extraction it already distributed stays with
-- its recipients (recorded as cost); a line not yet settled never extracts. Deducted points
-- and love value go back to the wallet. Idempotent on p_refund_ref.
create or replace function public.refund_order(p_order_no text, p_refund_ref text, p_line_nos integer[] default null)
returns jsonb
language plpgsql volatile security definer set search_path = ''
as $$
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

  for l in select * from rebate.order_lines x where x.id = any (v_lines) order by x.line_no loop
    v_received := 0;
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
    v_claw := least(l.pay_fen, v_received);
    update rebate.order_lines x set
      refund_id = r.id, refunded_at = now(), refund_fen = l.pay_fen - v_claw, clawback_fen = v_claw,
      shortfall_fen = v_received - v_claw, cost_fen = case when l.settled_at is not null then l.distributed_fen else 0 end
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

  perform rebate.wallet_apply(o.member_id, 'points', v_points, 'order_refund_return', o.id, null, null, r.id);
  perform rebate.wallet_apply(o.member_id, 'love', v_love, 'order_refund_return', o.id, null, null, r.id);

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
  return to_jsonb(r) - 'id' - 'order_id' || jsonb_build_object('refund_id', r.id, 'order_no', o.order_no,
                                                               'order_status', o.status, 'replayed', false);
end;
$$;

-- Closes a pending order (payment timeout, or the payment side cancelled it).
create or replace function public.cancel_order(p_order_no text) returns jsonb
language plpgsql volatile security definer set search_path = ''
as $$
declare
  o rebate.orders;
begin
  select * into o from rebate.orders x where x.order_no = p_order_no for update;
  if not found then
    raise exception using errcode = 'P0001', message = 'order_not_found', hint = '订单不存在';
  end if;
  return rebate.cancel_locked_order(o);
end;
$$;

-- ============================================================ grants
revoke all on function rebate.order_json(bigint), rebate.parse_order_request(jsonb),
  rebate.cancel_locked_order(rebate.orders)
  from public, anon, authenticated;

revoke all on function public.create_order(jsonb), public.cancel_my_order(bigint),
  public.my_orders(text, bigint, integer), public.my_order(bigint), public.my_entries(text, bigint, integer),
  public.queue_process(bigint, integer), public.entry_sources(bigint, bigint, integer),
  public.mark_order_paid(text, text, bigint), public.complete_order(text),
  public.refund_order(text, text, integer[]), public.cancel_order(text)
  from public, anon, authenticated, service_role;

grant execute on function public.create_order(jsonb), public.cancel_my_order(bigint),
  public.my_orders(text, bigint, integer), public.my_order(bigint), public.my_entries(text, bigint, integer),
  public.queue_process(bigint, integer), public.entry_sources(bigint, bigint, integer)
  to authenticated;

grant execute on function public.mark_order_paid(text, text, bigint), public.complete_order(text),
  public.refund_order(text, text, integer[]), public.cancel_order(text)
  to service_role;
