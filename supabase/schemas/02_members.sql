-- Members and roles: WeChat identity, member codes, levels, who may administer
-- SPEC §4 (member levels), §15.
-- The source of truth (docs/database.md): edit here, then `npm run db:diff -- <name>` writes the migration.

-- ============================================================ tables

CREATE TABLE "rebate"."member_levels" (
  "id"         smallint                 NOT NULL,
  "name"       text                     NOT NULL,
  "rank"       smallint                 NOT NULL,
  "created_at" timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT "member_levels_name_check" CHECK (((char_length(name) >= 1) AND (char_length(name) <= 20))),
  CONSTRAINT "member_levels_pkey" PRIMARY KEY (id),
  CONSTRAINT "member_levels_rank_check" CHECK ((rank >= 0)),
  CONSTRAINT "member_levels_rank_key" UNIQUE (rank)
);

ALTER TABLE "rebate"."member_levels"
  ENABLE ROW LEVEL SECURITY;

CREATE TABLE "rebate"."members" (
  "id"            uuid                     NOT NULL,
  "openid"        text,
  "unionid"       text,
  "member_code"   text                     NOT NULL,
  "nickname"      text                     NOT NULL DEFAULT '微信用户'::text,
  "avatar_url"    text,
  "level_id"      smallint                 NOT NULL DEFAULT 0,
  "is_admin"      boolean                  NOT NULL DEFAULT false,
  "created_at"    timestamp with time zone NOT NULL DEFAULT now(),
  "last_login_at" timestamp with time zone,
  CONSTRAINT "members_avatar_url_check" CHECK (((avatar_url IS NULL) OR (char_length(avatar_url) <= 512))),
  CONSTRAINT "members_id_fkey" FOREIGN KEY (id) REFERENCES auth.users(id) ON DELETE RESTRICT,
  CONSTRAINT "members_level_id_fkey" FOREIGN KEY (level_id) REFERENCES rebate.member_levels(id),
  CONSTRAINT "members_member_code_check" CHECK ((member_code ~ '^[A-Z0-9]{8}$'::text)),
  CONSTRAINT "members_member_code_key" UNIQUE (member_code),
  CONSTRAINT "members_nickname_check" CHECK (((char_length(nickname) >= 1) AND (char_length(nickname) <= 32))),
  CONSTRAINT "members_openid_check" CHECK (((openid IS NULL) OR ((char_length(openid) >= 1) AND (char_length(openid) <= 64)))),
  CONSTRAINT "members_openid_key" UNIQUE (openid),
  CONSTRAINT "members_pkey" PRIMARY KEY (id),
  CONSTRAINT "members_unionid_check" CHECK (((unionid IS NULL) OR ((char_length(unionid) >= 1) AND (char_length(unionid) <= 64)))),
  CONSTRAINT "members_unionid_key" UNIQUE (unionid)
);

ALTER TABLE "rebate"."members"
  ENABLE ROW LEVEL SECURITY;

-- the foreign key's index (deleting or re-keying the referenced row, and lookups by it)
CREATE INDEX members_level_id_idx ON rebate.members USING btree (level_id);

-- ============================================================ functions

-- A fresh member code: 8 characters from an alphabet without look-alikes.
CREATE OR REPLACE FUNCTION rebate.new_member_code()
  RETURNS text
  LANGUAGE plpgsql
  SET search_path TO ''
  AS $function$
declare
  v_alphabet constant text := 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  v_bytes bytea;
  v_code text;
begin
  loop
    v_bytes := extensions.gen_random_bytes(8);
    v_code := '';
    for i in 0..7 loop
      v_code := v_code || substr(v_alphabet, (get_byte(v_bytes, i) % 32) + 1, 1);
    end loop;
    exit when not exists (select 1 from rebate.members m where m.member_code = v_code);
  end loop;
  return v_code;
end;
$function$;
comment on function rebate.new_member_code() is 'A fresh member code: 8 characters from an alphabet without look-alikes.';
revoke all on function rebate.new_member_code() from public, anon, authenticated, service_role;

-- Raises unless the caller holds the admin (超级管理员) role (rebate.staff_roles, kept in step with
-- members.is_admin by a trigger in 17_console.sql); returns the member id.
CREATE OR REPLACE FUNCTION rebate.require_admin()
  RETURNS uuid
  LANGUAGE plpgsql
  STABLE
  SET search_path TO ''
  AS $function$
declare
  v_uid uuid := rebate.require_member();
begin
  if not exists (select 1 from rebate.staff_roles r where r.member_id = v_uid and r.role = 'admin') then
    raise exception using errcode = 'P0001', message = 'not_admin', hint = '需要管理员权限';
  end if;
  return v_uid;
end;
$function$;
comment on function rebate.require_admin() is 'Raises not_admin unless the caller holds the admin (超级管理员) role in rebate.staff_roles; returns the member id.';
revoke all on function rebate.require_admin() from public, anon, authenticated, service_role;

-- Raises unless the caller is a signed-in member; returns the member id.
CREATE OR REPLACE FUNCTION rebate.require_member()
  RETURNS uuid
  LANGUAGE plpgsql
  STABLE
  SET search_path TO ''
  AS $function$
declare
  v_uid uuid := (select auth.uid());
begin
  if v_uid is null then
    raise exception using errcode = 'P0001', message = 'not_signed_in', hint = '请先登录';
  end if;
  if not exists (select 1 from rebate.members m where m.id = v_uid) then
    raise exception using errcode = 'P0001', message = 'not_member', hint = '会员不存在，请重新登录';
  end if;
  return v_uid;
end;
$function$;
comment on function rebate.require_member() is 'Raises unless the caller is a signed-in member; returns the member id.';
revoke all on function rebate.require_member() from public, anon, authenticated, service_role;

-- The signed-in member's own profile.
CREATE OR REPLACE FUNCTION public.me()
  RETURNS TABLE (
    id          uuid,
    member_code text,
    nickname    text,
    avatar_url  text,
    level_id    smallint,
    level_name  text,
    is_admin    boolean,
    created_at  timestamp with time zone,
    store_count integer                   -- stores I own (我的 shows 我的门店 to owners)
  )
  LANGUAGE sql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
  select m.id, m.member_code, m.nickname, m.avatar_url, m.level_id, l.name, m.is_admin, m.created_at,
         (select count(*) from rebate.stores s where s.owner_member_id = m.id)::integer
    from rebate.members m
    join rebate.member_levels l on l.id = m.level_id
   where m.id = (select auth.uid())
$function$;
comment on function public.me() is 'The signed-in member''s own profile, with the number of stores I own.';
revoke all on function public.me() from public, anon, authenticated, service_role;
grant execute on function public.me() to authenticated, service_role;

-- The member's id, or null when no member has this code.
CREATE OR REPLACE FUNCTION public.member_id_by_code (
  p_member_code text
)
  RETURNS uuid
  LANGUAGE sql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
  select m.id from rebate.members m where m.member_code = p_member_code
$function$;
comment on function public.member_id_by_code(p_member_code text) is 'The member''s id, or null when no member has this code.';
revoke all on function public.member_id_by_code(p_member_code text) from public, anon, authenticated, service_role;
grant execute on function public.member_id_by_code(p_member_code text) to service_role;

-- Called by the wechat-login edge function (service_role) after jscode2session:
-- finds the member by openid (or unionid), creating auth user and member on first login.
CREATE OR REPLACE FUNCTION public.upsert_member_by_openid (
  p_openid  text,
  p_unionid text DEFAULT NULL::text
)
  RETURNS uuid
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_id uuid;
begin
  if p_openid is null or p_openid !~ '^[A-Za-z0-9_-]{1,64}$' then
    raise exception using errcode = 'P0001', message = 'invalid_openid', hint = '登录信息无效';
  end if;
  if p_unionid is not null and p_unionid !~ '^[A-Za-z0-9_-]{1,64}$' then
    raise exception using errcode = 'P0001', message = 'invalid_unionid', hint = '登录信息无效';
  end if;

  -- serialise concurrent first logins of the same openid
  perform pg_advisory_xact_lock(hashtextextended('member-openid:' || p_openid, 0));

  select m.id into v_id from rebate.members m where m.openid = p_openid;
  if v_id is null and p_unionid is not null then
    select m.id into v_id from rebate.members m where m.unionid = p_unionid;
  end if;

  -- one WeChat unionid belongs to one member: a login whose openid is one member's and whose
  -- unionid is another's is refused rather than moving the unionid
  if v_id is not null and p_unionid is not null
     and exists (select 1 from rebate.members m where m.unionid = p_unionid and m.id <> v_id) then
    raise exception using errcode = 'P0001', message = 'unionid_conflict', hint = '该微信账号已绑定其他会员，请联系客服';
  end if;

  if v_id is null then
    insert into auth.users (aud, role) values ('authenticated', 'authenticated') returning id into v_id;
    insert into rebate.members (id, openid, unionid, member_code)
    values (v_id, p_openid, p_unionid, rebate.new_member_code());
  else
    update rebate.members m
       set last_login_at = now(),
           openid = coalesce(m.openid, p_openid),
           unionid = coalesce(m.unionid, p_unionid)
     where m.id = v_id;
  end if;
  return v_id;
end;
$function$;
comment on function public.upsert_member_by_openid(p_openid text, p_unionid text) is 'Called by the wechat-login edge function (service_role) after jscode2session: finds the member by openid (or unionid), creating auth user and member on first login.';
revoke all on function public.upsert_member_by_openid(p_openid text, p_unionid text) from public, anon, authenticated, service_role;
grant execute on function public.upsert_member_by_openid(p_openid text, p_unionid text) to service_role;

-- ============================================================ policies

CREATE POLICY "Anyone signed in can read member levels" ON "rebate"."member_levels"
  FOR SELECT
  TO "authenticated"
  USING (true);

CREATE POLICY "Members can read their own row" ON "rebate"."members"
  FOR SELECT
  TO "authenticated"
  USING ((id = ( SELECT auth.uid() AS uid)));

-- ============================================================ grants

GRANT SELECT ON TABLE "rebate"."member_levels" TO "service_role";

GRANT SELECT ON TABLE "rebate"."members" TO "service_role";

-- ============================================================ data
insert into rebate.member_levels (id, name, rank) values (0, '普通会员', 0) on conflict (id) do nothing;
