-- The operators' console (运营后台): staff roles, the audit trail, scan-to-login tickets, the
-- dashboard, server-side lists and the audited manual corrections.
-- SPEC §15.
-- The source of truth (docs/database.md): edit here, then `npm run db:diff -- <name>` writes the migration.

-- ============================================================ tables

-- Who may use the console, and as what. A member may hold several roles; a store owner's role
-- names the store. The admin role mirrors members.is_admin (a trigger keeps them together).
CREATE TABLE "rebate"."staff_roles" (
  "id"         bigint                   GENERATED ALWAYS AS IDENTITY NOT NULL,
  "member_id"  uuid                     NOT NULL,
  "role"       text                     NOT NULL,  -- admin 超级管理员 | operations 运营 | finance 财务 | store_owner 店主
  "store_id"   bigint,  -- store_owner only
  "granted_by" uuid,
  "granted_at" timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT "staff_roles_granted_by_fkey" FOREIGN KEY (granted_by) REFERENCES rebate.members(id),
  CONSTRAINT "staff_roles_member_id_fkey" FOREIGN KEY (member_id) REFERENCES rebate.members(id),
  CONSTRAINT "staff_roles_pkey" PRIMARY KEY (id),
  CONSTRAINT "staff_roles_role_check" CHECK ((role = ANY (ARRAY['admin'::text, 'operations'::text, 'finance'::text, 'store_owner'::text]))),
  CONSTRAINT "staff_roles_store" CHECK (((role = 'store_owner'::text) = (store_id IS NOT NULL))),
  CONSTRAINT "staff_roles_store_id_fkey" FOREIGN KEY (store_id) REFERENCES rebate.stores(id)
);

ALTER TABLE "rebate"."staff_roles"
  ENABLE ROW LEVEL SECURITY;

-- one row per member, role and store; also the member_id foreign key's index
CREATE UNIQUE INDEX staff_roles_member_role_key ON rebate.staff_roles USING btree (member_id, role, COALESCE(store_id, (0)::bigint));
-- the foreign keys' indexes
CREATE INDEX staff_roles_store_id_idx ON rebate.staff_roles USING btree (store_id) WHERE (store_id IS NOT NULL);
CREATE INDEX staff_roles_granted_by_idx ON rebate.staff_roles USING btree (granted_by) WHERE (granted_by IS NOT NULL);

-- Every change made through the console: who, when, what object, before, after, why.
-- Append-only (a trigger refuses update, delete and truncate); written in the changing transaction.
CREATE TABLE "rebate"."audit_log" (
  "id"          bigint                   GENERATED ALWAYS AS IDENTITY NOT NULL,
  "actor_id"    uuid,  -- null: the service role (an edge function or a schedule)
  "actor_roles" text[]                   NOT NULL DEFAULT '{}'::text[],
  "action"      text                     NOT NULL,  -- e.g. settings.update, withdrawal.approve
  "object_type" text                     NOT NULL,  -- e.g. settings, withdrawal, entry, wallet
  "object_id"   text,
  "before"      jsonb,
  "after"       jsonb,
  "reason"      text,
  "created_at"  timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT "audit_log_action_check" CHECK (((char_length(action) >= 1) AND (char_length(action) <= 60))),
  CONSTRAINT "audit_log_actor_id_fkey" FOREIGN KEY (actor_id) REFERENCES rebate.members(id),
  CONSTRAINT "audit_log_object_type_check" CHECK (((char_length(object_type) >= 1) AND (char_length(object_type) <= 40))),
  CONSTRAINT "audit_log_pkey" PRIMARY KEY (id),
  CONSTRAINT "audit_log_reason_check" CHECK (((reason IS NULL) OR (char_length(reason) <= 200)))
);

ALTER TABLE "rebate"."audit_log"
  ENABLE ROW LEVEL SECURITY;

-- the foreign key's index, and the 操作日志 page's filters (person, object; newest first)
CREATE INDEX audit_log_actor_id_idx ON rebate.audit_log USING btree (actor_id, id DESC);
CREATE INDEX audit_log_object_idx ON rebate.audit_log USING btree (object_type, object_id, id DESC);
CREATE INDEX audit_log_created_at_idx ON rebate.audit_log USING btree (created_at);

-- One-time console login tickets (扫码登录): created by the console (anon), shown as a QR code,
-- confirmed in the mini-program by a member holding a console role, redeemed once by the
-- console-login edge function with the secret only the console knows. Valid 2 minutes.
CREATE TABLE "rebate"."console_login_tickets" (
  "id"           uuid                     NOT NULL DEFAULT gen_random_uuid(),
  "secret_hash"  bytea                    NOT NULL,
  "created_at"   timestamp with time zone NOT NULL DEFAULT now(),
  "expires_at"   timestamp with time zone NOT NULL,
  "confirmed_by" uuid,
  "confirmed_at" timestamp with time zone,
  "redeemed_at"  timestamp with time zone,
  CONSTRAINT "console_login_tickets_confirmed" CHECK (((confirmed_by IS NULL) = (confirmed_at IS NULL))),
  CONSTRAINT "console_login_tickets_confirmed_by_fkey" FOREIGN KEY (confirmed_by) REFERENCES rebate.members(id),
  CONSTRAINT "console_login_tickets_pkey" PRIMARY KEY (id),
  CONSTRAINT "console_login_tickets_redeemed" CHECK (((redeemed_at IS NULL) OR (confirmed_at IS NOT NULL)))
);

ALTER TABLE "rebate"."console_login_tickets"
  ENABLE ROW LEVEL SECURITY;

-- the foreign key's index
CREATE INDEX console_login_tickets_confirmed_by_idx ON rebate.console_login_tickets USING btree (confirmed_by) WHERE (confirmed_by IS NOT NULL);
CREATE INDEX console_login_tickets_expires_at_idx ON rebate.console_login_tickets USING btree (expires_at);

-- 强制出队: an entry an operator took out of its queue (status voided, remaining forfeited).
CREATE TABLE "rebate"."forced_exits" (
  "entry_id"      bigint                   NOT NULL,
  "member_id"     uuid                     NOT NULL,
  "queue_id"      bigint                   NOT NULL,
  "forfeited_fen" bigint                   NOT NULL,
  "reason"        text                     NOT NULL,
  "decided_by"    uuid                     NOT NULL,
  "created_at"    timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT "forced_exits_decided_by_fkey" FOREIGN KEY (decided_by) REFERENCES rebate.members(id),
  CONSTRAINT "forced_exits_entry_id_fkey" FOREIGN KEY (entry_id) REFERENCES rebate.entries(id),
  CONSTRAINT "forced_exits_forfeited_fen_check" CHECK ((forfeited_fen >= 0)),
  CONSTRAINT "forced_exits_member_id_fkey" FOREIGN KEY (member_id) REFERENCES rebate.members(id),
  CONSTRAINT "forced_exits_pkey" PRIMARY KEY (entry_id),
  CONSTRAINT "forced_exits_queue_id_fkey" FOREIGN KEY (queue_id) REFERENCES rebate.queues(id),
  CONSTRAINT "forced_exits_reason_check" CHECK (((char_length(reason) >= 1) AND (char_length(reason) <= 200)))
);

ALTER TABLE "rebate"."forced_exits"
  ENABLE ROW LEVEL SECURITY;

-- the foreign keys' indexes
CREATE INDEX forced_exits_decided_by_idx ON rebate.forced_exits USING btree (decided_by);
CREATE INDEX forced_exits_member_id_idx ON rebate.forced_exits USING btree (member_id);
CREATE INDEX forced_exits_queue_id_idx ON rebate.forced_exits USING btree (queue_id);

-- 余额调整: a manual balance correction; its ledger row (reason manual_correction) carries the money.
CREATE TABLE "rebate"."balance_adjustments" (
  "ledger_id"  bigint                   NOT NULL,
  "member_id"  uuid                     NOT NULL,
  "asset"      text                     NOT NULL,
  "delta"      bigint                   NOT NULL,
  "reason"     text                     NOT NULL,
  "decided_by" uuid                     NOT NULL,
  "created_at" timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT "balance_adjustments_asset_check" CHECK ((asset = ANY (ARRAY['cash'::text, 'commission'::text, 'points'::text, 'love'::text]))),
  CONSTRAINT "balance_adjustments_decided_by_fkey" FOREIGN KEY (decided_by) REFERENCES rebate.members(id),
  CONSTRAINT "balance_adjustments_delta_check" CHECK ((delta <> 0)),
  CONSTRAINT "balance_adjustments_ledger_id_fkey" FOREIGN KEY (ledger_id) REFERENCES rebate.ledger(id),
  CONSTRAINT "balance_adjustments_member_id_fkey" FOREIGN KEY (member_id) REFERENCES rebate.members(id),
  CONSTRAINT "balance_adjustments_pkey" PRIMARY KEY (ledger_id),
  CONSTRAINT "balance_adjustments_reason_check" CHECK (((char_length(reason) >= 1) AND (char_length(reason) <= 200)))
);

ALTER TABLE "rebate"."balance_adjustments"
  ENABLE ROW LEVEL SECURITY;

-- the foreign keys' indexes
CREATE INDEX balance_adjustments_decided_by_idx ON rebate.balance_adjustments USING btree (decided_by);
CREATE INDEX balance_adjustments_member_id_idx ON rebate.balance_adjustments USING btree (member_id);

-- ============================================================ functions

-- The caller's console roles (admin first), or an empty array.
CREATE OR REPLACE FUNCTION rebate.caller_roles()
  RETURNS text[]
  LANGUAGE sql
  STABLE
  SET search_path TO ''
  AS $function$
  select coalesce(array_agg(distinct r.role order by r.role), '{}')
    from rebate.staff_roles r
   where r.member_id = (select auth.uid())
$function$;
comment on function rebate.caller_roles() is 'The console roles the signed-in member holds (admin, finance, operations, store_owner), or an empty array.';
revoke all on function rebate.caller_roles() from public, anon, authenticated, service_role;

-- Raises forbidden_role unless the caller holds one of the roles (超级管理员 always may);
-- returns the member id. require_role() with no role: any console role.
CREATE OR REPLACE FUNCTION rebate.require_role (
  VARIADIC p_roles text[] DEFAULT '{}'::text[]
)
  RETURNS uuid
  LANGUAGE plpgsql
  STABLE
  SET search_path TO ''
  AS $function$
declare
  v_uid uuid := rebate.require_member();
begin
  if not exists (select 1 from rebate.staff_roles r
                  where r.member_id = v_uid
                    and (r.role = 'admin' or r.role = any (p_roles) or cardinality(p_roles) = 0)) then
    raise exception using errcode = 'P0001', message = 'forbidden_role', hint = '没有权限执行此操作';
  end if;
  return v_uid;
end;
$function$;
comment on function rebate.require_role(p_roles text[]) is 'Raises forbidden_role unless the signed-in member holds one of the given console roles (admin always passes; no role given: any console role). Returns the member id.';
revoke all on function rebate.require_role(p_roles text[]) from public, anon, authenticated, service_role;

-- The stores a caller may see: null = every store (admin, operations, finance); otherwise
-- the stores it owns (store_owner). Raises forbidden_role for a member with no console role.
CREATE OR REPLACE FUNCTION rebate.console_store_scope()
  RETURNS bigint[]
  LANGUAGE plpgsql
  STABLE
  SET search_path TO ''
  AS $function$
declare
  v_uid uuid := rebate.require_role();
begin
  if exists (select 1 from rebate.staff_roles r where r.member_id = v_uid and r.role <> 'store_owner') then
    return null;
  end if;
  return array(select r.store_id from rebate.staff_roles r where r.member_id = v_uid and r.role = 'store_owner' order by 1);
end;
$function$;
comment on function rebate.console_store_scope() is 'The stores the console caller may see: null for staff who see everything, else the ids of the stores it owns.';
revoke all on function rebate.console_store_scope() from public, anon, authenticated, service_role;

-- Writes one audit row for the caller, in the calling transaction.
CREATE OR REPLACE FUNCTION rebate.audit (
  p_action      text,
  p_object_type text,
  p_object_id   text,
  p_before      jsonb,
  p_after       jsonb,
  p_reason      text DEFAULT NULL::text
)
  RETURNS bigint
  LANGUAGE sql
  SET search_path TO ''
  AS $function$
  insert into rebate.audit_log (actor_id, actor_roles, action, object_type, object_id, before, after, reason)
  select m.id, rebate.caller_roles(), p_action, p_object_type, p_object_id, p_before, p_after, left(p_reason, 200)
    from (select (select auth.uid()) as uid) u
    left join rebate.members m on m.id = u.uid
  returning id
$function$;
comment on function rebate.audit(p_action text, p_object_type text, p_object_id text, p_before jsonb, p_after jsonb, p_reason text) is 'Appends one audit row (who = the caller, when = now, what, before, after, reason) in the calling transaction; returns its id.';
revoke all on function rebate.audit(p_action text, p_object_type text, p_object_id text, p_before jsonb, p_after jsonb, p_reason text) from public, anon, authenticated, service_role;

-- A correction's reason: trimmed, 1 to 200 characters, or reason_required.
CREATE OR REPLACE FUNCTION rebate.require_reason (
  p_reason text
)
  RETURNS text
  LANGUAGE plpgsql
  IMMUTABLE
  SET search_path TO ''
  AS $function$
declare
  v text := btrim(coalesce(p_reason, ''));
begin
  if char_length(v) not between 1 and 200 or v ~ '[[:cntrl:]]' then
    raise exception using errcode = 'P0001', message = 'reason_required', hint = '请填写原因（1 到 200 个字）';
  end if;
  return v;
end;
$function$;
comment on function rebate.require_reason(p_reason text) is 'A manual change''s reason, trimmed: 1 to 200 characters without control characters, else reason_required.';
revoke all on function rebate.require_reason(p_reason text) from public, anon, authenticated, service_role;

-- members.is_admin and the admin role row are one fact: this trigger keeps the row in step.
CREATE OR REPLACE FUNCTION rebate.members_sync_admin_role()
  RETURNS trigger
  LANGUAGE plpgsql
  SET search_path TO ''
  AS $function$
begin
  if new.is_admin then
    insert into rebate.staff_roles (member_id, role, granted_by)
    values (new.id, 'admin', (select auth.uid()))
    on conflict (member_id, role, coalesce(store_id, 0::bigint)) do nothing;
  elsif tg_op = 'UPDATE' and old.is_admin then
    delete from rebate.staff_roles r where r.member_id = new.id and r.role = 'admin';
  end if;
  return null;
end;
$function$;
comment on function rebate.members_sync_admin_role() is 'Trigger: members.is_admin on gives the member the admin (超级管理员) role row, off removes it.';
revoke all on function rebate.members_sync_admin_role() from public, anon, authenticated, service_role;

-- A store's owner is its 店主: the role row follows stores.owner_member_id.
CREATE OR REPLACE FUNCTION rebate.stores_sync_owner_role()
  RETURNS trigger
  LANGUAGE plpgsql
  SET search_path TO ''
  AS $function$
begin
  if tg_op = 'UPDATE' and old.owner_member_id is distinct from new.owner_member_id and old.owner_member_id is not null then
    delete from rebate.staff_roles r
     where r.member_id = old.owner_member_id and r.role = 'store_owner' and r.store_id = new.id;
  end if;
  if new.owner_member_id is not null then
    insert into rebate.staff_roles (member_id, role, store_id, granted_by)
    values (new.owner_member_id, 'store_owner', new.id, (select auth.uid()))
    on conflict (member_id, role, coalesce(store_id, 0::bigint)) do nothing;
  end if;
  return null;
end;
$function$;
comment on function rebate.stores_sync_owner_role() is 'Trigger: a store''s owner holds the store_owner (店主) role for that store; a new owner takes it over.';
revoke all on function rebate.stores_sync_owner_role() from public, anon, authenticated, service_role;

-- The console's idea of who is signed in: profile, roles and owned stores.
CREATE OR REPLACE FUNCTION public.console_me()
  RETURNS jsonb
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_uid uuid := rebate.require_role();
begin
  return (select jsonb_build_object(
            'member_id', m.id, 'member_code', m.member_code, 'nickname', m.nickname,
            'roles', to_jsonb(rebate.caller_roles()),
            'stores', coalesce((select jsonb_agg(jsonb_build_object('store_id', s.id, 'code', s.code, 'name', s.name) order by s.id)
                                  from rebate.staff_roles r join rebate.stores s on s.id = r.store_id
                                 where r.member_id = v_uid and r.role = 'store_owner'), '[]'))
            from rebate.members m where m.id = v_uid);
end;
$function$;
comment on function public.console_me() is 'Console: the signed-in staff member (profile, roles, owned stores); forbidden_role for a member without a console role.';
revoke all on function public.console_me() from public, anon, authenticated, service_role;
grant execute on function public.console_me() to authenticated;

-- 角色: every role row with its member (超级管理员 only).
CREATE OR REPLACE FUNCTION public.admin_list_roles()
  RETURNS jsonb
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
begin
  perform rebate.require_role('admin');
  return coalesce((select jsonb_agg(jsonb_build_object(
             'role_id', r.id, 'role', r.role, 'store_id', r.store_id, 'store_name', s.name,
             'member_id', m.id, 'member_code', m.member_code, 'nickname', m.nickname, 'granted_at', r.granted_at)
             order by m.member_code, r.role, r.store_id)
            from rebate.staff_roles r
            join rebate.members m on m.id = r.member_id
            left join rebate.stores s on s.id = r.store_id), '[]');
end;
$function$;
comment on function public.admin_list_roles() is 'Console 角色 page: every staff role with its member and store (admin only).';
revoke all on function public.admin_list_roles() from public, anon, authenticated, service_role;
grant execute on function public.admin_list_roles() to authenticated;

-- Grants a console role to the member with this code (超级管理员 only), audited.
CREATE OR REPLACE FUNCTION public.admin_grant_role (
  p_member_code text,
  p_role        text,
  p_store_id    bigint DEFAULT NULL::bigint,
  p_reason      text   DEFAULT NULL::text
)
  RETURNS jsonb
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_admin uuid := rebate.require_role('admin');
  v_member uuid;
  r rebate.staff_roles;
begin
  select m.id into v_member from rebate.members m where m.member_code = upper(btrim(coalesce(p_member_code, '')));
  if v_member is null then
    raise exception using errcode = 'P0001', message = 'member_not_found', hint = '会员不存在';
  end if;
  if p_role is null or p_role not in ('admin', 'operations', 'finance', 'store_owner') then
    raise exception using errcode = 'P0001', message = 'invalid_role', hint = '角色无效';
  end if;
  if (p_role = 'store_owner') <> (p_store_id is not null)
     or (p_store_id is not null and not exists (select 1 from rebate.stores s where s.id = p_store_id)) then
    raise exception using errcode = 'P0001', message = 'invalid_role_store', hint = '店主角色须指定一家门店，其他角色不指定门店';
  end if;
  if p_role = 'admin' then
    update rebate.members m set is_admin = true where m.id = v_member;  -- the trigger adds the row
  else
    insert into rebate.staff_roles (member_id, role, store_id, granted_by)
    values (v_member, p_role, p_store_id, v_admin)
    on conflict (member_id, role, coalesce(store_id, 0::bigint)) do nothing;
  end if;
  select * into r from rebate.staff_roles x
   where x.member_id = v_member and x.role = p_role and x.store_id is not distinct from p_store_id;
  perform rebate.audit('role.grant', 'member', v_member::text, null,
                       jsonb_build_object('role', p_role, 'store_id', p_store_id, 'member_code', upper(btrim(p_member_code))),
                       nullif(btrim(coalesce(p_reason, '')), ''));
  return jsonb_build_object('role_id', r.id, 'member_id', v_member, 'role', r.role, 'store_id', r.store_id);
end;
$function$;
comment on function public.admin_grant_role(p_member_code text, p_role text, p_store_id bigint, p_reason text) is 'Console 角色: the admin grants a role (admin, operations, finance, or store_owner of a store) to a member by member code; audited. Granting a role the member holds changes nothing.';
revoke all on function public.admin_grant_role(p_member_code text, p_role text, p_store_id bigint, p_reason text) from public, anon, authenticated, service_role;
grant execute on function public.admin_grant_role(p_member_code text, p_role text, p_store_id bigint, p_reason text) to authenticated;

-- Removes a console role (超级管理员 only), audited; the last admin cannot be removed.
CREATE OR REPLACE FUNCTION public.admin_revoke_role (
  p_role_id bigint,
  p_reason  text DEFAULT NULL::text
)
  RETURNS jsonb
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_admin uuid := rebate.require_role('admin');
  r rebate.staff_roles;
begin
  select * into r from rebate.staff_roles x where x.id = p_role_id;
  if not found then
    raise exception using errcode = 'P0001', message = 'role_not_found', hint = '该角色记录不存在';
  end if;
  if r.role = 'admin' then
    perform 1 from rebate.staff_roles x where x.role = 'admin' for update;
    if (select count(*) from rebate.staff_roles x where x.role = 'admin') <= 1 then
      raise exception using errcode = 'P0001', message = 'last_admin', hint = '至少保留一位超级管理员';
    end if;
    update rebate.members m set is_admin = false where m.id = r.member_id;  -- the trigger removes the row
  else
    delete from rebate.staff_roles x where x.id = r.id;
  end if;
  perform rebate.audit('role.revoke', 'member', r.member_id::text,
                       jsonb_build_object('role', r.role, 'store_id', r.store_id), null,
                       nullif(btrim(coalesce(p_reason, '')), ''));
  return jsonb_build_object('role_id', r.id, 'member_id', r.member_id, 'role', r.role, 'removed', true);
end;
$function$;
comment on function public.admin_revoke_role(p_role_id bigint, p_reason text) is 'Console 角色: the admin removes a role row; audited. The last admin cannot be removed (last_admin).';
revoke all on function public.admin_revoke_role(p_role_id bigint, p_reason text) from public, anon, authenticated, service_role;
grant execute on function public.admin_revoke_role(p_role_id bigint, p_reason text) to authenticated;

-- 扫码登录 step 1 (the console, not signed in, through the console-login edge function): a fresh
-- ticket and its secret, valid 2 minutes. anon executes nothing in public, so the function asks.
CREATE OR REPLACE FUNCTION public.console_ticket_create()
  RETURNS jsonb
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_secret text := encode(extensions.gen_random_bytes(24), 'hex');
  t rebate.console_login_tickets;
begin
  -- tickets are worth nothing once expired: keep the table small
  delete from rebate.console_login_tickets x where x.expires_at < now() - interval '1 day';
  insert into rebate.console_login_tickets (secret_hash, expires_at)
  values (extensions.digest(v_secret, 'sha256'), now() + interval '2 minutes')
  returning * into t;
  return jsonb_build_object('ticket', t.id, 'secret', v_secret, 'expires_at', t.expires_at);
end;
$function$;
comment on function public.console_ticket_create() is 'Console scan login (console-login edge function, service role): a one-time ticket (shown as a QR code) and its secret (kept by the console), valid 2 minutes.';
revoke all on function public.console_ticket_create() from public, anon, authenticated, service_role;
grant execute on function public.console_ticket_create() to service_role;

-- The ticket's state for the mini-program's confirm page; refuses what could not be confirmed.
CREATE OR REPLACE FUNCTION rebate.confirmable_ticket (
  p_ticket uuid
)
  RETURNS rebate.console_login_tickets
  LANGUAGE plpgsql
  SET search_path TO ''
  AS $function$
declare
  t rebate.console_login_tickets;
begin
  select * into t from rebate.console_login_tickets x where x.id = p_ticket for update;
  if not found then
    raise exception using errcode = 'P0001', message = 'ticket_not_found', hint = '登录二维码无效，请在电脑上刷新后重新扫码';
  end if;
  if t.redeemed_at is not null or (t.confirmed_by is not null and t.confirmed_by <> (select auth.uid())) then
    raise exception using errcode = 'P0001', message = 'ticket_used', hint = '该登录二维码已使用，请在电脑上刷新后重新扫码';
  end if;
  if t.expires_at <= now() then
    raise exception using errcode = 'P0001', message = 'ticket_expired', hint = '登录二维码已过期，请在电脑上刷新后重新扫码';
  end if;
  return t;
end;
$function$;
comment on function rebate.confirmable_ticket(p_ticket uuid) is 'Locks a console login ticket the caller may still confirm, else raises ticket_not_found, ticket_used or ticket_expired.';
revoke all on function rebate.confirmable_ticket(p_ticket uuid) from public, anon, authenticated, service_role;

-- 扫码登录 step 2a (the mini-program's confirm page): when the ticket was made and expires.
CREATE OR REPLACE FUNCTION public.console_ticket_info (
  p_ticket uuid
)
  RETURNS jsonb
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  t rebate.console_login_tickets;
begin
  perform rebate.require_role();
  t := rebate.confirmable_ticket(p_ticket);
  return jsonb_build_object('ticket', t.id, 'created_at', t.created_at, 'expires_at', t.expires_at,
                            'confirmed', t.confirmed_by is not null, 'roles', to_jsonb(rebate.caller_roles()));
end;
$function$;
comment on function public.console_ticket_info(p_ticket uuid) is 'Console scan login: the ticket''s times for the confirm page (登录运营后台？), for a member holding a console role; refuses expired, used or unknown tickets.';
revoke all on function public.console_ticket_info(p_ticket uuid) from public, anon, authenticated, service_role;
grant execute on function public.console_ticket_info(p_ticket uuid) to authenticated;

-- 扫码登录 step 2b (确认登录): the member holding a console role confirms the ticket.
CREATE OR REPLACE FUNCTION public.console_ticket_confirm (
  p_ticket uuid
)
  RETURNS jsonb
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_uid uuid := rebate.require_role();
  t rebate.console_login_tickets;
begin
  t := rebate.confirmable_ticket(p_ticket);
  if t.confirmed_by is null then
    update rebate.console_login_tickets x set confirmed_by = v_uid, confirmed_at = now()
     where x.id = t.id returning * into t;
  end if;
  return jsonb_build_object('ticket', t.id, 'confirmed_at', t.confirmed_at);
end;
$function$;
comment on function public.console_ticket_confirm(p_ticket uuid) is 'Console scan login: a member holding a console role confirms the ticket (once; confirming it again is a no-op); expired, used, foreign or unknown tickets are refused.';
revoke all on function public.console_ticket_confirm(p_ticket uuid) from public, anon, authenticated, service_role;
grant execute on function public.console_ticket_confirm(p_ticket uuid) to authenticated;

-- 扫码登录 step 3 (the console-login edge function): the confirmed ticket, redeemed once.
CREATE OR REPLACE FUNCTION public.console_ticket_redeem (
  p_ticket uuid,
  p_secret text
)
  RETURNS jsonb
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  t rebate.console_login_tickets;
begin
  select * into t from rebate.console_login_tickets x
   where x.id = p_ticket and x.secret_hash = extensions.digest(coalesce(p_secret, ''), 'sha256')
   for update;
  if not found then
    raise exception using errcode = 'P0001', message = 'ticket_not_found', hint = '登录二维码无效，请刷新';
  end if;
  if t.redeemed_at is not null then
    raise exception using errcode = 'P0001', message = 'ticket_used', hint = '该登录二维码已使用，请刷新';
  end if;
  if t.expires_at <= now() then
    raise exception using errcode = 'P0001', message = 'ticket_expired', hint = '登录二维码已过期，请刷新';
  end if;
  if t.confirmed_by is null then
    return jsonb_build_object('status', 'pending', 'expires_at', t.expires_at);
  end if;
  if not exists (select 1 from rebate.staff_roles r where r.member_id = t.confirmed_by) then
    raise exception using errcode = 'P0001', message = 'forbidden_role', hint = '没有权限执行此操作';
  end if;
  update rebate.console_login_tickets x set redeemed_at = now() where x.id = t.id;
  return jsonb_build_object('status', 'confirmed', 'member_id', t.confirmed_by);
end;
$function$;
comment on function public.console_ticket_redeem(p_ticket uuid, p_secret text) is 'Console scan login (console-login edge function, service role): with the ticket''s secret, pending until confirmed; a confirmed ticket is redeemed once and gives the member id.';
revoke all on function public.console_ticket_redeem(p_ticket uuid, p_secret text) from public, anon, authenticated, service_role;
grant execute on function public.console_ticket_redeem(p_ticket uuid, p_secret text) to service_role;

-- 数据概览: figures for today / 7 / 30 days, liability per queue and its trend, health.
CREATE OR REPLACE FUNCTION public.console_dashboard()
  RETURNS jsonb
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_today date := rebate.shanghai_day(now());
  v_periods jsonb := '{}';
  v_days integer;
  v_from timestamptz;
  v_queues jsonb;
  v_total jsonb;
  v_trend jsonb;
  v_reconcile jsonb;
  v_parked jsonb;
  v_schedules jsonb;
  v_start timestamptz := ((v_today - 29)::timestamp at time zone 'Asia/Shanghai');
begin
  perform rebate.require_role('operations', 'finance');
  foreach v_days in array array[1, 7, 30] loop
    v_from := ((v_today - (v_days - 1))::timestamp at time zone 'Asia/Shanghai');
    v_periods := v_periods || jsonb_build_object(v_days::text, jsonb_build_object(
      'orders', (select count(*) from rebate.orders o where o.paid_at >= v_from),
      'paid_fen', (select coalesce(sum(o.pay_fen), 0) from rebate.orders o where o.paid_at >= v_from),
      'extraction_fen', (select coalesce(sum(l.extraction_fen), 0) from rebate.order_lines l where l.settled_at >= v_from),
      'distributed_fen', (select coalesce(sum(d.amount_fen), 0) from rebate.distributions d where d.created_at >= v_from),
      'retained_fen', (select coalesce(sum(r.amount_fen), 0) from rebate.retentions r where r.created_at >= v_from),
      'new_entries', (select count(*) from rebate.entries e where e.created_at >= v_from),
      'completed_entries', (select count(*) from rebate.entries e where e.status = 'completed' and e.ended_at >= v_from),
      'commission_fen', (select coalesce(sum(w.amount_fen), 0) from rebate.rewards w where w.created_at >= v_from),
      'withdrawn_fen', (select coalesce(sum(w.net_fen), 0) from rebate.withdrawals w where w.status = 'approved' and w.decided_at >= v_from)));
  end loop;

  select coalesce(jsonb_agg(x order by x.owed_fen desc, x.queue_id), '[]'),
         jsonb_build_object('waiting', coalesce(sum(x.waiting), 0), 'owed_fen', coalesce(sum(x.owed_fen), 0),
                            'inflow_7d_fen', coalesce(sum(x.inflow_7d_fen), 0), 'inflow_30d_fen', coalesce(sum(x.inflow_30d_fen), 0))
    into v_queues, v_total
    from (select q.id as queue_id, q.name, q.scope, w.waiting, w.owed_fen,
                 rebate.queue_inflow_fen(q.id, 7, now()) as inflow_7d_fen,
                 rebate.queue_inflow_fen(q.id, 30, now()) as inflow_30d_fen
            from rebate.queues q
            join lateral (select count(*) as waiting, coalesce(sum(e.entitlement_fen - e.received_fen), 0)::bigint as owed_fen
                            from rebate.entries e where e.queue_id = q.id and e.status = 'waiting') w on true
           where w.waiting > 0) x;
  -- coverage: days of the last 30 days' average inflow needed to pay what is owed now
  v_queues := coalesce((select jsonb_agg(q || jsonb_build_object('coverage_days',
                  case when (q ->> 'inflow_30d_fen')::bigint > 0
                       then round((q ->> 'owed_fen')::numeric * 30 / (q ->> 'inflow_30d_fen')::numeric, 1) end))
                from jsonb_array_elements(v_queues) q), '[]');
  v_total := v_total || jsonb_build_object('coverage_days',
                  case when (v_total ->> 'inflow_30d_fen')::bigint > 0
                       then round((v_total ->> 'owed_fen')::numeric * 30 / (v_total ->> 'inflow_30d_fen')::numeric, 1) end);

  -- liability at the end of each of the last 30 days: Σ entitlement − Σ received − Σ closed so far
  with days as (select v_today - 29 + i as day from generate_series(0, 29) i),
  base as (
    select (select coalesce(sum(e.entitlement_fen), 0) from rebate.entries e where e.created_at < v_start)
         - (select coalesce(sum(d.amount_fen), 0) from rebate.distributions d where d.created_at < v_start)
         - (select coalesce(sum(e.closed_fen), 0) from rebate.entries e where e.ended_at < v_start) as owed),
  moves as (
    select rebate.shanghai_day(e.created_at) as day, e.entitlement_fen as delta, 0::bigint as extraction
      from rebate.entries e where e.created_at >= v_start
    union all
    select rebate.shanghai_day(d.created_at), -d.amount_fen, 0 from rebate.distributions d where d.created_at >= v_start
    union all
    select rebate.shanghai_day(e.ended_at), -e.closed_fen, 0 from rebate.entries e where e.ended_at >= v_start and e.closed_fen > 0
    union all
    select rebate.shanghai_day(l.settled_at), 0, l.extraction_fen from rebate.order_lines l where l.settled_at >= v_start),
  per_day as (select m.day, sum(m.delta) as delta, sum(m.extraction) as extraction from moves m group by m.day),
  series as (
    select d.day, (select b.owed from base b) + sum(coalesce(p.delta, 0)) over (order by d.day) as owed,
           coalesce(p.extraction, 0) as extraction
      from days d left join per_day p on p.day = d.day)
  select jsonb_agg(jsonb_build_object('day', x.day, 'owed_fen', x.owed, 'extraction_fen', x.extraction) order by x.day)
    into v_trend
    from series x;

  select jsonb_build_object('clean', count(*) = 0, 'findings', count(*),
                            'first', coalesce(jsonb_agg(to_jsonb(f)) filter (where f.n <= 20), '[]'))
    into v_reconcile
    from (select r.*, row_number() over () as n from public.reconcile() r) f;

  select coalesce(jsonb_agg(jsonb_build_object('order_no', o.order_no, 'queue_id', i.queue_id, 'accepted_at', i.accepted_at,
                                               'attempts', i.attempts, 'last_error', i.last_error) order by i.id), '[]')
    into v_parked
    from rebate.settle_inbox i join rebate.orders o on o.id = i.order_id
   where i.attempts >= rebate.settle_max_attempts();

  select coalesce(jsonb_agg(to_jsonb(s)), '[]') into v_schedules from public.schedule_status() s where not s.scheduled or s.problem is not null;

  return jsonb_build_object('today', v_today, 'periods', v_periods, 'liability', v_total, 'queues', v_queues,
                            'trend', v_trend, 'reconcile', v_reconcile, 'parked', v_parked,
                            'missing_schedules', v_schedules);
end;
$function$;
comment on function public.console_dashboard() is 'Console 数据概览 (admin, operations, finance): today / 7 / 30 days figures, liability overall and per queue with inflow and coverage days, its 30-day trend, reconcile() status, parked settlements and missing schedules.';
revoke all on function public.console_dashboard() from public, anon, authenticated, service_role;
grant execute on function public.console_dashboard() to authenticated;

-- The page-size argument of the console lists: 1 to 100.
CREATE OR REPLACE FUNCTION rebate.page_limit (
  p_limit integer
)
  RETURNS integer
  LANGUAGE plpgsql
  IMMUTABLE
  SET search_path TO ''
  AS $function$
begin
  if p_limit is null or p_limit not between 1 and 100 then
    raise exception using errcode = 'P0001', message = 'invalid_limit', hint = '每页数量应在 1 到 100 之间';
  end if;
  return p_limit;
end;
$function$;
comment on function rebate.page_limit(p_limit integer) is 'A console list''s page size, 1 to 100, else invalid_limit.';
revoke all on function rebate.page_limit(p_limit integer) from public, anon, authenticated, service_role;

-- 订单: orders newest first (keyset on id), filtered on the server; a store owner sees only its stores.
CREATE OR REPLACE FUNCTION public.console_list_orders (
  p_channel   text    DEFAULT NULL::text,
  p_status    text    DEFAULT NULL::text,
  p_store_id  bigint  DEFAULT NULL::bigint,
  p_from      date    DEFAULT NULL::date,
  p_to        date    DEFAULT NULL::date,
  p_order_no  text    DEFAULT NULL::text,
  p_before_id bigint  DEFAULT NULL::bigint,
  p_limit     integer DEFAULT 20
)
  RETURNS jsonb
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_scope bigint[] := rebate.console_store_scope();
  v_limit integer := rebate.page_limit(p_limit);
begin
  if v_scope is not null and p_store_id is not null and not (p_store_id = any (v_scope)) then
    raise exception using errcode = 'P0001', message = 'store_not_found', hint = '门店不存在或您不是店主';
  end if;
  return coalesce((select jsonb_agg(jsonb_build_object(
             'order_id', o.id, 'order_no', o.order_no, 'channel', o.channel, 'status', o.status,
             'status_label', rebate.order_status_label(o.status), 'store_id', o.store_id, 'store_name', s.name,
             'member_code', m.member_code, 'nickname', case when v_scope is null then m.nickname else rebate.mask_name(m.nickname) end,
             'goods_fen', o.goods_fen, 'pay_fen', o.pay_fen, 'refunded_fen', o.refunded_fen,
             'created_at', o.created_at, 'paid_at', o.paid_at) order by o.id desc)
            from (select * from rebate.orders x
                   where (p_channel is null or x.channel = p_channel)
                     and (p_status is null or x.status = p_status)
                     and (p_store_id is null or x.store_id = p_store_id)
                     and (v_scope is null or x.store_id = any (v_scope))
                     and (p_from is null or x.created_at >= (p_from::timestamp at time zone 'Asia/Shanghai'))
                     and (p_to is null or x.created_at < ((p_to + 1)::timestamp at time zone 'Asia/Shanghai'))
                     and (p_order_no is null or x.order_no = btrim(p_order_no))
                     and (p_before_id is null or x.id < p_before_id)
                   order by x.id desc limit v_limit) o
            join rebate.members m on m.id = o.member_id
            left join rebate.stores s on s.id = o.store_id), '[]');
end;
$function$;
comment on function public.console_list_orders(p_channel text, p_status text, p_store_id bigint, p_from date, p_to date, p_order_no text, p_before_id bigint, p_limit integer) is 'Console 订单: orders newest first, keyset on id, filtered by channel, status, store, Shanghai dates and order number; a store owner sees only its own stores (member names masked).';
revoke all on function public.console_list_orders(p_channel text, p_status text, p_store_id bigint, p_from date, p_to date, p_order_no text, p_before_id bigint, p_limit integer) from public, anon, authenticated, service_role;
grant execute on function public.console_list_orders(p_channel text, p_status text, p_store_id bigint, p_from date, p_to date, p_order_no text, p_before_id bigint, p_limit integer) to authenticated;

-- An order with its lines, entries, what it paid to others and the rewards it gave.
CREATE OR REPLACE FUNCTION public.console_order_detail (
  p_order_no text
)
  RETURNS jsonb
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_scope bigint[] := rebate.console_store_scope();
  o rebate.orders;
begin
  select * into o from rebate.orders x where x.order_no = p_order_no;
  if not found or (v_scope is not null and not coalesce(o.store_id = any (v_scope), false)) then
    raise exception using errcode = 'P0001', message = 'order_not_found', hint = '订单不存在';
  end if;
  return to_jsonb(rebate.order_details(o.id)) || jsonb_build_object(
    'member_code', (select m.member_code from rebate.members m where m.id = o.member_id),
    'entries', coalesce((select jsonb_agg(jsonb_build_object('entry_id', e.id, 'queue_id', e.queue_id, 'seq', e.seq,
                           'line_id', e.line_id, 'entitlement_fen', e.entitlement_fen, 'received_fen', e.received_fen,
                           'status', e.status, 'status_label', rebate.entry_status_label(e.status)) order by e.id)
                           from rebate.entries e where e.order_id = o.id), '[]'),
    'paid_to', coalesce((select jsonb_agg(jsonb_build_object('entry_id', d.entry_id, 'amount_fen', d.amount_fen,
                           'member_code', m.member_code, 'created_at', d.created_at) order by d.id)
                           from rebate.distributions d join rebate.order_lines l on l.id = d.source_line_id
                           join rebate.members m on m.id = d.member_id
                          where l.order_id = o.id), '[]'),
    'rewards', coalesce((select jsonb_agg(jsonb_build_object('kind', w.kind, 'kind_label', rebate.reward_kind_label(w.kind),
                           'member_code', m.member_code, 'amount_fen', w.amount_fen, 'reversed_fen', w.reversed_fen) order by w.id)
                           from rebate.rewards w join rebate.members m on m.id = w.member_id
                          where w.order_id = o.id), '[]'));
end;
$function$;
comment on function public.console_order_detail(p_order_no text) is 'Console 订单 detail: the order with its lines, entries, the distributions it paid and the rewards it gave (store owners: own stores only).';
revoke all on function public.console_order_detail(p_order_no text) from public, anon, authenticated, service_role;
grant execute on function public.console_order_detail(p_order_no text) to authenticated;

-- 会员: search by member code, nickname or phone (an approved merchant's contact), keyset on member code.
CREATE OR REPLACE FUNCTION public.console_list_members (
  p_q          text    DEFAULT NULL::text,
  p_after_code text    DEFAULT NULL::text,
  p_limit      integer DEFAULT 20
)
  RETURNS jsonb
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_limit integer := rebate.page_limit(p_limit);
  v_q text := nullif(btrim(coalesce(p_q, '')), '');
begin
  perform rebate.require_role('operations', 'finance');
  return coalesce((select jsonb_agg(jsonb_build_object(
             'member_id', m.id, 'member_code', m.member_code, 'nickname', m.nickname, 'level_id', m.level_id,
             'level_name', l.name, 'created_at', m.created_at, 'cash_fen', w.cash_fen, 'commission_fen', w.commission_fen,
             'points', w.points, 'roles', to_jsonb(array(select r.role from rebate.staff_roles r where r.member_id = m.id order by 1)))
             order by m.member_code)
            from (select * from rebate.members x
                   where (v_q is null or x.member_code = upper(v_q) or x.nickname ilike '%' || v_q || '%'
                          or exists (select 1 from rebate.merchant_applications a
                                      where a.applicant_id = x.id and a.contact_phone = v_q))
                     and (p_after_code is null or x.member_code > p_after_code)
                   order by x.member_code limit v_limit) m
            join rebate.member_levels l on l.id = m.level_id
            join rebate.wallets w on w.member_id = m.id), '[]');
end;
$function$;
comment on function public.console_list_members(p_q text, p_after_code text, p_limit integer) is 'Console 会员: members found by member code, nickname or phone, keyset on member code, with level, balances and roles.';
revoke all on function public.console_list_members(p_q text, p_after_code text, p_limit integer) from public, anon, authenticated, service_role;
grant execute on function public.console_list_members(p_q text, p_after_code text, p_limit integer) to authenticated;

-- A member: entries, orders, ledger (latest 20 each), referral chain up two levels, team counts, roles.
CREATE OR REPLACE FUNCTION public.console_member_detail (
  p_member_id uuid
)
  RETURNS jsonb
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  m rebate.members;
  v_up1 uuid;
  v_up2 uuid;
begin
  perform rebate.require_role('operations', 'finance');
  select * into m from rebate.members x where x.id = p_member_id;
  if not found then
    raise exception using errcode = 'P0001', message = 'member_not_found', hint = '会员不存在';
  end if;
  select r.referrer_id into v_up1 from rebate.referrals r where r.member_id = m.id;
  select r.referrer_id into v_up2 from rebate.referrals r where r.member_id = v_up1;
  return jsonb_build_object(
    'member_id', m.id, 'member_code', m.member_code, 'nickname', m.nickname, 'level_id', m.level_id,
    'level_name', (select l.name from rebate.member_levels l where l.id = m.level_id), 'created_at', m.created_at,
    'wallet', (select to_jsonb(w) - 'member_id' from rebate.wallets w where w.member_id = m.id),
    'roles', coalesce((select jsonb_agg(jsonb_build_object('role_id', r.id, 'role', r.role, 'store_id', r.store_id) order by r.role)
                         from rebate.staff_roles r where r.member_id = m.id), '[]'),
    'referrers', coalesce((select jsonb_agg(jsonb_build_object('depth', u.depth, 'member_code', x.member_code, 'nickname', x.nickname) order by u.depth)
                             from (values (1, v_up1), (2, v_up2)) u(depth, id) join rebate.members x on x.id = u.id), '[]'),
    'team', jsonb_build_object(
       'direct', (select count(*) from rebate.referrals r where r.referrer_id = m.id),
       'indirect', (select count(*) from rebate.referrals r join rebate.referrals r2 on r2.referrer_id = r.member_id where r.referrer_id = m.id)),
    'entries', coalesce((select jsonb_agg(jsonb_build_object('entry_id', e.id, 'queue_id', e.queue_id, 'seq', e.seq,
                           'entitlement_fen', e.entitlement_fen, 'received_fen', e.received_fen, 'status', e.status,
                           'status_label', rebate.entry_status_label(e.status), 'created_at', e.created_at) order by e.id desc)
                           from (select * from rebate.entries e where e.member_id = m.id order by e.id desc limit 20) e), '[]'),
    'orders', coalesce((select jsonb_agg(jsonb_build_object('order_no', o.order_no, 'channel', o.channel, 'status', o.status,
                           'status_label', rebate.order_status_label(o.status), 'pay_fen', o.pay_fen, 'created_at', o.created_at) order by o.id desc)
                           from (select * from rebate.orders o where o.member_id = m.id order by o.id desc limit 20) o), '[]'),
    'ledger', coalesce((select jsonb_agg(jsonb_build_object('id', g.id, 'asset', g.asset, 'delta', g.delta, 'balance_after', g.balance_after,
                           'reason', g.reason, 'reason_label', rr.label, 'created_at', g.created_at) order by g.id desc)
                           from (select * from rebate.ledger g where g.member_id = m.id order by g.id desc limit 20) g
                           left join rebate.ledger_reasons rr on rr.code = g.reason), '[]'));
end;
$function$;
comment on function public.console_member_detail(p_member_id uuid) is 'Console 会员 detail: profile, wallet, roles, referral chain (two levels up), team counts, latest entries, orders and ledger rows.';
revoke all on function public.console_member_detail(p_member_id uuid) from public, anon, authenticated, service_role;
grant execute on function public.console_member_detail(p_member_id uuid) to authenticated;

-- 队列: every queue with its statistics (keyset on id); a store owner sees its stores' queues.
CREATE OR REPLACE FUNCTION public.console_list_queues (
  p_after_id bigint  DEFAULT NULL::bigint,
  p_limit    integer DEFAULT 50
)
  RETURNS jsonb
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_scope bigint[] := rebate.console_store_scope();
  v_limit integer := rebate.page_limit(p_limit);
begin
  return coalesce((select jsonb_agg(jsonb_build_object(
             'queue_id', q.id, 'name', q.name, 'scope', q.scope, 'store_id', coalesce(q.store_id, c.store_id),
             'closed', q.closed_at is not null, 'joined', q.joined_count, 'head_seq', q.head_seq,
             'waiting', w.waiting, 'owed_fen', w.owed_fen,
             'extracted_fen', q.total_extracted_fen, 'distributed_fen', q.total_distributed_fen, 'retained_fen', q.total_retained_fen,
             'inflow_7d_fen', rebate.queue_inflow_fen(q.id, 7, now()), 'inflow_30d_fen', rebate.queue_inflow_fen(q.id, 30, now()))
             order by q.id)
            from (select * from rebate.queues x where p_after_id is null or x.id > p_after_id order by x.id) q
            left join rebate.cashiers c on c.id = q.cashier_id
            join lateral (select count(*) as waiting, coalesce(sum(e.entitlement_fen - e.received_fen), 0)::bigint as owed_fen
                            from rebate.entries e where e.queue_id = q.id and e.status = 'waiting') w on true
           where v_scope is null or coalesce(q.store_id, c.store_id) = any (v_scope)
           limit v_limit), '[]');
end;
$function$;
comment on function public.console_list_queues(p_after_id bigint, p_limit integer) is 'Console 队列: queues with waiting count, owed, extracted / distributed / retained, inflow 7 and 30 days and head position; keyset on id; store owners see their stores'' queues.';
revoke all on function public.console_list_queues(p_after_id bigint, p_limit integer) from public, anon, authenticated, service_role;
grant execute on function public.console_list_queues(p_after_id bigint, p_limit integer) to authenticated;

-- A queue's entries in queue order (keyset on seq), members masked.
CREATE OR REPLACE FUNCTION public.console_list_entries (
  p_queue_id  bigint,
  p_status    text    DEFAULT 'waiting'::text,
  p_after_seq bigint  DEFAULT NULL::bigint,
  p_limit     integer DEFAULT 20
)
  RETURNS jsonb
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_limit integer := rebate.page_limit(p_limit);
begin
  perform rebate.require_role('operations', 'finance');
  if p_status is not null and p_status not in ('waiting', 'completed', 'exchanged', 'cleared', 'voided') then
    raise exception using errcode = 'P0001', message = 'invalid_status', hint = '状态无效';
  end if;
  return coalesce((select jsonb_agg(jsonb_build_object(
             'entry_id', e.id, 'seq', e.seq, 'member_id', e.member_id, 'member_code', m.member_code,
             'nickname', rebate.mask_name(m.nickname), 'order_no', o.order_no,
             'entitlement_fen', e.entitlement_fen, 'received_fen', e.received_fen,
             'remaining_fen', e.entitlement_fen - e.received_fen - e.closed_fen, 'reward_bps', e.reward_bps,
             'rule_label', e.rule_label, 'status', e.status, 'status_label', rebate.entry_status_label(e.status),
             'created_at', e.created_at) order by e.seq)
            from (select * from rebate.entries x
                   where x.queue_id = p_queue_id and (p_status is null or x.status = p_status)
                     and (p_after_seq is null or x.seq > p_after_seq)
                   order by x.seq limit v_limit) e
            join rebate.members m on m.id = e.member_id
            join rebate.orders o on o.id = e.order_id), '[]');
end;
$function$;
comment on function public.console_list_entries(p_queue_id bigint, p_status text, p_after_seq bigint, p_limit integer) is 'Console 队列 entries: a queue''s entries by status in queue order, keyset on seq, members masked.';
revoke all on function public.console_list_entries(p_queue_id bigint, p_status text, p_after_seq bigint, p_limit integer) from public, anon, authenticated, service_role;
grant execute on function public.console_list_entries(p_queue_id bigint, p_status text, p_after_seq bigint, p_limit integer) to authenticated;

-- An entry's distributions with their source orders.
CREATE OR REPLACE FUNCTION public.console_entry_sources (
  p_entry_id bigint
)
  RETURNS jsonb
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
begin
  perform rebate.require_role('operations', 'finance');
  return coalesce((select jsonb_agg(jsonb_build_object('distribution_id', d.id, 'amount_fen', d.amount_fen,
                     'order_no', o.order_no, 'line_no', l.line_no, 'created_at', d.created_at) order by d.id)
                     from rebate.distributions d
                     join rebate.order_lines l on l.id = d.source_line_id
                     join rebate.orders o on o.id = l.order_id
                    where d.entry_id = p_entry_id), '[]');
end;
$function$;
comment on function public.console_entry_sources(p_entry_id bigint) is 'Console 队列: what an entry received, each distribution with its source order and line.';
revoke all on function public.console_entry_sources(p_entry_id bigint) from public, anon, authenticated, service_role;
grant execute on function public.console_entry_sources(p_entry_id bigint) to authenticated;

-- 强制出队: an operator takes a waiting entry out of its queue (remaining forfeited), with a reason.
CREATE OR REPLACE FUNCTION public.console_force_exit_entry (
  p_entry_id bigint,
  p_reason   text
)
  RETURNS jsonb
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_uid uuid := rebate.require_role('operations');
  v_reason text := rebate.require_reason(p_reason);
  v_queue bigint;
  e rebate.entries;
  s rebate.settings;
begin
  select x.queue_id into v_queue from rebate.entries x where x.id = p_entry_id;
  if v_queue is null then
    raise exception using errcode = 'P0001', message = 'entry_not_found', hint = '排队名额不存在';
  end if;
  -- the queue's lock first (like settlement), then the entry
  perform rebate.lock_queues(array[v_queue]);
  select * into e from rebate.entries x where x.id = p_entry_id for update;
  if e.status <> 'waiting' then
    raise exception using errcode = 'P0001', message = 'entry_not_waiting', hint = '该名额已不在排队中';
  end if;
  update rebate.entries x set status = 'voided', closed_fen = x.entitlement_fen - x.received_fen, ended_at = now()
   where x.id = e.id;
  insert into rebate.forced_exits (entry_id, member_id, queue_id, forfeited_fen, reason, decided_by)
  values (e.id, e.member_id, e.queue_id, e.entitlement_fen - e.received_fen, v_reason, v_uid);
  select * into s from rebate.settings x where x.id = 1;
  insert into rebate.messages (member_id, kind, title, body, entry_id, order_id, amount_fen)
  values (e.member_id, 'entry_voided', s.display_name || '名额已失效',
          left('您的排队名额已被平台移出队列，未返的' || rebate.fen_text(e.entitlement_fen - e.received_fen) || '不再返还：' || v_reason, 200),
          e.id, e.order_id, e.entitlement_fen - e.received_fen);
  perform rebate.audit('entry.force_exit', 'entry', e.id::text,
                       jsonb_build_object('status', e.status, 'received_fen', e.received_fen, 'remaining_fen', e.entitlement_fen - e.received_fen),
                       jsonb_build_object('status', 'voided', 'forfeited_fen', e.entitlement_fen - e.received_fen),
                       v_reason);
  return jsonb_build_object('entry_id', e.id, 'status', 'voided', 'forfeited_fen', e.entitlement_fen - e.received_fen);
end;
$function$;
comment on function public.console_force_exit_entry(p_entry_id bigint, p_reason text) is 'Console 强制出队 (admin, operations): a waiting entry leaves its queue as voided (已失效), its remaining forfeited and recorded in forced_exits; the member is told; audited with the reason.';
revoke all on function public.console_force_exit_entry(p_entry_id bigint, p_reason text) from public, anon, authenticated, service_role;
grant execute on function public.console_force_exit_entry(p_entry_id bigint, p_reason text) to authenticated;

-- 余额调整: finance corrects a balance through the ledger, with a reason.
CREATE OR REPLACE FUNCTION public.console_adjust_balance (
  p_member_id uuid,
  p_asset     text,
  p_delta     bigint,
  p_reason    text
)
  RETURNS jsonb
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_uid uuid := rebate.require_role('finance');
  v_reason text := rebate.require_reason(p_reason);
  g rebate.ledger;
begin
  if p_asset is null or p_asset not in ('cash', 'commission', 'points', 'love') then
    raise exception using errcode = 'P0001', message = 'invalid_asset', hint = '调整的余额类型无效';
  end if;
  if p_delta is null or p_delta = 0 or abs(p_delta) > 100000000 then
    raise exception using errcode = 'P0001', message = 'invalid_amount', hint = '调整金额无效（不为零，且不超过 1,000,000.00）';
  end if;
  if not exists (select 1 from rebate.members m where m.id = p_member_id) then
    raise exception using errcode = 'P0001', message = 'member_not_found', hint = '会员不存在';
  end if;
  g := rebate.post_ledger(p_member_id, p_asset, p_delta, 'manual_correction');
  insert into rebate.balance_adjustments (ledger_id, member_id, asset, delta, reason, decided_by)
  values (g.id, p_member_id, p_asset, p_delta, v_reason, v_uid);
  perform rebate.audit('wallet.adjust', 'wallet', p_member_id::text,
                       jsonb_build_object('asset', p_asset, 'balance', g.balance_before),
                       jsonb_build_object('asset', p_asset, 'balance', g.balance_after, 'delta', p_delta, 'ledger_id', g.id),
                       v_reason);
  return jsonb_build_object('ledger_id', g.id, 'asset', p_asset, 'delta', p_delta,
                            'balance_before', g.balance_before, 'balance_after', g.balance_after);
end;
$function$;
comment on function public.console_adjust_balance(p_member_id uuid, p_asset text, p_delta bigint, p_reason text) is 'Console 余额调整 (admin, finance): credits or debits a member''s cash, commission, points or love value through post_ledger (reason manual_correction, never below zero), recorded in balance_adjustments and audited with the reason.';
revoke all on function public.console_adjust_balance(p_member_id uuid, p_asset text, p_delta bigint, p_reason text) from public, anon, authenticated, service_role;
grant execute on function public.console_adjust_balance(p_member_id uuid, p_asset text, p_delta bigint, p_reason text) to authenticated;

-- 操作日志: audit rows newest first (keyset on id), by person, object and Shanghai dates.
CREATE OR REPLACE FUNCTION public.console_list_audit (
  p_member_code text    DEFAULT NULL::text,
  p_object_type text    DEFAULT NULL::text,
  p_object_id   text    DEFAULT NULL::text,
  p_from        date    DEFAULT NULL::date,
  p_to          date    DEFAULT NULL::date,
  p_before_id   bigint  DEFAULT NULL::bigint,
  p_limit       integer DEFAULT 20
)
  RETURNS jsonb
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_limit integer := rebate.page_limit(p_limit);
  v_actor uuid;
begin
  perform rebate.require_role('operations', 'finance');
  if nullif(btrim(coalesce(p_member_code, '')), '') is not null then
    select m.id into v_actor from rebate.members m where m.member_code = upper(btrim(p_member_code));
    if v_actor is null then
      return '[]'::jsonb;
    end if;
  end if;
  return coalesce((select jsonb_agg(jsonb_build_object(
             'id', a.id, 'created_at', a.created_at, 'member_code', m.member_code, 'nickname', m.nickname,
             'roles', to_jsonb(a.actor_roles), 'action', a.action, 'object_type', a.object_type, 'object_id', a.object_id,
             'before', a.before, 'after', a.after, 'reason', a.reason) order by a.id desc)
            from (select * from rebate.audit_log x
                   where (v_actor is null or x.actor_id = v_actor)
                     and (nullif(p_object_type, '') is null or x.object_type = p_object_type)
                     and (nullif(p_object_id, '') is null or x.object_id = p_object_id)
                     and (p_from is null or x.created_at >= (p_from::timestamp at time zone 'Asia/Shanghai'))
                     and (p_to is null or x.created_at < ((p_to + 1)::timestamp at time zone 'Asia/Shanghai'))
                     and (p_before_id is null or x.id < p_before_id)
                   order by x.id desc limit v_limit) a
            left join rebate.members m on m.id = a.actor_id), '[]');
end;
$function$;
comment on function public.console_list_audit(p_member_code text, p_object_type text, p_object_id text, p_from date, p_to date, p_before_id bigint, p_limit integer) is 'Console 操作日志: audit rows newest first, keyset on id, filtered by the acting member''s code, object type / id and Shanghai dates.';
revoke all on function public.console_list_audit(p_member_code text, p_object_type text, p_object_id text, p_from date, p_to date, p_before_id bigint, p_limit integer) from public, anon, authenticated, service_role;
grant execute on function public.console_list_audit(p_member_code text, p_object_type text, p_object_id text, p_from date, p_to date, p_before_id bigint, p_limit integer) to authenticated;

-- 商品: products by name or SKU search (keyset on id), with their rule settings; a store owner sees its stores' products.
CREATE OR REPLACE FUNCTION public.console_list_products (
  p_q        text    DEFAULT NULL::text,
  p_after_id bigint  DEFAULT NULL::bigint,
  p_limit    integer DEFAULT 20
)
  RETURNS jsonb
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_scope bigint[] := rebate.console_store_scope();
  v_limit integer := rebate.page_limit(p_limit);
  v_q text := nullif(btrim(coalesce(p_q, '')), '');
begin
  return coalesce((select jsonb_agg((to_jsonb(p) - 'tiers' - 'level_reward_bps' - 'lottery_options' - 'reward_windows')
                                    || jsonb_build_object('product_id', p.id, 'store_name', s.name) order by p.id)
            from (select * from rebate.products x
                   where (v_q is null or x.name ilike '%' || v_q || '%' or x.sku = v_q)
                     and (v_scope is null or x.store_id = any (v_scope))
                     and (p_after_id is null or x.id > p_after_id)
                   order by x.id limit v_limit) p
            left join rebate.stores s on s.id = p.store_id), '[]');
end;
$function$;
comment on function public.console_list_products(p_q text, p_after_id bigint, p_limit integer) is 'Console 商品: products found by name or SKU, keyset on id, with price, listing, rebate switch and ratios; store owners see their stores'' products.';
revoke all on function public.console_list_products(p_q text, p_after_id bigint, p_limit integer) from public, anon, authenticated, service_role;
grant execute on function public.console_list_products(p_q text, p_after_id bigint, p_limit integer) to authenticated;

-- 商品: create (p_product_id null) or edit a product's name, SKU, kind, store, price and listing; audited.
-- Its rebate switch, ratios, lottery, tiers, time windows and limits: admin_update_rule_settings('product', …).
CREATE OR REPLACE FUNCTION public.console_save_product (
  p_product_id bigint,
  p_fields     jsonb
)
  RETURNS jsonb
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  p rebate.products;
  v_before jsonb;
begin
  perform rebate.require_role('operations');
  if p_fields is null or jsonb_typeof(p_fields) <> 'object'
     or exists (select 1 from jsonb_object_keys(p_fields) k where k not in ('name', 'sku', 'kind', 'store_id', 'price_fen', 'listed')) then
    raise exception using errcode = 'P0001', message = 'invalid_settings', hint = '商品内容无效';
  end if;
  if p_fields ? 'name' and char_length(btrim(coalesce(p_fields ->> 'name', ''))) not between 1 and 60 then
    raise exception using errcode = 'P0001', message = 'invalid_product_name', hint = '商品名称应为 1 到 60 个字';
  end if;
  if p_fields ? 'price_fen' and rebate.json_int(p_fields -> 'price_fen', 1, 100000000) is null then
    raise exception using errcode = 'P0001', message = 'invalid_price', hint = '价格应在 0.01 到 1,000,000.00 元之间';
  end if;
  if p_fields ? 'listed' and jsonb_typeof(p_fields -> 'listed') <> 'boolean' then
    raise exception using errcode = 'P0001', message = 'invalid_setting', hint = '上架状态：取值无效';
  end if;
  if p_fields ? 'kind' and coalesce(p_fields ->> 'kind', '') not in ('self', 'supplier', 'supply_chain', 'store') then
    raise exception using errcode = 'P0001', message = 'invalid_product_kind', hint = '商品类型无效';
  end if;
  if p_product_id is null then
    if not (p_fields ? 'name' and p_fields ? 'price_fen') then
      raise exception using errcode = 'P0001', message = 'invalid_settings', hint = '请填写商品名称和价格';
    end if;
    begin
      insert into rebate.products (sku, kind, store_id, name, price_fen, listed)
      values (nullif(btrim(coalesce(p_fields ->> 'sku', '')), ''), coalesce(p_fields ->> 'kind', 'self'),
              (p_fields ->> 'store_id')::bigint, btrim(p_fields ->> 'name'), (p_fields ->> 'price_fen')::bigint,
              coalesce((p_fields ->> 'listed')::boolean, true))
      returning * into p;
    exception
      when unique_violation then
        raise exception using errcode = 'P0001', message = 'sku_taken', hint = '商品编码已被使用';
      when check_violation or foreign_key_violation then
        raise exception using errcode = 'P0001', message = 'invalid_product', hint = '商品类型与门店不匹配，或取值超出范围';
    end;
  else
    select * into p from rebate.products x where x.id = p_product_id for update;
    if not found then
      raise exception using errcode = 'P0001', message = 'product_not_found', hint = '商品不存在';
    end if;
    v_before := (select jsonb_object_agg(k, to_jsonb(p) -> k) from jsonb_object_keys(p_fields) k);
    begin
      update rebate.products x set
        name = case when p_fields ? 'name' then btrim(p_fields ->> 'name') else x.name end,
        sku = case when p_fields ? 'sku' then nullif(btrim(coalesce(p_fields ->> 'sku', '')), '') else x.sku end,
        kind = case when p_fields ? 'kind' then p_fields ->> 'kind' else x.kind end,
        store_id = case when p_fields ? 'store_id' then (p_fields ->> 'store_id')::bigint else x.store_id end,
        price_fen = case when p_fields ? 'price_fen' then (p_fields ->> 'price_fen')::bigint else x.price_fen end,
        listed = case when p_fields ? 'listed' then (p_fields ->> 'listed')::boolean else x.listed end,
        updated_at = now()
       where x.id = p.id
      returning * into p;
    exception
      when unique_violation then
        raise exception using errcode = 'P0001', message = 'sku_taken', hint = '商品编码已被使用';
      when check_violation or foreign_key_violation then
        raise exception using errcode = 'P0001', message = 'invalid_product', hint = '商品类型与门店不匹配，或取值超出范围';
    end;
  end if;
  perform rebate.audit(case when p_product_id is null then 'product.create' else 'product.update' end, 'product', p.id::text,
                       v_before, (select jsonb_object_agg(k, to_jsonb(p) -> k) from jsonb_object_keys(p_fields) k), null);
  return to_jsonb(p) || jsonb_build_object('product_id', p.id);
end;
$function$;
comment on function public.console_save_product(p_product_id bigint, p_fields jsonb) is 'Console 商品 (admin, operations): creates (p_product_id null) or edits a product''s name, SKU, kind, store, price and listing, with Chinese refusals; audited. Rule settings go through admin_update_rule_settings.';
revoke all on function public.console_save_product(p_product_id bigint, p_fields jsonb) from public, anon, authenticated, service_role;
grant execute on function public.console_save_product(p_product_id bigint, p_fields jsonb) to authenticated;

-- 导出: one page of an export (orders, ledger, distributions, audit) for Shanghai dates, keyset on
-- id, as rows of text ready for CSV. The console fetches page after page and streams them out.
CREATE OR REPLACE FUNCTION public.console_export_page (
  p_kind     text,
  p_from     date,
  p_to       date,
  p_after_id bigint  DEFAULT 0,
  p_limit    integer DEFAULT 5000
)
  RETURNS jsonb
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_from timestamptz;
  v_to timestamptz;
  v_rows jsonb;
  v_header text[];
  v_after bigint := coalesce(p_after_id, 0);
begin
  if p_kind = 'ledger' then
    perform rebate.require_role('finance');
  else
    perform rebate.require_role('operations', 'finance');
  end if;
  if p_limit is null or p_limit not between 1 and 10000 then
    raise exception using errcode = 'P0001', message = 'invalid_limit', hint = '每页数量应在 1 到 10000 之间';
  end if;
  if p_from is null or p_to is null or p_to < p_from or p_to - p_from > 366 then
    raise exception using errcode = 'P0001', message = 'invalid_date_range', hint = '日期范围无效（最长一年）';
  end if;
  v_from := p_from::timestamp at time zone 'Asia/Shanghai';
  v_to := (p_to + 1)::timestamp at time zone 'Asia/Shanghai';
  case p_kind
  when 'orders' then
    v_header := array['订单ID', '订单号', '渠道', '状态', '门店ID', '会员编号', '商品金额', '实付金额', '已退款', '下单时间', '支付时间'];
    select jsonb_agg(jsonb_build_array(o.id, o.order_no, o.channel, rebate.order_status_label(o.status), o.store_id, m.member_code,
                                       rebate.fen_text(o.goods_fen), rebate.fen_text(o.pay_fen), rebate.fen_text(o.refunded_fen),
                                       o.created_at, o.paid_at) order by o.id)
      into v_rows
      from (select * from rebate.orders x where x.id > v_after and x.created_at >= v_from and x.created_at < v_to
             order by x.id limit p_limit) o
      join rebate.members m on m.id = o.member_id;
  when 'ledger' then
    v_header := array['流水ID', '会员编号', '类型', '变动', '变动前', '变动后', '原因', '订单ID', '名额ID', '时间'];
    select jsonb_agg(jsonb_build_array(g.id, m.member_code, g.asset, g.delta, g.balance_before, g.balance_after,
                                       coalesce(r.label, g.reason), g.order_id, g.entry_id, g.created_at) order by g.id)
      into v_rows
      from (select * from rebate.ledger x where x.id > v_after and x.created_at >= v_from and x.created_at < v_to
             order by x.id limit p_limit) g
      join rebate.members m on m.id = g.member_id
      left join rebate.ledger_reasons r on r.code = g.reason;
  when 'distributions' then
    v_header := array['分配ID', '队列ID', '来源订单号', '名额ID', '会员编号', '金额', '时间'];
    select jsonb_agg(jsonb_build_array(d.id, d.queue_id, o.order_no, d.entry_id, m.member_code, rebate.fen_text(d.amount_fen),
                                       d.created_at) order by d.id)
      into v_rows
      from (select * from rebate.distributions x where x.id > v_after and x.created_at >= v_from and x.created_at < v_to
             order by x.id limit p_limit) d
      join rebate.order_lines l on l.id = d.source_line_id
      join rebate.orders o on o.id = l.order_id
      join rebate.members m on m.id = d.member_id;
  when 'audit' then
    v_header := array['日志ID', '时间', '操作人', '角色', '操作', '对象', '对象ID', '修改前', '修改后', '原因'];
    select jsonb_agg(jsonb_build_array(a.id, a.created_at, m.member_code, array_to_string(a.actor_roles, '/'), a.action,
                                       a.object_type, a.object_id, a.before, a.after, a.reason) order by a.id)
      into v_rows
      from (select * from rebate.audit_log x where x.id > v_after and x.created_at >= v_from and x.created_at < v_to
             order by x.id limit p_limit) a
      left join rebate.members m on m.id = a.actor_id;
  else
    raise exception using errcode = 'P0001', message = 'invalid_export', hint = '导出类型无效';
  end case;
  return jsonb_build_object('header', to_jsonb(v_header), 'rows', coalesce(v_rows, '[]'),
                            'last_id', (coalesce(v_rows, '[]') -> -1 ->> 0)::bigint,
                            'done', jsonb_array_length(coalesce(v_rows, '[]')) < p_limit);
end;
$function$;
comment on function public.console_export_page(p_kind text, p_from date, p_to date, p_after_id bigint, p_limit integer) is 'Console 导出: one page (keyset on id, up to 10000 rows) of orders, ledger (finance), distributions or audit rows between Shanghai dates, as arrays ready for CSV with the Chinese header.';
revoke all on function public.console_export_page(p_kind text, p_from date, p_to date, p_after_id bigint, p_limit integer) from public, anon, authenticated, service_role;
grant execute on function public.console_export_page(p_kind text, p_from date, p_to date, p_after_id bigint, p_limit integer) to authenticated;

-- 退款预览: what SPEC §10 would do if these lines (or all not yet refunded) were refunded now.
CREATE OR REPLACE FUNCTION public.console_refund_preview (
  p_order_no text,
  p_line_nos integer[] DEFAULT NULL::integer[]
)
  RETURNS jsonb
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  o rebate.orders;
  v_lines jsonb;
begin
  perform rebate.require_role('finance');
  select * into o from rebate.orders x where x.order_no = p_order_no;
  if not found then
    raise exception using errcode = 'P0001', message = 'order_not_found', hint = '订单不存在';
  end if;
  if o.status not in ('paid', 'completed') then
    raise exception using errcode = 'P0001', message = 'order_not_refundable', hint = '订单当前状态不能退款';
  end if;
  if p_line_nos is not null and (cardinality(p_line_nos) = 0 or exists (
       select 1 from unnest(p_line_nos) n
        where not exists (select 1 from rebate.order_lines x where x.order_id = o.id and x.line_no = n and x.refunded_at is null))) then
    raise exception using errcode = 'P0001', message = 'invalid_refund_lines', hint = '退款商品无效或已退款';
  end if;
  if p_line_nos is not null and exists (select 1 from unnest(p_line_nos) n where rebate.line_refund_open(o.id, n)) then
    raise exception using errcode = 'P0001', message = 'refund_in_progress', hint = '所选商品正在退款中';
  end if;
  select jsonb_agg(jsonb_build_object(
           'line_no', l.line_no, 'name', coalesce(p.name, '收银台买单'), 'pay_fen', l.pay_fen,
           'entry_status', e.status, 'received_fen', coalesce(e.received_fen, 0),
           'clawback_fen', least(l.pay_fen, coalesce(e.received_fen, 0)),
           'refund_fen', l.pay_fen - least(l.pay_fen, coalesce(e.received_fen, 0)),
           'shortfall_fen', coalesce(e.received_fen, 0) - least(l.pay_fen, coalesce(e.received_fen, 0)),
           'forfeited_fen', case when e.status = 'waiting' then e.entitlement_fen - e.received_fen else 0 end,
           'cost_fen', case when l.settled_at is not null then l.distributed_fen else 0 end,
           'points_back', l.points_deduct_fen, 'love_back_fen', l.love_deduct_fen) order by l.line_no)
    into v_lines
    from rebate.order_lines l
    left join rebate.entries e on e.line_id = l.id
    left join rebate.products p on p.id = l.product_id
   where l.order_id = o.id and l.refunded_at is null and (p_line_nos is null or l.line_no = any (p_line_nos))
     and not rebate.line_refund_open(o.id, l.line_no);
  if v_lines is null then
    raise exception using errcode = 'P0001', message = 'nothing_to_refund', hint = '没有可退款的商品';
  end if;
  return jsonb_build_object('order_no', o.order_no, 'lines', v_lines,
    'refund_fen', (select sum((x ->> 'refund_fen')::bigint) from jsonb_array_elements(v_lines) x),
    'clawback_fen', (select sum((x ->> 'clawback_fen')::bigint) from jsonb_array_elements(v_lines) x),
    'forfeited_fen', (select sum((x ->> 'forfeited_fen')::bigint) from jsonb_array_elements(v_lines) x),
    'cost_fen', (select sum((x ->> 'cost_fen')::bigint) from jsonb_array_elements(v_lines) x));
end;
$function$;
comment on function public.console_refund_preview(p_order_no text, p_line_nos integer[]) is 'Console 订单 (admin, finance): what refunding these lines (or every line not yet refunded) would do under SPEC §10, without doing it — per line the cash refundable, the rebate clawed back from it, the waiting entitlement forfeited, the distributed extraction kept as platform cost, the deductions returned; and the totals.';
revoke all on function public.console_refund_preview(p_order_no text, p_line_nos integer[]) from public, anon, authenticated, service_role;
grant execute on function public.console_refund_preview(p_order_no text, p_line_nos integer[]) to authenticated;

-- reconcile(): manual corrections are all accounted for.
CREATE OR REPLACE FUNCTION rebate.reconcile_check_console()
  RETURNS TABLE (
    check_name text,
    subject    text,
    expected   bigint,
    actual     bigint
  )
  LANGUAGE sql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
  -- every voided entry was refunded or forced out (once), and a forced exit forfeited its remaining
  select 'voided_entry', e.id::text, e.closed_fen, f.forfeited_fen
    from rebate.entries e
    join rebate.order_lines l on l.id = e.line_id
    left join rebate.forced_exits f on f.entry_id = e.id
   where (e.status = 'voided' and f.entry_id is null and l.refunded_at is null)
      or (f.entry_id is not null and (e.status <> 'voided' or f.forfeited_fen <> e.closed_fen
                                      or f.member_id <> e.member_id or f.queue_id <> e.queue_id))
  union all
  -- every manual_correction ledger row is a recorded adjustment, with the same member, asset and amount
  select 'balance_adjustment', coalesce(g.id, b.ledger_id)::text, b.delta, g.delta
    from (select * from rebate.ledger x where x.reason = 'manual_correction') g
    full join rebate.balance_adjustments b on b.ledger_id = g.id
   where g.id is null or b.ledger_id is null
      or g.delta <> b.delta or g.member_id <> b.member_id or g.asset <> b.asset
$function$;
comment on function rebate.reconcile_check_console() is 'reconcile(): every voided entry was refunded or forced out (forced exits forfeit exactly the remaining); every manual_correction ledger row has its balance_adjustments record and agrees with it.';
revoke all on function rebate.reconcile_check_console() from public, anon, authenticated, service_role;

-- ============================================================ triggers

CREATE TRIGGER audit_log_append_only
  BEFORE DELETE OR UPDATE ON rebate.audit_log
  FOR EACH ROW
  EXECUTE FUNCTION rebate.forbid_change();

CREATE TRIGGER audit_log_no_truncate
  BEFORE TRUNCATE ON rebate.audit_log
  FOR EACH STATEMENT
  EXECUTE FUNCTION rebate.forbid_change();

CREATE TRIGGER members_sync_admin_role
  AFTER INSERT OR UPDATE OF is_admin ON rebate.members
  FOR EACH ROW
  EXECUTE FUNCTION rebate.members_sync_admin_role();

CREATE TRIGGER stores_sync_owner_role
  AFTER INSERT OR UPDATE OF owner_member_id ON rebate.stores
  FOR EACH ROW
  EXECUTE FUNCTION rebate.stores_sync_owner_role();

-- ============================================================ grants

GRANT SELECT ON TABLE "rebate"."staff_roles" TO "service_role";

GRANT SELECT ON TABLE "rebate"."audit_log" TO "service_role";

GRANT SELECT ON TABLE "rebate"."console_login_tickets" TO "service_role";

GRANT SELECT ON TABLE "rebate"."forced_exits" TO "service_role";

GRANT SELECT ON TABLE "rebate"."balance_adjustments" TO "service_role";

-- ============================================================ data
-- Members who were administrators before roles existed are 超级管理员; owners hold 店主.
insert into rebate.staff_roles (member_id, role)
select m.id, 'admin' from rebate.members m where m.is_admin
on conflict (member_id, role, coalesce(store_id, 0::bigint)) do nothing;
insert into rebate.staff_roles (member_id, role, store_id)
select s.owner_member_id, 'store_owner', s.id from rebate.stores s where s.owner_member_id is not null
on conflict (member_id, role, coalesce(store_id, 0::bigint)) do nothing;
insert into rebate.ledger_reasons (code, label) values ('manual_correction', '人工调整')
on conflict (code) do nothing;
