-- Merchant onboarding (商户入驻, SPEC §11): a merchant invite code (a promoter's, or one the
-- platform issues) opens the application (入驻申请); the platform admin approves or rejects it
-- with a reason; approval creates the store, its cashier (with its code, scene 'c=<code>') and
-- makes the applicant the store owner, who sees their own store's orders and queue statistics.
-- The promoter who invited the merchant is the store's recruiter (招商奖励, paid in the rewards
-- migration). The admin also edits store and cashier independent rebate settings here.

-- ============================================================ tables
alter table rebate.stores
  add column recruiter_member_id uuid references rebate.members (id),   -- who invited the merchant (招商)
  add column application_id      bigint;

-- Merchant invite codes the platform issues (a promoter's merchant code is their member code).
create table rebate.merchant_invite_codes (
  code        text primary key check (code ~ '^P[A-Z0-9]{9}$'),
  label       text not null check (char_length(label) between 1 and 40),
  active      boolean not null default true,
  created_by  uuid references rebate.members (id),
  created_at  timestamptz not null default now()
);

create table rebate.merchant_applications (
  id                   bigint generated always as identity primary key,
  applicant_id         uuid not null references rebate.members (id),
  invite_code          text not null check (invite_code ~ '^[A-Z0-9]{4,24}$'),
  recruiter_member_id  uuid references rebate.members (id),          -- null: a platform invite code
  store_name           text not null check (char_length(store_name) between 1 and 40),
  contact_name         text not null check (char_length(contact_name) between 1 and 20),
  contact_phone        text not null check (contact_phone ~ '^(1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})$'),
  address              text not null check (char_length(address) between 1 and 120),
  licence_no           text not null check (licence_no ~ '^([0-9A-Z]{15}|[0-9A-Z]{18})$'),
  status               text not null default 'pending' check (status in ('pending', 'approved', 'rejected')),
  reject_reason        text check (reject_reason is null or char_length(reject_reason) between 1 and 200),
  decided_by           uuid references rebate.members (id),
  decided_at           timestamptz,
  store_id             bigint references rebate.stores (id),
  created_at           timestamptz not null default now(),
  constraint merchant_applications_decision check (case status
    when 'pending'  then decided_at is null and store_id is null and reject_reason is null
    when 'approved' then decided_at is not null and store_id is not null and reject_reason is null
    when 'rejected' then decided_at is not null and store_id is null and reject_reason is not null end)
);

alter table rebate.stores
  add constraint stores_application_fk foreign key (application_id) references rebate.merchant_applications (id);

-- ============================================================ indexes
create unique index merchant_applications_one_pending_idx on rebate.merchant_applications (applicant_id)
  where status = 'pending';
create index merchant_applications_applicant_idx on rebate.merchant_applications (applicant_id, id);
create index merchant_applications_status_idx on rebate.merchant_applications (status, id);
create index stores_owner_idx on rebate.stores (owner_member_id) where owner_member_id is not null;
create index stores_recruiter_idx on rebate.stores (recruiter_member_id) where recruiter_member_id is not null;
create index orders_store_idx on rebate.orders (store_id, id) where store_id is not null;

-- ============================================================ functions: helpers
-- A fresh code: p_prefix then random characters of the member-code alphabet, unique in p_table.
create or replace function rebate.new_code(p_prefix text, p_length integer, p_table text) returns text
language plpgsql volatile set search_path = ''
as $$
declare
  v_alphabet constant text := 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  v_bytes bytea;
  v_code text;
  v_taken boolean;
begin
  loop
    v_bytes := extensions.gen_random_bytes(p_length);
    v_code := p_prefix;
    for i in 0 .. p_length - 1 loop
      v_code := v_code || substr(v_alphabet, (get_byte(v_bytes, i) % 32) + 1, 1);
    end loop;
    execute format('select exists (select 1 from rebate.%I x where x.code = $1)', p_table) into v_taken using v_code;
    exit when not v_taken;
  end loop;
  return v_code;
end;
$$;

-- Who a merchant invite code belongs to: a platform code (recruiter null); a member whose team
-- level may recruit merchants (the recruiter); or a platform admin's member code (for the
-- platform: recruiter null). Raises invalid_merchant_invite otherwise.
create or replace function rebate.resolve_merchant_invite(p_code text, out code text, out recruiter_id uuid,
                                                          out recruiter_nickname text, out platform boolean)
language plpgsql stable set search_path = ''
as $$
declare
  v_admin boolean;
begin
  code := rebate.normalize_code(p_code, 'm');
  if code !~ '^[A-Z0-9]{4,24}$' then
    raise exception using errcode = 'P0001', message = 'invalid_merchant_invite', hint = '招商码无效';
  end if;
  if exists (select 1 from rebate.merchant_invite_codes c where c.code = resolve_merchant_invite.code and c.active) then
    platform := true;
    return;
  end if;
  select m.id, m.nickname, m.is_admin into recruiter_id, recruiter_nickname, v_admin
    from rebate.members m where m.member_code = resolve_merchant_invite.code;
  if recruiter_id is not null and rebate.can_recruit_merchants(recruiter_id) then
    platform := false;
  elsif recruiter_id is not null and v_admin then
    recruiter_id := null;
    recruiter_nickname := null;
    platform := true;
  else
    raise exception using errcode = 'P0001', message = 'invalid_merchant_invite', hint = '招商码无效或已失效';
  end if;
end;
$$;

-- Raises unless the caller owns the store (or is an admin); returns the store.
create or replace function rebate.require_store_owner(p_store_id bigint) returns rebate.stores
language plpgsql stable set search_path = ''
as $$
declare
  v_uid uuid := rebate.require_member();
  st rebate.stores;
begin
  select * into st from rebate.stores s where s.id = p_store_id;
  if not found or (st.owner_member_id is distinct from v_uid
                   and not exists (select 1 from rebate.members m where m.id = v_uid and m.is_admin)) then
    raise exception using errcode = 'P0001', message = 'store_not_found', hint = '门店不存在或您不是店主';
  end if;
  return st;
end;
$$;

create or replace function rebate.application_json(a rebate.merchant_applications) returns jsonb
language sql stable set search_path = ''
as $$
  select jsonb_build_object(
    'application_id', a.id, 'status', a.status,
    'status_label', case a.status when 'pending' then '审核中' when 'approved' then '已通过' else '已驳回' end,
    'store_name', a.store_name, 'contact_name', a.contact_name, 'contact_phone', a.contact_phone,
    'address', a.address, 'licence_no', a.licence_no, 'invite_code', a.invite_code,
    'platform_invite', a.recruiter_member_id is null,
    'reject_reason', a.reject_reason, 'store_id', a.store_id, 'created_at', a.created_at, 'decided_at', a.decided_at)
$$;

create or replace function rebate.store_json(p_store_id bigint) returns jsonb
language sql stable set search_path = ''
as $$
  select jsonb_build_object(
    'store_id', st.id, 'store_code', st.code, 'name', st.name, 'status', st.status,
    'owner_member_id', st.owner_member_id, 'recruiter_member_id', st.recruiter_member_id,
    'rebate_enabled', st.rebate_enabled, 'extraction_bps', st.extraction_bps, 'reward_bps', st.reward_bps,
    'cashier', case when c.id is not null then jsonb_build_object(
      'cashier_id', c.id, 'cashier_code', c.code, 'rebate_enabled', c.rebate_enabled,
      'extraction_bps', c.extraction_bps, 'reward_bps', c.reward_bps,
      'scene', 'c=' || c.code, 'page', rebate.scene_page('cashier')) end)
    from rebate.stores st left join rebate.cashiers c on c.store_id = st.id
   where st.id = p_store_id
$$;

-- ============================================================ functions: applicants
-- What the join page shows for a merchant invite code before the form.
create or replace function public.merchant_invite_info(p_invite_code text) returns jsonb
language plpgsql stable security definer set search_path = ''
as $$
declare
  v_uid uuid := rebate.require_member();
  v record;
  a rebate.merchant_applications;
begin
  select * into v from rebate.resolve_merchant_invite(p_invite_code);
  select * into a from rebate.merchant_applications x where x.applicant_id = v_uid and x.status = 'pending';
  return jsonb_build_object(
    'invite_code', v.code,
    'platform', v.platform,
    'recruiter_nickname_masked', case when v.platform then null else rebate.mask_name(v.recruiter_nickname) end,
    'pending_application', case when a.id is not null then rebate.application_json(a) end);
end;
$$;

-- 入驻申请. One pending application per member at a time.
create or replace function public.submit_merchant_application(
  p_invite_code text, p_store_name text, p_contact_name text, p_contact_phone text, p_address text,
  p_licence_no text default null)
returns jsonb
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_uid uuid := rebate.require_member();
  v record;
  v_store_name text := btrim(coalesce(p_store_name, ''));
  v_contact text := btrim(coalesce(p_contact_name, ''));
  v_phone text := replace(btrim(coalesce(p_contact_phone, '')), ' ', '');
  v_address text := btrim(coalesce(p_address, ''));
  v_licence text := upper(replace(btrim(coalesce(p_licence_no, '')), ' ', ''));
  a rebate.merchant_applications;
begin
  select * into v from rebate.resolve_merchant_invite(p_invite_code);
  if v.recruiter_id = v_uid then
    raise exception using errcode = 'P0001', message = 'self_invite', hint = '不能使用自己的招商码申请入驻';
  end if;
  if char_length(v_store_name) not between 1 and 40 or v_store_name ~ '[[:cntrl:]]' then
    raise exception using errcode = 'P0001', message = 'invalid_store_name', hint = '门店名称应为 1 到 40 个字';
  end if;
  if char_length(v_contact) not between 1 and 20 or v_contact ~ '[[:cntrl:]]' then
    raise exception using errcode = 'P0001', message = 'invalid_contact_name', hint = '联系人应为 1 到 20 个字';
  end if;
  if v_phone !~ '^(1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})$' then
    raise exception using errcode = 'P0001', message = 'invalid_contact_phone', hint = '请填写正确的手机号或座机号';
  end if;
  if char_length(v_address) not between 1 and 120 or v_address ~ '[[:cntrl:]]' then
    raise exception using errcode = 'P0001', message = 'invalid_address', hint = '地址应为 1 到 120 个字';
  end if;
  if v_licence !~ '^([0-9A-Z]{15}|[0-9A-Z]{18})$' then
    raise exception using errcode = 'P0001', message = 'invalid_licence_no', hint = '请填写正确的营业执照号（统一社会信用代码）';
  end if;
  begin
    insert into rebate.merchant_applications (applicant_id, invite_code, recruiter_member_id, store_name,
                                              contact_name, contact_phone, address, licence_no)
    values (v_uid, v.code, v.recruiter_id, v_store_name, v_contact, v_phone, v_address, v_licence)
    returning * into a;
  exception when unique_violation then
    raise exception using errcode = 'P0001', message = 'application_pending', hint = '您已有一份入驻申请正在审核中';
  end;
  return rebate.application_json(a);
end;
$$;

-- My applications, newest first.
create or replace function public.my_merchant_applications() returns jsonb
language plpgsql stable security definer set search_path = ''
as $$
declare
  v_uid uuid := rebate.require_member();
begin
  return coalesce((select jsonb_agg(rebate.application_json(a) order by a.id desc)
                     from rebate.merchant_applications a where a.applicant_id = v_uid), '[]'::jsonb);
end;
$$;

-- ============================================================ functions: store owners
-- The stores I own, with the cashier code and its scene/page.
create or replace function public.my_stores() returns jsonb
language plpgsql stable security definer set search_path = ''
as $$
declare
  v_uid uuid := rebate.require_member();
begin
  return coalesce((select jsonb_agg(rebate.store_json(st.id) order by st.id)
                     from rebate.stores st where st.owner_member_id = v_uid), '[]'::jsonb);
end;
$$;

-- One of my store's orders (online and cashier), newest first; buyers masked.
create or replace function public.store_orders(p_store_id bigint, p_status text default null,
                                               p_before_id bigint default null, p_limit integer default 20)
returns table (order_id bigint, order_no text, channel text, status text, status_label text,
               buyer_nickname_masked text, goods_fen bigint, pay_fen bigint, refunded_fen bigint,
               item_count integer, first_item text, created_at timestamptz, paid_at timestamptz,
               completed_at timestamptz)
language plpgsql stable security definer set search_path = ''
as $$
declare
  st rebate.stores := rebate.require_store_owner(p_store_id);
begin
  if p_status is not null and p_status not in ('pending', 'paid', 'completed', 'refunded', 'cancelled') then
    raise exception using errcode = 'P0001', message = 'invalid_status', hint = '订单状态无效';
  end if;
  if p_limit is null or p_limit not between 1 and 100 then
    raise exception using errcode = 'P0001', message = 'invalid_limit', hint = '每页数量应在 1 到 100 之间';
  end if;
  return query
    select o.id, o.order_no, o.channel, o.status, rebate.order_status_label(o.status), rebate.mask_name(m.nickname),
           o.goods_fen, o.pay_fen, o.refunded_fen, li.n, li.first_item, o.created_at, o.paid_at, o.completed_at
      from rebate.orders o
      join rebate.members m on m.id = o.member_id
      cross join lateral (
        select count(*)::integer as n,
               (array_agg(coalesce(p.name, '收银台买单') order by l.line_no))[1] as first_item
          from rebate.order_lines l left join rebate.products p on p.id = l.product_id
         where l.order_id = o.id) li
     where o.store_id = st.id
       and (p_status is null or o.status = p_status)
       and (p_before_id is null or o.id < p_before_id)
     order by o.id desc
     limit p_limit;
end;
$$;

-- My store's queue statistics: its own store queue and cashier queue (shared all-stores /
-- all-cashiers queues are not shown: they hold other stores' members), and its order totals
-- (today = Asia/Shanghai).
create or replace function public.store_queue_stats(p_store_id bigint) returns jsonb
language plpgsql stable security definer set search_path = ''
as $$
declare
  st rebate.stores := rebate.require_store_owner(p_store_id);
  v_today timestamptz := date_trunc('day', now() at time zone 'Asia/Shanghai') at time zone 'Asia/Shanghai';
begin
  return jsonb_build_object(
    'store_id', st.id, 'store_name', st.name, 'status', st.status,
    'queues', coalesce((
      select jsonb_agg(jsonb_build_object(
               'queue_id', q.id, 'scope', q.scope, 'name', q.name, 'open', q.closed_at is null,
               'joined_count', q.joined_count, 'entry_count', q.entry_count,
               'waiting_count', (select count(*) from rebate.entries e where e.queue_id = q.id and e.status = 'waiting'),
               'waiting_remaining_fen', (select coalesce(sum(e.entitlement_fen - e.received_fen), 0)
                                           from rebate.entries e where e.queue_id = q.id and e.status = 'waiting'),
               'total_entitlement_fen', q.total_entitlement_fen, 'total_extracted_fen', q.total_extracted_fen,
               'total_distributed_fen', q.total_distributed_fen, 'total_retained_fen', q.total_retained_fen)
             order by q.id)
        from rebate.queues q
       where q.store_id = st.id
          or q.cashier_id in (select c.id from rebate.cashiers c where c.store_id = st.id)), '[]'::jsonb),
    'orders', (
      select jsonb_build_object(
               'paid_count', count(*) filter (where o.paid_at is not null),
               'paid_fen', coalesce(sum(o.pay_fen - o.refunded_fen) filter (where o.paid_at is not null), 0),
               'today_paid_count', count(*) filter (where o.paid_at >= v_today),
               'today_paid_fen', coalesce(sum(o.pay_fen - o.refunded_fen) filter (where o.paid_at >= v_today), 0),
               'cashier_paid_count', count(*) filter (where o.paid_at is not null and o.channel = 'cashier'),
               'online_paid_count', count(*) filter (where o.paid_at is not null and o.channel = 'store'))
        from rebate.orders o where o.store_id = st.id));
end;
$$;

-- ============================================================ functions: admin
create or replace function public.admin_list_merchant_applications(p_status text default 'pending',
                                                                   p_before_id bigint default null,
                                                                   p_limit integer default 20)
returns table (application_id bigint, status text, store_name text, contact_name text, contact_phone text,
               address text, licence_no text, invite_code text, applicant_member_code text, applicant_nickname text,
               recruiter_member_code text, recruiter_nickname text, reject_reason text, store_id bigint,
               created_at timestamptz, decided_at timestamptz)
language plpgsql stable security definer set search_path = ''
as $$
begin
  perform rebate.require_admin();
  if p_status is not null and p_status not in ('pending', 'approved', 'rejected') then
    raise exception using errcode = 'P0001', message = 'invalid_status', hint = '状态无效';
  end if;
  if p_limit is null or p_limit not between 1 and 100 then
    raise exception using errcode = 'P0001', message = 'invalid_limit', hint = '每页数量应在 1 到 100 之间';
  end if;
  return query
    select a.id, a.status, a.store_name, a.contact_name, a.contact_phone, a.address, a.licence_no, a.invite_code,
           am.member_code, am.nickname, rm.member_code, rm.nickname, a.reject_reason, a.store_id, a.created_at,
           a.decided_at
      from rebate.merchant_applications a
      join rebate.members am on am.id = a.applicant_id
      left join rebate.members rm on rm.id = a.recruiter_member_id
     where (p_status is null or a.status = p_status)
       and (p_before_id is null or a.id < p_before_id)
     order by a.id desc
     limit p_limit;
end;
$$;

-- Approves an application: creates the approved store (owner: the applicant, recruiter: whoever
-- invited) and its cashier; their queues follow (engine triggers). Approving an approved
-- application again returns the same store (replayed).
create or replace function public.admin_approve_merchant_application(p_application_id bigint) returns jsonb
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_admin uuid := rebate.require_admin();
  a rebate.merchant_applications;
  v_store_id bigint;
  v_cashier_code text;
begin
  select * into a from rebate.merchant_applications x where x.id = p_application_id for update;
  if not found then
    raise exception using errcode = 'P0001', message = 'application_not_found', hint = '入驻申请不存在';
  end if;
  if a.status = 'approved' then
    return rebate.application_json(a) || jsonb_build_object('store', rebate.store_json(a.store_id), 'replayed', true);
  end if;
  if a.status <> 'pending' then
    raise exception using errcode = 'P0001', message = 'application_not_pending', hint = '该申请已处理';
  end if;
  insert into rebate.stores (code, name, status, owner_member_id, recruiter_member_id, application_id)
  values (rebate.new_code('ST', 8, 'stores'), a.store_name, 'approved', a.applicant_id, a.recruiter_member_id, a.id)
  returning id into v_store_id;
  v_cashier_code := rebate.new_code('C', 9, 'cashiers');
  insert into rebate.cashiers (store_id, code) values (v_store_id, v_cashier_code);
  update rebate.merchant_applications x set status = 'approved', decided_at = now(), decided_by = v_admin,
         store_id = v_store_id
   where x.id = a.id
   returning * into a;
  insert into rebate.messages (member_id, kind, title, body)
  values (a.applicant_id, 'merchant_approved', '入驻申请已通过',
          '您的门店「' || left(a.store_name, 40) || '」已开通，收银台码可在“我的门店”查看');
  return rebate.application_json(a) || jsonb_build_object('store', rebate.store_json(v_store_id), 'replayed', false);
end;
$$;

create or replace function public.admin_reject_merchant_application(p_application_id bigint, p_reason text) returns jsonb
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_admin uuid := rebate.require_admin();
  a rebate.merchant_applications;
  v_reason text := btrim(coalesce(p_reason, ''));
begin
  if char_length(v_reason) not between 1 and 200 then
    raise exception using errcode = 'P0001', message = 'invalid_reason', hint = '请填写驳回原因（1 到 200 个字）';
  end if;
  select * into a from rebate.merchant_applications x where x.id = p_application_id for update;
  if not found then
    raise exception using errcode = 'P0001', message = 'application_not_found', hint = '入驻申请不存在';
  end if;
  if a.status <> 'pending' then
    raise exception using errcode = 'P0001', message = 'application_not_pending', hint = '该申请已处理';
  end if;
  update rebate.merchant_applications x set status = 'rejected', decided_at = now(), decided_by = v_admin,
         reject_reason = v_reason
   where x.id = a.id
   returning * into a;
  insert into rebate.messages (member_id, kind, title, body)
  values (a.applicant_id, 'merchant_rejected', '入驻申请未通过',
          left('门店「' || left(a.store_name, 40) || '」的入驻申请未通过：' || v_reason, 200));
  return rebate.application_json(a);
end;
$$;

-- Issues a platform merchant invite code (scene 'm=<code>').
create or replace function public.admin_create_merchant_invite_code(p_label text) returns jsonb
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_admin uuid := rebate.require_admin();
  c rebate.merchant_invite_codes;
begin
  if char_length(btrim(coalesce(p_label, ''))) not between 1 and 40 then
    raise exception using errcode = 'P0001', message = 'invalid_label', hint = '请填写备注（1 到 40 个字）';
  end if;
  insert into rebate.merchant_invite_codes (code, label, created_by)
  values (rebate.new_code('P', 9, 'merchant_invite_codes'), btrim(p_label), v_admin)
  returning * into c;
  return to_jsonb(c) || jsonb_build_object('scene', 'm=' || c.code, 'page', rebate.scene_page('merchant'));
end;
$$;

create or replace function public.admin_list_merchant_invite_codes()
returns table (code text, label text, active boolean, scene text, page text, application_count bigint,
               created_at timestamptz)
language plpgsql stable security definer set search_path = ''
as $$
begin
  perform rebate.require_admin();
  return query
    select c.code, c.label, c.active, 'm=' || c.code, rebate.scene_page('merchant'),
           (select count(*) from rebate.merchant_applications a where a.invite_code = c.code), c.created_at
      from rebate.merchant_invite_codes c
     order by c.created_at desc, c.code;
end;
$$;

create or replace function public.admin_set_merchant_invite_code_active(p_code text, p_active boolean) returns jsonb
language plpgsql volatile security definer set search_path = ''
as $$
declare
  c rebate.merchant_invite_codes;
begin
  perform rebate.require_admin();
  if p_active is null then
    raise exception using errcode = 'P0001', message = 'invalid_setting', hint = '请选择启用或停用';
  end if;
  update rebate.merchant_invite_codes x set active = p_active where x.code = upper(btrim(coalesce(p_code, '')))
  returning * into c;
  if not found then
    raise exception using errcode = 'P0001', message = 'merchant_invite_not_found', hint = '招商码不存在';
  end if;
  return to_jsonb(c);
end;
$$;

-- Every store (any status) with its cashier and settings.
create or replace function public.admin_list_stores(p_status text default null) returns jsonb
language plpgsql stable security definer set search_path = ''
as $$
begin
  perform rebate.require_admin();
  if p_status is not null and p_status not in ('pending', 'approved', 'suspended') then
    raise exception using errcode = 'P0001', message = 'invalid_status', hint = '状态无效';
  end if;
  return coalesce((select jsonb_agg(rebate.store_json(st.id) order by st.id)
                     from rebate.stores st where p_status is null or st.status = p_status), '[]'::jsonb);
end;
$$;

-- Store settings (门店独立设置): {"name", "status", "rebate_enabled", "extraction_bps", "reward_bps"};
-- the two ratios accept null (= inherit the plugin default).
create or replace function public.admin_update_store(p_store_id bigint, p_patch jsonb) returns jsonb
language plpgsql volatile security definer set search_path = ''
as $$
declare
  st rebate.stores;
begin
  perform rebate.require_admin();
  if p_patch is null or jsonb_typeof(p_patch) <> 'object' or p_patch = '{}'::jsonb
     or exists (select 1 from jsonb_object_keys(p_patch) k
                 where k not in ('name', 'status', 'rebate_enabled', 'extraction_bps', 'reward_bps')) then
    raise exception using errcode = 'P0001', message = 'invalid_settings', hint = '设置内容无效';
  end if;
  select * into st from rebate.stores s where s.id = p_store_id for update;
  if not found then
    raise exception using errcode = 'P0001', message = 'store_not_found', hint = '门店不存在';
  end if;
  if p_patch ? 'name' and (jsonb_typeof(p_patch -> 'name') <> 'string'
                           or char_length(btrim(p_patch ->> 'name')) not between 1 and 40) then
    raise exception using errcode = 'P0001', message = 'invalid_setting', hint = '门店名称：取值无效';
  end if;
  if p_patch ? 'status' and (jsonb_typeof(p_patch -> 'status') <> 'string'
                             or (p_patch ->> 'status') not in ('pending', 'approved', 'suspended')) then
    raise exception using errcode = 'P0001', message = 'invalid_setting', hint = '门店状态：取值无效';
  end if;
  if p_patch ? 'rebate_enabled' and jsonb_typeof(p_patch -> 'rebate_enabled') <> 'boolean' then
    raise exception using errcode = 'P0001', message = 'invalid_setting', hint = '门店排队返利：取值无效';
  end if;
  if p_patch ? 'extraction_bps' and jsonb_typeof(p_patch -> 'extraction_bps') <> 'null'
     and rebate.json_int(p_patch -> 'extraction_bps', 0, 10000) is null then
    raise exception using errcode = 'P0001', message = 'invalid_setting', hint = '门店提取比例：取值无效';
  end if;
  if p_patch ? 'reward_bps' and jsonb_typeof(p_patch -> 'reward_bps') <> 'null'
     and rebate.json_int(p_patch -> 'reward_bps', 0, 100000) is null then
    raise exception using errcode = 'P0001', message = 'invalid_setting', hint = '门店奖励权益：取值无效';
  end if;
  update rebate.stores s set
    name = case when p_patch ? 'name' then btrim(p_patch ->> 'name') else s.name end,
    status = case when p_patch ? 'status' then p_patch ->> 'status' else s.status end,
    rebate_enabled = case when p_patch ? 'rebate_enabled' then (p_patch ->> 'rebate_enabled')::boolean else s.rebate_enabled end,
    extraction_bps = case when p_patch ? 'extraction_bps' then (p_patch ->> 'extraction_bps')::integer else s.extraction_bps end,
    reward_bps = case when p_patch ? 'reward_bps' then (p_patch ->> 'reward_bps')::integer else s.reward_bps end
   where s.id = st.id;
  return rebate.store_json(st.id);
end;
$$;

-- Cashier settings (收银台独立设置): {"rebate_enabled", "extraction_bps", "reward_bps"}.
create or replace function public.admin_update_cashier(p_cashier_id bigint, p_patch jsonb) returns jsonb
language plpgsql volatile security definer set search_path = ''
as $$
declare
  c rebate.cashiers;
begin
  perform rebate.require_admin();
  if p_patch is null or jsonb_typeof(p_patch) <> 'object' or p_patch = '{}'::jsonb
     or exists (select 1 from jsonb_object_keys(p_patch) k where k not in ('rebate_enabled', 'extraction_bps', 'reward_bps')) then
    raise exception using errcode = 'P0001', message = 'invalid_settings', hint = '设置内容无效';
  end if;
  select * into c from rebate.cashiers x where x.id = p_cashier_id for update;
  if not found then
    raise exception using errcode = 'P0001', message = 'cashier_not_found', hint = '收银台不存在';
  end if;
  if p_patch ? 'rebate_enabled' and jsonb_typeof(p_patch -> 'rebate_enabled') <> 'boolean' then
    raise exception using errcode = 'P0001', message = 'invalid_setting', hint = '收银台排队返利：取值无效';
  end if;
  if p_patch ? 'extraction_bps' and jsonb_typeof(p_patch -> 'extraction_bps') <> 'null'
     and rebate.json_int(p_patch -> 'extraction_bps', 0, 10000) is null then
    raise exception using errcode = 'P0001', message = 'invalid_setting', hint = '收银台提取比例：取值无效';
  end if;
  if p_patch ? 'reward_bps' and jsonb_typeof(p_patch -> 'reward_bps') <> 'null'
     and rebate.json_int(p_patch -> 'reward_bps', 0, 100000) is null then
    raise exception using errcode = 'P0001', message = 'invalid_setting', hint = '收银台奖励权益：取值无效';
  end if;
  update rebate.cashiers x set
    rebate_enabled = case when p_patch ? 'rebate_enabled' then (p_patch ->> 'rebate_enabled')::boolean else x.rebate_enabled end,
    extraction_bps = case when p_patch ? 'extraction_bps' then (p_patch ->> 'extraction_bps')::integer else x.extraction_bps end,
    reward_bps = case when p_patch ? 'reward_bps' then (p_patch ->> 'reward_bps')::integer else x.reward_bps end
   where x.id = c.id;
  return rebate.store_json(c.store_id);
end;
$$;

-- ============================================================ policies
-- A store owner reads their store's orders through store_orders() (checked there), not through a
-- policy on rebate.orders: such a policy would have to read rebate.stores as the caller.
alter table rebate.merchant_invite_codes enable row level security;
alter table rebate.merchant_applications enable row level security;

create policy "Applicants can read their own applications"
  on rebate.merchant_applications for select to authenticated using (applicant_id = (select auth.uid()));
create policy "Store owners can read their own stores"
  on rebate.stores for select to authenticated using (owner_member_id = (select auth.uid()));

-- ============================================================ grants
revoke all on rebate.merchant_invite_codes, rebate.merchant_applications from public, anon, authenticated, service_role;
grant select on rebate.merchant_invite_codes, rebate.merchant_applications to service_role;

revoke all on function rebate.new_code(text, integer, text), rebate.resolve_merchant_invite(text),
  rebate.require_store_owner(bigint), rebate.application_json(rebate.merchant_applications), rebate.store_json(bigint)
  from public, anon, authenticated;

revoke all on function public.merchant_invite_info(text),
  public.submit_merchant_application(text, text, text, text, text, text), public.my_merchant_applications(),
  public.my_stores(), public.store_orders(bigint, text, bigint, integer), public.store_queue_stats(bigint),
  public.admin_list_merchant_applications(text, bigint, integer), public.admin_approve_merchant_application(bigint),
  public.admin_reject_merchant_application(bigint, text), public.admin_create_merchant_invite_code(text),
  public.admin_list_merchant_invite_codes(), public.admin_set_merchant_invite_code_active(text, boolean),
  public.admin_list_stores(text), public.admin_update_store(bigint, jsonb), public.admin_update_cashier(bigint, jsonb)
  from public, anon, authenticated, service_role;
grant execute on function public.merchant_invite_info(text),
  public.submit_merchant_application(text, text, text, text, text, text), public.my_merchant_applications(),
  public.my_stores(), public.store_orders(bigint, text, bigint, integer), public.store_queue_stats(bigint),
  public.admin_list_merchant_applications(text, bigint, integer), public.admin_approve_merchant_application(bigint),
  public.admin_reject_merchant_application(bigint, text), public.admin_create_merchant_invite_code(text),
  public.admin_list_merchant_invite_codes(), public.admin_set_merchant_invite_code_active(text, boolean),
  public.admin_list_stores(text), public.admin_update_store(bigint, jsonb), public.admin_update_cashier(bigint, jsonb)
  to authenticated;
