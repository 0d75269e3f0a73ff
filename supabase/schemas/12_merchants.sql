-- Merchants: invite codes, applications by scanning, approval, a store owner's store
-- SPEC §11 (招商), §14.
-- The source of truth (docs/database.md): edit here, then `npm run db:diff -- <name>` writes the migration.


-- ============================================================ types

-- A merchant application as the API returns it.
create type public.merchant_application_details as (
  application_id bigint,
  status text,
  status_label text,
  store_name text,
  contact_name text,
  contact_phone text,
  address text,
  licence_no text,
  invite_code text,
  platform_invite boolean,
  reject_reason text,
  store_id bigint,
  created_at timestamptz,
  decided_at timestamptz
);
comment on type public.merchant_application_details is 'A merchant application as the API returns it.';

-- One channel's sales of a store (我的门店): paid orders less refunds, today and the last 30
-- days (Asia/Shanghai days, today included).
create type public.store_sales as (
  today_count bigint,
  today_fen   bigint,
  d30_count   bigint,
  d30_fen     bigint
);
comment on type public.store_sales is 'One channel''s sales of a store (我的门店): paid orders less refunds, today and the last 30 days (Asia/Shanghai).';

-- One of a store's own queues (its store queue or its cashier's queue) as its owner sees it.
create type public.store_queue_stat as (
  queue_id              bigint,
  scope                 text,
  name                  text,
  open                  boolean,
  waiting_count         bigint,
  waiting_remaining_fen bigint,   -- owed to the waiting entries
  total_distributed_fen bigint,   -- paid out so far
  total_entitlement_fen bigint
);
comment on type public.store_queue_stat is 'One of a store''s own queues (store queue or cashier queue) as its owner sees it.';

-- A store I own, for 我的门店: status, cashier code, sales by channel, its queues.
create type public.store_dashboard as (
  store_id      bigint,
  store_code    text,
  name          text,
  status        text,
  status_label  text,
  cashier_code  text,
  cashier_scene text,
  cashier_page  text,
  online        public.store_sales,
  cashier       public.store_sales,
  queues        public.store_queue_stat[]
);
comment on type public.store_dashboard is 'A store I own, for 我的门店: status, cashier code, sales by channel (online / cashier), its queues.';

-- ============================================================ tables

-- Merchant invite codes the platform issues (a promoter's merchant code is their member code).
CREATE TABLE "rebate"."merchant_invite_codes" (
  "code"       text                     NOT NULL,
  "label"      text                     NOT NULL,
  "active"     boolean                  NOT NULL DEFAULT true,
  "created_by" uuid,
  "created_at" timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT "merchant_invite_codes_code_check" CHECK ((code ~ '^P[A-Z0-9]{9}$'::text)),
  CONSTRAINT "merchant_invite_codes_created_by_fkey" FOREIGN KEY (created_by) REFERENCES rebate.members(id),
  CONSTRAINT "merchant_invite_codes_label_check" CHECK (((char_length(label) >= 1) AND (char_length(label) <= 40))),
  CONSTRAINT "merchant_invite_codes_pkey" PRIMARY KEY (code)
);

ALTER TABLE "rebate"."merchant_invite_codes"
  ENABLE ROW LEVEL SECURITY;

-- the foreign key's index (deleting or re-keying the referenced row, and lookups by it)
CREATE INDEX merchant_invite_codes_created_by_idx ON rebate.merchant_invite_codes USING btree (created_by);

CREATE TABLE "rebate"."merchant_applications" (
  "id"                  bigint                   GENERATED ALWAYS AS IDENTITY NOT NULL,
  "applicant_id"        uuid                     NOT NULL,
  "invite_code"         text                     NOT NULL,
  "recruiter_member_id" uuid,  -- null: a platform invite code
  "store_name"          text                     NOT NULL,
  "contact_name"        text                     NOT NULL,
  "contact_phone"       text                     NOT NULL,
  "address"             text                     NOT NULL,
  "licence_no"          text                     NOT NULL,
  "status"              text                     NOT NULL DEFAULT 'pending'::text,
  "reject_reason"       text,
  "decided_by"          uuid,
  "decided_at"          timestamp with time zone,
  "store_id"            bigint,
  "created_at"          timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT "merchant_applications_address_check" CHECK (((char_length(address) >= 1) AND (char_length(address) <= 120))),
  CONSTRAINT "merchant_applications_applicant_id_fkey" FOREIGN KEY (applicant_id) REFERENCES rebate.members(id),
  CONSTRAINT "merchant_applications_contact_name_check" CHECK (((char_length(contact_name) >= 1) AND (char_length(contact_name) <= 20))),
  CONSTRAINT "merchant_applications_contact_phone_check" CHECK ((contact_phone ~ '^(1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})$'::text)),
  CONSTRAINT "merchant_applications_decided_by_fkey" FOREIGN KEY (decided_by) REFERENCES rebate.members(id),
  CONSTRAINT "merchant_applications_decision" CHECK (
CASE status
    WHEN 'pending'::text THEN ((decided_at IS NULL) AND (store_id IS NULL) AND (reject_reason IS NULL))
    WHEN 'approved'::text THEN ((decided_at IS NOT NULL) AND (store_id IS NOT NULL) AND (reject_reason IS NULL))
    WHEN 'rejected'::text THEN ((decided_at IS NOT NULL) AND (store_id IS NULL) AND (reject_reason IS NOT NULL))
    ELSE NULL::boolean
END),
  CONSTRAINT "merchant_applications_invite_code_check" CHECK ((invite_code ~ '^[A-Z0-9]{4,24}$'::text)),
  CONSTRAINT "merchant_applications_licence_no_check" CHECK ((licence_no ~ '^([0-9A-Z]{15}|[0-9A-Z]{18})$'::text)),
  CONSTRAINT "merchant_applications_pkey" PRIMARY KEY (id),
  CONSTRAINT "merchant_applications_recruiter_member_id_fkey" FOREIGN KEY (recruiter_member_id) REFERENCES rebate.members(id),
  CONSTRAINT "merchant_applications_reject_reason_check" CHECK (((reject_reason IS NULL) OR ((char_length(reject_reason) >= 1) AND (char_length(reject_reason) <= 200)))),
  CONSTRAINT "merchant_applications_status_check" CHECK ((status = ANY (ARRAY['pending'::text, 'approved'::text, 'rejected'::text]))),
  CONSTRAINT "merchant_applications_store_name_check" CHECK (((char_length(store_name) >= 1) AND (char_length(store_name) <= 40)))
);

ALTER TABLE "rebate"."merchant_applications"
  ENABLE ROW LEVEL SECURITY;

CREATE INDEX merchant_applications_applicant_idx ON rebate.merchant_applications USING btree (applicant_id, id);

CREATE UNIQUE INDEX merchant_applications_one_pending_idx ON rebate.merchant_applications USING btree (applicant_id)
  WHERE (status = 'pending'::text);

CREATE INDEX merchant_applications_status_idx ON rebate.merchant_applications USING btree (status, id);

-- the foreign key's index (deleting or re-keying the referenced row, and lookups by it)
CREATE INDEX merchant_applications_decided_by_idx ON rebate.merchant_applications USING btree (decided_by) WHERE (decided_by IS NOT NULL);

-- the foreign key's index (deleting or re-keying the referenced row, and lookups by it)
CREATE INDEX merchant_applications_recruiter_idx ON rebate.merchant_applications USING btree (recruiter_member_id) WHERE (recruiter_member_id IS NOT NULL);

-- the foreign key's index (deleting or re-keying the referenced row, and lookups by it)
CREATE INDEX merchant_applications_store_idx ON rebate.merchant_applications USING btree (store_id) WHERE (store_id IS NOT NULL);

-- ============================================================ functions

CREATE OR REPLACE FUNCTION rebate.application_json (
  a rebate.merchant_applications
)
  RETURNS jsonb
  LANGUAGE sql
  STABLE
  SET search_path TO ''
  AS $function$
  select jsonb_build_object(
    'application_id', a.id, 'status', a.status,
    'status_label', case a.status when 'pending' then '审核中' when 'approved' then '已通过' else '已驳回' end,
    'store_name', a.store_name, 'contact_name', a.contact_name, 'contact_phone', a.contact_phone,
    'address', a.address, 'licence_no', a.licence_no, 'invite_code', a.invite_code,
    'platform_invite', a.recruiter_member_id is null,
    'reject_reason', a.reject_reason, 'store_id', a.store_id, 'created_at', a.created_at, 'decided_at', a.decided_at)
$function$;
comment on function rebate.application_json(a rebate.merchant_applications) is 'A merchant application as the API returns it.';
revoke all on function rebate.application_json(a rebate.merchant_applications) from public, anon, authenticated, service_role;

-- Raises unless the caller owns the store (or is an admin); returns the store.
CREATE OR REPLACE FUNCTION rebate.require_store_owner (
  p_store_id bigint
)
  RETURNS rebate.stores
  LANGUAGE plpgsql
  STABLE
  SET search_path TO ''
  AS $function$
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
$function$;
comment on function rebate.require_store_owner(p_store_id bigint) is 'Raises unless the caller owns the store (or is an admin); returns the store.';
revoke all on function rebate.require_store_owner(p_store_id bigint) from public, anon, authenticated, service_role;

-- Who a merchant invite code belongs to: a platform code (recruiter null); a member whose team
-- level may recruit merchants (the recruiter); or a platform admin's member code (for the
-- platform: recruiter null). Raises invalid_merchant_invite otherwise.
CREATE OR REPLACE FUNCTION rebate.resolve_merchant_invite (
  p_code text,
  OUT    code text,
  OUT    recruiter_id uuid,
  OUT    recruiter_nickname text,
  OUT    platform boolean
)
  RETURNS record
  LANGUAGE plpgsql
  STABLE
  SET search_path TO ''
  AS $function$
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
$function$;
comment on function rebate.resolve_merchant_invite(p_code text, OUT code text, OUT recruiter_id uuid, OUT recruiter_nickname text, OUT platform boolean) is 'Who a merchant invite code belongs to: a platform code (recruiter null); a member whose team level may recruit merchants (the recruiter); or a platform admin''s member code (for the platform: recruiter null). Raises invalid_merchant_invite otherwise.';
revoke all on function rebate.resolve_merchant_invite(p_code text, OUT code text, OUT recruiter_id uuid, OUT recruiter_nickname text, OUT platform boolean) from public, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION rebate.store_json (
  p_store_id bigint
)
  RETURNS jsonb
  LANGUAGE sql
  STABLE
  SET search_path TO ''
  AS $function$
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
$function$;
comment on function rebate.store_json(p_store_id bigint) is 'A store with its cashier as the API returns it.';
revoke all on function rebate.store_json(p_store_id bigint) from public, anon, authenticated, service_role;

-- Approves an application: creates the approved store (owner: the applicant, recruiter: whoever
-- invited) and its cashier; their queues follow (engine triggers). Approving an approved
-- application again returns the same store (replayed).
CREATE OR REPLACE FUNCTION public.admin_approve_merchant_application (
  p_application_id bigint
)
  RETURNS jsonb
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_admin uuid := rebate.require_role('operations');
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
  perform rebate.audit('merchant_application.approve', 'merchant_application', a.id::text, jsonb_build_object('status', 'pending'),
                       jsonb_build_object('status', a.status, 'store_id', v_store_id), null);
  return rebate.application_json(a) || jsonb_build_object('store', rebate.store_json(v_store_id), 'replayed', false);
end;
$function$;
comment on function public.admin_approve_merchant_application(p_application_id bigint) is 'Approves an application: creates the approved store (owner: the applicant, recruiter: whoever invited) and its cashier; their queues follow (engine triggers). Approving an approved application again returns the same store (replayed).';
revoke all on function public.admin_approve_merchant_application(p_application_id bigint) from public, anon, authenticated, service_role;
grant execute on function public.admin_approve_merchant_application(p_application_id bigint) to authenticated;

-- Issues a platform merchant invite code (scene 'm=<code>').
CREATE OR REPLACE FUNCTION public.admin_create_merchant_invite_code (
  p_label text
)
  RETURNS jsonb
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_admin uuid := rebate.require_role('operations');
  c rebate.merchant_invite_codes;
begin
  if char_length(btrim(coalesce(p_label, ''))) not between 1 and 40 then
    raise exception using errcode = 'P0001', message = 'invalid_label', hint = '请填写备注（1 到 40 个字）';
  end if;
  insert into rebate.merchant_invite_codes (code, label, created_by)
  values (rebate.new_code('P', 9, 'merchant_invite_codes'), btrim(p_label), v_admin)
  returning * into c;
  perform rebate.audit('merchant_invite_code.create', 'merchant_invite_code', c.code, null, to_jsonb(c), null);
  return to_jsonb(c) || jsonb_build_object('scene', 'm=' || c.code, 'page', rebate.scene_page('merchant'));
end;
$function$;
comment on function public.admin_create_merchant_invite_code(p_label text) is 'Issues a platform merchant invite code (scene ''m=<code>'').';
revoke all on function public.admin_create_merchant_invite_code(p_label text) from public, anon, authenticated, service_role;
grant execute on function public.admin_create_merchant_invite_code(p_label text) to authenticated;

CREATE OR REPLACE FUNCTION public.admin_list_merchant_applications (
  p_status    text    DEFAULT 'pending'::text,
  p_before_id bigint  DEFAULT NULL::bigint,
  p_limit     integer DEFAULT 20
)
  RETURNS TABLE (
    application_id        bigint,
    status                text,
    store_name            text,
    contact_name          text,
    contact_phone         text,
    address               text,
    licence_no            text,
    invite_code           text,
    applicant_member_code text,
    applicant_nickname    text,
    recruiter_member_code text,
    recruiter_nickname    text,
    reject_reason         text,
    store_id              bigint,
    created_at            timestamp with time zone,
    decided_at            timestamp with time zone
  )
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
begin
  perform rebate.require_role('operations', 'finance');
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
$function$;
comment on function public.admin_list_merchant_applications(p_status text, p_before_id bigint, p_limit integer) is 'Administrator: merchant applications by status, newest first (keyset on id).';
revoke all on function public.admin_list_merchant_applications(p_status text, p_before_id bigint, p_limit integer) from public, anon, authenticated, service_role;
grant execute on function public.admin_list_merchant_applications(p_status text, p_before_id bigint, p_limit integer) to authenticated;

CREATE OR REPLACE FUNCTION public.admin_list_merchant_invite_codes()
  RETURNS TABLE (
    code              text,
    label             text,
    active            boolean,
    scene             text,
    page              text,
    application_count bigint,
    created_at        timestamp with time zone
  )
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
begin
  perform rebate.require_role('operations', 'finance');
  return query
    select c.code, c.label, c.active, 'm=' || c.code, rebate.scene_page('merchant'),
           (select count(*) from rebate.merchant_applications a where a.invite_code = c.code), c.created_at
      from rebate.merchant_invite_codes c
     order by c.created_at desc, c.code;
end;
$function$;
comment on function public.admin_list_merchant_invite_codes() is 'Administrator: the merchant invite codes.';
revoke all on function public.admin_list_merchant_invite_codes() from public, anon, authenticated, service_role;
grant execute on function public.admin_list_merchant_invite_codes() to authenticated;

-- Every store (any status) with its cashier and settings.
CREATE OR REPLACE FUNCTION public.admin_list_stores (
  p_status text DEFAULT NULL::text
)
  RETURNS jsonb
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
begin
  perform rebate.require_role('operations', 'finance');
  if p_status is not null and p_status not in ('pending', 'approved', 'suspended') then
    raise exception using errcode = 'P0001', message = 'invalid_status', hint = '状态无效';
  end if;
  return coalesce((select jsonb_agg(rebate.store_json(st.id) order by st.id)
                     from rebate.stores st where p_status is null or st.status = p_status), '[]'::jsonb);
end;
$function$;
comment on function public.admin_list_stores(p_status text) is 'Every store (any status) with its cashier and settings.';
revoke all on function public.admin_list_stores(p_status text) from public, anon, authenticated, service_role;
grant execute on function public.admin_list_stores(p_status text) to authenticated;

CREATE OR REPLACE FUNCTION public.admin_reject_merchant_application (
  p_application_id bigint,
  p_reason         text
)
  RETURNS jsonb
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_admin uuid := rebate.require_role('operations');
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
  perform rebate.audit('merchant_application.reject', 'merchant_application', a.id::text, jsonb_build_object('status', 'pending'),
                       jsonb_build_object('status', a.status), a.reject_reason);
  return rebate.application_json(a);
end;
$function$;
comment on function public.admin_reject_merchant_application(p_application_id bigint, p_reason text) is 'Administrator: rejects a pending merchant application with a reason; the applicant is told.';
revoke all on function public.admin_reject_merchant_application(p_application_id bigint, p_reason text) from public, anon, authenticated, service_role;
grant execute on function public.admin_reject_merchant_application(p_application_id bigint, p_reason text) to authenticated;

CREATE OR REPLACE FUNCTION public.admin_set_merchant_invite_code_active (
  p_code   text,
  p_active boolean
)
  RETURNS jsonb
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  c rebate.merchant_invite_codes;
begin
  perform rebate.require_role('operations');
  if p_active is null then
    raise exception using errcode = 'P0001', message = 'invalid_setting', hint = '请选择启用或停用';
  end if;
  update rebate.merchant_invite_codes x set active = p_active where x.code = upper(btrim(coalesce(p_code, '')))
  returning * into c;
  if not found then
    raise exception using errcode = 'P0001', message = 'merchant_invite_not_found', hint = '招商码不存在';
  end if;
  perform rebate.audit('merchant_invite_code.set_active', 'merchant_invite_code', c.code, null, jsonb_build_object('active', p_active), null);
  return to_jsonb(c);
end;
$function$;
comment on function public.admin_set_merchant_invite_code_active(p_code text, p_active boolean) is 'Administrator: switches a merchant invite code on or off.';
revoke all on function public.admin_set_merchant_invite_code_active(p_code text, p_active boolean) from public, anon, authenticated, service_role;
grant execute on function public.admin_set_merchant_invite_code_active(p_code text, p_active boolean) to authenticated;

-- Cashier settings (收银台独立设置): {"rebate_enabled", "extraction_bps", "reward_bps"}.
CREATE OR REPLACE FUNCTION public.admin_update_cashier (
  p_cashier_id bigint,
  p_patch      jsonb
)
  RETURNS jsonb
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  c rebate.cashiers;
begin
  perform rebate.require_role('operations');
  if p_patch is null or jsonb_typeof(p_patch) <> 'object' or p_patch = '{}'::jsonb
     or exists (select 1 from jsonb_object_keys(p_patch) k where k not in ('rebate_enabled', 'extraction_bps', 'reward_bps')) then
    raise exception using errcode = 'P0001', message = 'invalid_settings', hint = '设置内容无效';
  end if;
  select * into c from rebate.cashiers x where x.id = p_cashier_id for update;
  if not found then
    raise exception using errcode = 'P0001', message = 'cashier_not_found', hint = '收银台不存在';
  end if;
  perform rebate.check_rule_patch('cashier', p_patch, '收银台');
  update rebate.cashiers x set
    rebate_enabled = case when p_patch ? 'rebate_enabled' then (p_patch ->> 'rebate_enabled')::boolean else x.rebate_enabled end,
    extraction_bps = case when p_patch ? 'extraction_bps' then (p_patch ->> 'extraction_bps')::integer else x.extraction_bps end,
    reward_bps = case when p_patch ? 'reward_bps' then (p_patch ->> 'reward_bps')::integer else x.reward_bps end
   where x.id = c.id;
  perform rebate.audit('cashier.update', 'cashier', c.id::text,
                       (select jsonb_object_agg(k, to_jsonb(c) -> k) from jsonb_object_keys(p_patch) k),
                       (select jsonb_object_agg(k, to_jsonb(x) -> k) from jsonb_object_keys(p_patch) k, rebate.cashiers x where x.id = c.id), null);
  return rebate.store_json(c.store_id);
end;
$function$;
comment on function public.admin_update_cashier(p_cashier_id bigint, p_patch jsonb) is 'Cashier settings (收银台独立设置): {"rebate_enabled", "extraction_bps", "reward_bps"}.';
revoke all on function public.admin_update_cashier(p_cashier_id bigint, p_patch jsonb) from public, anon, authenticated, service_role;
grant execute on function public.admin_update_cashier(p_cashier_id bigint, p_patch jsonb) to authenticated;

-- Store settings (门店独立设置): {"name", "status", "rebate_enabled", "extraction_bps", "reward_bps",
-- "commission_bps"}; the two ratios accept null (= inherit the plugin default); commission_bps is
-- the platform's 抽成 of the store's sales (union mode, SPEC §13.3).
CREATE OR REPLACE FUNCTION public.admin_update_store (
  p_store_id bigint,
  p_patch    jsonb
)
  RETURNS jsonb
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  st rebate.stores;
begin
  perform rebate.require_role('operations');
  if p_patch is null or jsonb_typeof(p_patch) <> 'object' or p_patch = '{}'::jsonb
     or exists (select 1 from jsonb_object_keys(p_patch) k
                 where k not in ('name', 'status', 'rebate_enabled', 'extraction_bps', 'reward_bps', 'commission_bps')) then
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
  perform rebate.check_rule_patch('store', p_patch - 'name' - 'status', '门店');
  update rebate.stores s set
    name = case when p_patch ? 'name' then btrim(p_patch ->> 'name') else s.name end,
    status = case when p_patch ? 'status' then p_patch ->> 'status' else s.status end,
    rebate_enabled = case when p_patch ? 'rebate_enabled' then (p_patch ->> 'rebate_enabled')::boolean else s.rebate_enabled end,
    extraction_bps = case when p_patch ? 'extraction_bps' then (p_patch ->> 'extraction_bps')::integer else s.extraction_bps end,
    reward_bps = case when p_patch ? 'reward_bps' then (p_patch ->> 'reward_bps')::integer else s.reward_bps end,
    commission_bps = case when p_patch ? 'commission_bps' then (p_patch ->> 'commission_bps')::integer else s.commission_bps end
   where s.id = st.id;
  perform rebate.audit('store.update', 'store', st.id::text,
                       (select jsonb_object_agg(k, to_jsonb(st) -> k) from jsonb_object_keys(p_patch) k),
                       (select jsonb_object_agg(k, to_jsonb(x) -> k) from jsonb_object_keys(p_patch) k, rebate.stores x where x.id = st.id), null);
  return rebate.store_json(st.id);
end;
$function$;
comment on function public.admin_update_store(p_store_id bigint, p_patch jsonb) is 'Store settings (门店独立设置): {"name", "status", "rebate_enabled", "extraction_bps", "reward_bps", "commission_bps"}; the two ratios accept null (= inherit the plugin default); commission_bps is the platform''s 抽成 of the store''s sales (union mode, SPEC §13.3).';
revoke all on function public.admin_update_store(p_store_id bigint, p_patch jsonb) from public, anon, authenticated, service_role;
grant execute on function public.admin_update_store(p_store_id bigint, p_patch jsonb) to authenticated;

-- What the join page shows for a merchant invite code (招商码) before the form: whose code it
-- is, and my latest application (any status: a re-scan shows where it stands; pending_application
-- is the one under review, if any). My own 招商码 is refused here as submit refuses it (self_invite).
CREATE OR REPLACE FUNCTION public.merchant_invite_info (
  p_invite_code text
)
  RETURNS jsonb
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_uid uuid := rebate.require_member();
  v record;
  a rebate.merchant_applications;
begin
  select * into v from rebate.resolve_merchant_invite(p_invite_code);
  if v.recruiter_id = v_uid then
    raise exception using errcode = 'P0001', message = 'self_invite', hint = '不能使用自己的招商码申请入驻';
  end if;
  -- one pending application at a time, and a new one only once none is pending: the latest is the pending one if any
  select * into a from rebate.merchant_applications x where x.applicant_id = v_uid order by x.id desc limit 1;
  return jsonb_build_object(
    'invite_code', v.code,
    'platform', v.platform,
    'recruiter_nickname_masked', case when v.platform then null else rebate.mask_name(v.recruiter_nickname) end,
    'pending_application', case when a.status = 'pending' then rebate.application_json(a) end,
    'latest_application', case when a.id is not null then rebate.application_json(a) end);
end;
$function$;
comment on function public.merchant_invite_info(p_invite_code text) is 'What the join page shows for a merchant invite code (招商码) before the form: whose code it is, and my latest application (any status: a re-scan shows where it stands; pending_application is the one under review, if any). My own 招商码 is refused here as submit refuses it (self_invite).';
revoke all on function public.merchant_invite_info(p_invite_code text) from public, anon, authenticated, service_role;
grant execute on function public.merchant_invite_info(p_invite_code text) to authenticated;

-- My applications, newest first.
CREATE OR REPLACE FUNCTION public.my_merchant_applications()
  RETURNS jsonb
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_uid uuid := rebate.require_member();
begin
  return coalesce((select jsonb_agg(rebate.application_json(a) order by a.id desc)
                     from rebate.merchant_applications a where a.applicant_id = v_uid), '[]'::jsonb);
end;
$function$;
comment on function public.my_merchant_applications() is 'My applications, newest first.';
revoke all on function public.my_merchant_applications() from public, anon, authenticated, service_role;
grant execute on function public.my_merchant_applications() to authenticated;

-- The stores I own, with the cashier code and its scene/page.
CREATE OR REPLACE FUNCTION public.my_stores()
  RETURNS jsonb
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_uid uuid := rebate.require_member();
begin
  return coalesce((select jsonb_agg(rebate.store_json(st.id) order by st.id)
                     from rebate.stores st where st.owner_member_id = v_uid), '[]'::jsonb);
end;
$function$;
comment on function public.my_stores() is 'The stores I own, with the cashier code and its scene/page.';
revoke all on function public.my_stores() from public, anon, authenticated, service_role;
grant execute on function public.my_stores() to authenticated;

-- One of my store's orders (online and cashier), newest first; buyers masked.
CREATE OR REPLACE FUNCTION public.store_orders (
  p_store_id  bigint,
  p_status    text    DEFAULT NULL::text,
  p_before_id bigint  DEFAULT NULL::bigint,
  p_limit     integer DEFAULT 20
)
  RETURNS TABLE (
    order_id              bigint,
    order_no              text,
    channel               text,
    status                text,
    status_label          text,
    buyer_nickname_masked text,
    goods_fen             bigint,
    pay_fen               bigint,
    refunded_fen          bigint,
    item_count            integer,
    first_item            text,
    created_at            timestamp with time zone,
    paid_at               timestamp with time zone,
    completed_at          timestamp with time zone
  )
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
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
$function$;
comment on function public.store_orders(p_store_id bigint, p_status text, p_before_id bigint, p_limit integer) is 'One of my store''s orders (online and cashier), newest first; buyers masked.';
revoke all on function public.store_orders(p_store_id bigint, p_status text, p_before_id bigint, p_limit integer) from public, anon, authenticated, service_role;
grant execute on function public.store_orders(p_store_id bigint, p_status text, p_before_id bigint, p_limit integer) to authenticated;

-- The merchants I recruited (招商): every application made with my 招商码, newest first, with
-- its status, the store it became and the recruit rewards (招商奖励) its sales paid me (net of
-- refunds). Applicants are masked; the contact details stay with the platform.
CREATE OR REPLACE FUNCTION public.my_recruited_merchants (
  p_before_id bigint  DEFAULT NULL::bigint,
  p_limit     integer DEFAULT 20
)
  RETURNS TABLE (
    application_id            bigint,
    store_name                text,
    applicant_nickname_masked text,
    status                    text,
    status_label              text,
    store_id                  bigint,
    store_status              text,
    applied_at                timestamp with time zone,
    decided_at                timestamp with time zone,
    reward_count              bigint,
    reward_fen                bigint
  )
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_uid uuid := rebate.require_member();
begin
  if p_limit is null or p_limit not between 1 and 100 then
    raise exception using errcode = 'P0001', message = 'invalid_limit', hint = '每页数量应在 1 到 100 之间';
  end if;
  return query
    select a.id, a.store_name, rebate.mask_name(m.nickname), a.status,
           case a.status when 'pending' then '审核中' when 'approved' then '已通过' else '已驳回' end,
           a.store_id, st.status, a.created_at, a.decided_at,
           coalesce(rw.n, 0)::bigint, coalesce(rw.fen, 0)::bigint
      from rebate.merchant_applications a
      join rebate.members m on m.id = a.applicant_id
      left join rebate.stores st on st.id = a.store_id
      left join lateral (
        select count(*) as n, sum(x.amount_fen - x.reversed_fen) as fen
          from rebate.rewards x
          join rebate.orders o on o.id = x.order_id
         where x.member_id = v_uid and x.kind = 'merchant_recruit' and o.store_id = a.store_id) rw on a.store_id is not null
     where a.recruiter_member_id = v_uid
       and (p_before_id is null or a.id < p_before_id)
     order by a.id desc
     limit p_limit;
end;
$function$;
comment on function public.my_recruited_merchants(p_before_id bigint, p_limit integer) is 'The merchants I recruited (招商): every application made with my 招商码, newest first, with its status, the store it became and the recruit rewards (招商奖励) its sales paid me (net of refunds). Applicants are masked; the contact details stay with the platform.';
revoke all on function public.my_recruited_merchants(p_before_id bigint, p_limit integer) from public, anon, authenticated, service_role;
grant execute on function public.my_recruited_merchants(p_before_id bigint, p_limit integer) to authenticated;

-- My store's queue statistics: its own store queue and cashier queue (shared all-stores /
-- all-cashiers queues are not shown: they hold other stores' members), and its order totals
-- (today = Asia/Shanghai).
CREATE OR REPLACE FUNCTION public.store_queue_stats (
  p_store_id bigint
)
  RETURNS jsonb
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
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
$function$;
comment on function public.store_queue_stats(p_store_id bigint) is 'My store''s queue statistics: its own store queue and cashier queue (shared all-stores / all-cashiers queues are not shown: they hold other stores'' members), and its order totals (today = Asia/Shanghai).';
revoke all on function public.store_queue_stats(p_store_id bigint) from public, anon, authenticated, service_role;
grant execute on function public.store_queue_stats(p_store_id bigint) to authenticated;

-- 入驻申请. One pending application per member at a time.
CREATE OR REPLACE FUNCTION public.submit_merchant_application (
  p_invite_code   text,
  p_store_name    text,
  p_contact_name  text,
  p_contact_phone text,
  p_address       text,
  p_licence_no    text DEFAULT NULL::text
)
  RETURNS public.merchant_application_details
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
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
  return jsonb_populate_record(null::public.merchant_application_details, rebate.application_json(a));
end;
$function$;
comment on function public.submit_merchant_application(p_invite_code text, p_store_name text, p_contact_name text, p_contact_phone text, p_address text, p_licence_no text) is '入驻申请. One pending application per member at a time.';
revoke all on function public.submit_merchant_application(p_invite_code text, p_store_name text, p_contact_name text, p_contact_phone text, p_address text, p_licence_no text) from public, anon, authenticated, service_role;
grant execute on function public.submit_merchant_application(p_invite_code text, p_store_name text, p_contact_name text, p_contact_phone text, p_address text, p_licence_no text) to authenticated;

-- 我的门店: every store I own, with its status, cashier code (scene and page for its QR code),
-- today's and the last 30 days' sales of online orders and cashier payments apart, and its own
-- queues (waiting, owed, paid out).
CREATE OR REPLACE FUNCTION public.my_store_dashboards()
  RETURNS SETOF public.store_dashboard
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_uid uuid := rebate.require_member();
  v_today timestamptz := date_trunc('day', now() at time zone 'Asia/Shanghai') at time zone 'Asia/Shanghai';
begin
  return query
    select st.id, st.code, st.name, st.status,
           case st.status when 'approved' then '营业中' when 'pending' then '审核中' when 'suspended' then '已暂停' else st.status end,
           c.code, case when c.id is not null then 'c=' || c.code end,
           case when c.id is not null then rebate.scene_page('cashier') end,
           (select row(count(*) filter (where o.paid_at >= v_today),
                       coalesce(sum(o.pay_fen - o.refunded_fen) filter (where o.paid_at >= v_today), 0),
                       count(*), coalesce(sum(o.pay_fen - o.refunded_fen), 0))::public.store_sales
              from rebate.orders o
             where o.store_id = st.id and o.channel = 'store' and o.paid_at >= v_today - interval '29 days'),
           (select row(count(*) filter (where o.paid_at >= v_today),
                       coalesce(sum(o.pay_fen - o.refunded_fen) filter (where o.paid_at >= v_today), 0),
                       count(*), coalesce(sum(o.pay_fen - o.refunded_fen), 0))::public.store_sales
              from rebate.orders o
             where o.store_id = st.id and o.channel = 'cashier' and o.paid_at >= v_today - interval '29 days'),
           array(select row(q.id, q.scope, q.name, q.closed_at is null,
                            (select count(*) from rebate.entries e where e.queue_id = q.id and e.status = 'waiting'),
                            (select coalesce(sum(e.entitlement_fen - e.received_fen), 0)::bigint
                               from rebate.entries e where e.queue_id = q.id and e.status = 'waiting'),
                            q.total_distributed_fen, q.total_entitlement_fen)::public.store_queue_stat
                   from rebate.queues q
                  where q.store_id = st.id or q.cashier_id = c.id
                  order by q.id)
      from rebate.stores st
      left join rebate.cashiers c on c.store_id = st.id
     where st.owner_member_id = v_uid
     order by st.id;
end;
$function$;
comment on function public.my_store_dashboards() is '我的门店: every store I own, with its status, cashier code (scene and page for its QR code), today''s and the last 30 days'' sales of online orders and cashier payments apart, and its own queues (waiting, owed, paid out).';
revoke all on function public.my_store_dashboards() from public, anon, authenticated, service_role;
grant execute on function public.my_store_dashboards() to authenticated;

-- ============================================================ constraints

ALTER TABLE "rebate"."merchant_applications"
  ADD CONSTRAINT "merchant_applications_store_id_fkey" FOREIGN KEY (store_id) REFERENCES rebate.stores(id);

ALTER TABLE "rebate"."stores"
  ADD CONSTRAINT "stores_application_fk" FOREIGN KEY (application_id) REFERENCES rebate.merchant_applications(id);

-- ============================================================ policies

CREATE POLICY "Applicants can read their own applications" ON "rebate"."merchant_applications"
  FOR SELECT
  TO "authenticated"
  USING ((applicant_id = ( SELECT auth.uid() AS uid)));

-- ============================================================ grants

GRANT SELECT ON TABLE "rebate"."merchant_invite_codes" TO "service_role";

GRANT SELECT ON TABLE "rebate"."merchant_applications" TO "service_role";
