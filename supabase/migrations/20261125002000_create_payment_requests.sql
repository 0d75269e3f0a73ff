-- WeChat Pay (JSAPI) for the pay-order edge function. The function needs the payer's openid and
-- the order's cash amount, and it must send WeChat the same prepay parameters on every attempt:
-- WeChat refuses a second prepay for an out_trade_no whose parameters changed. The first
-- attempt therefore freezes the description and time_expire of the order's payment here.
--   service_role: prepare_payment
-- The payment notification itself goes to mark_order_paid / refund_order (order API migration).

-- ============================================================ tables
create table rebate.payment_requests (
  order_id     bigint primary key references rebate.orders (id),
  description  text not null check (char_length(description) between 1 and 127),
  time_expire  timestamptz not null,          -- WeChat closes the trade then; no payment after it
  created_at   timestamptz not null default now()
);

-- ============================================================ functions
-- What pay-order sends to WeChat Pay for one of the member's pending orders: openid, cash amount,
-- description and time_expire (RFC 3339, +08:00). The first call fixes description and
-- time_expire (now + p_ttl_seconds); later calls return the same values. Refuses an order that is
-- not the member's (order_not_found), not pending, whose payment window has (almost) closed, or
-- whose member has no openid.
create or replace function public.prepare_payment(p_order_no text, p_member_id uuid, p_ttl_seconds integer default 1800)
returns jsonb
language plpgsql volatile security definer set search_path = ''
as $$
declare
  o rebate.orders;
  r rebate.payment_requests;
  v_openid text;
  v_description text;
begin
  if p_ttl_seconds is null or p_ttl_seconds not between 120 and 86400 then
    raise exception using errcode = 'P0001', message = 'invalid_ttl', hint = '支付有效期无效';
  end if;
  select * into o from rebate.orders x where x.order_no = p_order_no;
  if not found or p_member_id is null or o.member_id <> p_member_id then
    raise exception using errcode = 'P0001', message = 'order_not_found', hint = '订单不存在';
  end if;
  if o.status in ('paid', 'completed') then
    raise exception using errcode = 'P0001', message = 'order_already_paid', hint = '订单已支付';
  end if;
  if o.status <> 'pending' then
    raise exception using errcode = 'P0001', message = 'order_not_pending', hint = '订单已关闭，不能支付';
  end if;
  select m.openid into v_openid from rebate.members m where m.id = o.member_id;
  if v_openid is null then
    raise exception using errcode = 'P0001', message = 'openid_missing', hint = '请使用微信登录后再支付';
  end if;

  select * into r from rebate.payment_requests x where x.order_id = o.id;
  if not found then
    select left(coalesce(p.name, st.name || ' 买单', '收银台买单')
                || case when li.n > 1 then ' 等' || li.n || '件商品' else '' end, 127)
      into v_description
      from rebate.order_lines l
      left join rebate.products p on p.id = l.product_id
      left join rebate.stores st on st.id = o.store_id
      cross join (select count(*) as n from rebate.order_lines y where y.order_id = o.id) li
     where l.order_id = o.id
     order by l.line_no
     limit 1;
    insert into rebate.payment_requests (order_id, description, time_expire)
    values (o.id, coalesce(v_description, '订单' || o.order_no),
            date_trunc('second', now()) + make_interval(secs => p_ttl_seconds))
    on conflict (order_id) do nothing;
    select * into r from rebate.payment_requests x where x.order_id = o.id;
  end if;
  -- WeChat wants time_expire at least a minute ahead; past it the trade is closed anyway
  if r.time_expire < now() + interval '1 minute' then
    raise exception using errcode = 'P0001', message = 'payment_expired', hint = '支付已超时，请重新下单';
  end if;

  return jsonb_build_object(
    'order_id', o.id, 'order_no', o.order_no, 'status', o.status, 'pay_fen', o.pay_fen, 'openid', v_openid,
    'description', r.description,
    'time_expire', to_char(r.time_expire at time zone 'Asia/Shanghai', 'YYYY-MM-DD"T"HH24:MI:SS') || '+08:00');
end;
$$;

-- ============================================================ policies
alter table rebate.payment_requests enable row level security;

-- ============================================================ grants
revoke all on rebate.payment_requests from public, anon, authenticated, service_role;
grant select on rebate.payment_requests to service_role;

revoke all on function public.prepare_payment(text, uuid, integer) from public, anon, authenticated, service_role;
grant execute on function public.prepare_payment(text, uuid, integer) to service_role;
