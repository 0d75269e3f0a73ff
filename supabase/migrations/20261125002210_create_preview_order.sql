-- preview_order(p_order jsonb): what create_order (and paying now) would give, for the ratio
-- display of product detail and the cashier page (docs/client.md). No writes.

-- The read-only half of rebate.line_earns_entitlement (same checks, same order): why the line
-- would earn no entry if paid now, or null. Takes no lock and counts nothing.
create or replace function rebate.line_earns_preview(
  p_line rebate.order_lines, p_order rebate.orders, p_settings rebate.settings)
returns text
language plpgsql stable set search_path = ''
as $$
declare
  v_now constant timestamptz := now();
  v_day date;
  a_id bigint;
  a_windows jsonb;
  a_daily integer;
  a_total integer;
  b_windows jsonb;
  b_daily integer;
  b_total integer;
  v_kind text := case when p_order.channel = 'cashier' then 'cashier' else 'product' end;
begin
  if not p_settings.deduction_participates
     and (p_order.points_deduct_fen > 0 or p_order.love_deduct_fen > 0) then
    return 'deduction_excluded';
  end if;
  if p_order.channel = 'cashier' then
    select c.id, c.reward_windows, c.daily_limit, c.total_limit into a_id, a_windows, a_daily, a_total
      from rebate.cashiers c where c.id = p_order.cashier_id;
  else
    select p.id, p.reward_windows, p.daily_limit, p.total_limit into a_id, a_windows, a_daily, a_total
      from rebate.products p where p.id = p_line.product_id;
  end if;
  if a_windows <> '[]' and not rebate.in_reward_window(a_windows, v_now) then
    return 'outside_reward_window';
  end if;
  if p_order.channel = 'store' then
    select st.reward_windows, st.daily_limit, st.total_limit into b_windows, b_daily, b_total
      from rebate.stores st where st.id = p_order.store_id;
    if b_windows <> '[]' and not rebate.in_reward_window(b_windows, v_now) then
      return 'outside_reward_window';
    end if;
  end if;
  if a_daily is null and a_total is null and b_daily is null and b_total is null then
    return null;
  end if;
  if rebate.bps_of(p_line.pay_fen, (select x.ratio_bps from rebate.resolve_reward_ratio(p_line, p_order, p_settings) x)) = 0 then
    return null;
  end if;
  v_day := rebate.shanghai_day(v_now);
  if ((a_daily is not null or a_total is not null)
      and not rebate.limit_allows(p_order.member_id, v_kind, a_id, a_daily, a_total, v_day))
     or ((b_daily is not null or b_total is not null)
         and not rebate.limit_allows(p_order.member_id, 'store', p_order.store_id, b_daily, b_total, v_day)) then
    return 'limit_reached';
  end if;
  return null;
end;
$$;

-- What create_order would produce for this body, without creating anything (SPEC §4, the
-- ratio display): the same validation and refusals as create_order (copied from it: keep them in
-- step; test/db/preview-order.test.ts compares the two), the deductions split the same way, then
-- per line what the payment would decide now: the queue (rebate.queue_for_line), whether it earns
-- (deductions, reward windows, limits: the read-only half of rebate.line_earns_entitlement), the
-- ratio and its rule (rebate.resolve_reward_ratio) and the entitlement. Terms are fixed at
-- payment, so a preview can differ from the paid order when settings, level, spend or the time
-- window change in between.
-- → {channel, store_id, goods_fen, points_deduct_fen, love_deduct_fen, pay_fen,
--    lines: [{line_no, product_id, quantity, amount_fen, pay_fen, earns, no_entry_reason,
--             reward_bps, reward_rule_code, reward_rule_label, entitlement_fen, lottery}]}
create or replace function public.preview_order(p_order jsonb) returns jsonb
language plpgsql stable security definer set search_path = ''
as $$
declare
  v_uid uuid := rebate.require_member();
  r record;
  v_channel text;
  v_store_id bigint;
  v_cashier_id bigint;
  v_products bigint[];
  v_qtys integer[];
  v_prices bigint[];
  v_amounts bigint[];
  v_goods bigint;
  v_points bigint;
  v_love bigint;
  v_palloc bigint[];
  v_lalloc bigint[];
  i integer;
  v_wallet rebate.wallets;
  v_set rebate.settings;
  v_o rebate.orders;
  v_l rebate.order_lines;
  v_qid bigint;
  v_reason text;
  v_bps integer;
  v_code text;
  v_label text;
  v_ent bigint;
  v_lines jsonb := '[]';
begin
  -- the same request rules as create_order (one place: rebate.parse_order_request)
  r := rebate.parse_order_request(p_order);
  v_channel := r.channel;
  v_store_id := r.store_id;
  v_cashier_id := r.cashier_id;
  v_products := r.products;
  v_qtys := r.qtys;
  v_prices := r.prices;
  v_amounts := r.amounts;
  v_goods := r.goods_fen;
  v_points := r.points_fen;
  v_love := r.love_fen;
  v_palloc := r.points_alloc;
  v_lalloc := r.love_alloc;

  -- the balances create_order would debit
  select * into v_wallet from rebate.wallets w where w.member_id = v_uid;
  if v_points > coalesce(v_wallet.points, 0) then
    raise exception using errcode = 'P0001', message = 'insufficient_points', hint = '积分不足';
  end if;
  if v_love > coalesce(v_wallet.love_fen, 0) then
    raise exception using errcode = 'P0001', message = 'insufficient_love', hint = '爱心值不足';
  end if;

  select * into v_set from rebate.settings x where x.id = 1;
  v_o.member_id := v_uid;
  v_o.channel := v_channel;
  v_o.store_id := case when v_channel <> 'mall' then v_store_id end;
  v_o.cashier_id := v_cashier_id;
  v_o.goods_fen := v_goods;
  v_o.points_deduct_fen := v_points;
  v_o.love_deduct_fen := v_love;
  v_o.pay_fen := v_goods - v_points - v_love;

  for i in 1 .. cardinality(v_amounts) loop
    v_l.line_no := i;
    v_l.product_id := v_products[i];
    v_l.quantity := v_qtys[i];
    v_l.unit_price_fen := v_prices[i];
    v_l.amount_fen := v_amounts[i];
    v_l.points_deduct_fen := v_palloc[i];
    v_l.love_deduct_fen := v_lalloc[i];
    v_l.pay_fen := v_amounts[i] - v_palloc[i] - v_lalloc[i];
    select f.queue_id, f.reason into v_qid, v_reason from rebate.queue_for_line(v_l, v_o, v_set) f;
    v_bps := null;
    v_code := null;
    v_label := null;
    v_ent := 0;
    if v_qid is not null then
      v_reason := rebate.line_earns_preview(v_l, v_o, v_set);
      select x.ratio_bps, x.rule_code, x.rule_label into v_bps, v_code, v_label from rebate.resolve_reward_ratio(v_l, v_o, v_set) x;
      if v_reason is null then
        v_ent := rebate.bps_of(v_l.pay_fen, v_bps);
        if v_ent = 0 then
          v_reason := 'zero_entitlement';
        end if;
      end if;
    end if;
    v_lines := v_lines || jsonb_build_object(
      'line_no', i, 'product_id', v_l.product_id, 'quantity', v_l.quantity, 'amount_fen', v_l.amount_fen,
      'pay_fen', v_l.pay_fen, 'earns', v_reason is null, 'no_entry_reason', v_reason,
      'reward_bps', v_bps, 'reward_rule_code', v_code, 'reward_rule_label', v_label,
      'entitlement_fen', v_ent,
      'lottery', coalesce(v_code like '%\_lottery', false));
  end loop;

  return jsonb_build_object('channel', v_channel, 'store_id', v_o.store_id, 'goods_fen', v_goods,
                            'points_deduct_fen', v_points, 'love_deduct_fen', v_love, 'pay_fen', v_o.pay_fen,
                            'lines', v_lines);
end;
$$;

revoke all on function rebate.line_earns_preview(rebate.order_lines, rebate.orders, rebate.settings)
  from public, anon, authenticated, service_role;
revoke all on function public.preview_order(jsonb) from public, anon, authenticated, service_role;
grant execute on function public.preview_order(jsonb) to authenticated;
