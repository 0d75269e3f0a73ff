-- Demo data for the local stack (`npm start`). Not used by the tests, which build their own.
-- Three demo members; the H5 build's dev login signs in as one of them by member code.
insert into auth.users (id, aud, role) values
  ('00000000-0000-4000-8000-000000000001', 'authenticated', 'authenticated'),
  ('00000000-0000-4000-8000-000000000002', 'authenticated', 'authenticated'),
  ('00000000-0000-4000-8000-000000000003', 'authenticated', 'authenticated')
on conflict (id) do nothing;

insert into rebate.members (id, openid, member_code, nickname, is_admin) values
  ('00000000-0000-4000-8000-000000000001', 'demo-openid-1', 'DEMO0001', '演示会员一', true),
  ('00000000-0000-4000-8000-000000000002', 'demo-openid-2', 'DEMO0002', '演示会员二', false),
  ('00000000-0000-4000-8000-000000000003', 'demo-openid-3', 'DEMO0003', '演示会员三', false)
on conflict (id) do nothing;
