-- Demo data for the local stack (`npm start`). Not used by the tests, which build their own.
-- Three demo members; the H5 build's dev login signs in as one of them by member code.
insert into auth.users (id, aud, role) values
  ('00000000-0000-4000-8000-000000000001', 'authenticated', 'authenticated'),
  ('00000000-0000-4000-8000-000000000002', 'authenticated', 'authenticated'),
  ('00000000-0000-4000-8000-000000000003', 'authenticated', 'authenticated'),
  ('00000000-0000-4000-8000-000000000004', 'authenticated', 'authenticated')
on conflict (id) do nothing;

insert into rebate.members (id, openid, member_code, nickname, is_admin) values
  ('00000000-0000-4000-8000-000000000001', 'demo-openid-1', 'DEMO0001', '演示会员一', true),
  ('00000000-0000-4000-8000-000000000002', 'demo-openid-2', 'DEMO0002', '演示会员二', false),
  ('00000000-0000-4000-8000-000000000003', 'demo-openid-3', 'DEMO0003', '演示会员三', false),
  ('00000000-0000-4000-8000-000000000004', 'demo-openid-4', 'DEMO0004', '演示会员四', false)
on conflict (id) do nothing;

-- Console roles (docs/console.md): 演示会员一 is 超级管理员 (is_admin), 演示会员二 运营, 演示会员四 财务;
-- 演示会员三 owns the demo store below, so holds 店主 for it.
insert into rebate.staff_roles (member_id, role) values
  ('00000000-0000-4000-8000-000000000002', 'operations'),
  ('00000000-0000-4000-8000-000000000004', 'finance')
on conflict (member_id, role, coalesce(store_id, 0::bigint)) do nothing;

-- Queue rebate demo (排队返利): the programme switched on with one merchant queue, a few mall
-- products with rebate on, and an approved store with its cashier, so that the H5 demo can
-- place, pay and follow orders. Re-running changes nothing (and leaves settings an admin changed).
update rebate.settings
   set enabled = true, merchant_queue = true, default_reward_bps = 10000, extraction_bps = 1000
 where id = 1 and updated_by is null and not enabled;

-- pictures: files shipped with the mini-program (client/assets/products, drawn by config/product-images.mjs)
insert into rebate.products (sku, kind, name, price_fen, rebate_enabled, reward_bps, extraction_bps, image_path) values
  ('DEMO-TEA',    'self',     '明前龙井 250g',      16800, true, 13000, 6500, '/assets/products/tea.png'),
  ('DEMO-RICE',   'self',     '五常大米 5kg',        10000, true, null,  null, '/assets/products/rice.png'),
  ('DEMO-OIL',    'supplier', '压榨花生油 5L',       12800, true, null,  null, '/assets/products/oil.png'),
  ('DEMO-TISSUE', 'supplier', '原木抽纸 24包',        3990, true, null,  null, '/assets/products/tissue.png')
on conflict (sku) do update set image_path = excluded.image_path where rebate.products.image_path is null;

insert into rebate.stores (code, name, status, owner_member_id) values
  ('DEMO01', '演示门店·中山路店', 'approved', '00000000-0000-4000-8000-000000000003')
on conflict (code) do nothing;

insert into rebate.cashiers (code, store_id)
select 'DEMO01C', s.id from rebate.stores s where s.code = 'DEMO01'
on conflict do nothing;

insert into rebate.products (sku, kind, store_id, name, price_fen, rebate_enabled, image_path)
select v.sku, 'store', s.id, v.name, v.price_fen, true, v.image_path
  from rebate.stores s
 cross join (values ('DEMO-COFFEE', '手冲咖啡', 2800, '/assets/products/coffee.png'),
                    ('DEMO-CAKE', '芝士蛋糕', 3500, '/assets/products/cake.png')) v(sku, name, price_fen, image_path)
 where s.code = 'DEMO01'
on conflict (sku) do update set image_path = excluded.image_path where rebate.products.image_path is null;
