-- Members: the people who use the mini-program. One row per WeChat user (openid),
-- keyed by the auth.users id that is the `sub` of their JWT.
-- Tables live in the private schema `rebate`; the API is the public.* functions.

-- ============================================================ schema
create schema if not exists rebate;
revoke all on schema rebate from public, anon, authenticated;
grant usage on schema rebate to service_role;

-- ============================================================ tables
create table rebate.member_levels (
  id          smallint primary key,
  name        text not null check (char_length(name) between 1 and 20),
  rank        smallint not null unique check (rank >= 0),
  created_at  timestamptz not null default now()
);

create table rebate.members (
  id           uuid primary key references auth.users (id) on delete restrict,
  openid       text unique check (openid is null or char_length(openid) between 1 and 64),
  unionid      text unique check (unionid is null or char_length(unionid) between 1 and 64),
  -- short public code: used to transfer points and as the invite scene
  member_code  text not null unique check (member_code ~ '^[A-Z0-9]{8}$'),
  nickname     text not null default '微信用户' check (char_length(nickname) between 1 and 32),
  avatar_url   text check (avatar_url is null or char_length(avatar_url) <= 512),
  level_id     smallint not null default 0 references rebate.member_levels (id),
  is_admin     boolean not null default false,
  created_at   timestamptz not null default now(),
  last_login_at timestamptz
);

-- ============================================================ functions
-- A fresh member code: 8 characters from an alphabet without look-alikes.
create or replace function rebate.new_member_code() returns text
language plpgsql volatile set search_path = ''
as $$
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
$$;

-- Called by the wechat-login edge function (service_role) after jscode2session:
-- finds the member by openid (or unionid), creating auth user and member on first login.
create or replace function public.upsert_member_by_openid(p_openid text, p_unionid text default null)
returns uuid
language plpgsql volatile security definer set search_path = ''
as $$
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
$$;

-- The signed-in member's own profile.
create or replace function public.me()
returns table (id uuid, member_code text, nickname text, avatar_url text,
               level_id smallint, level_name text, is_admin boolean, created_at timestamptz)
language sql stable security definer set search_path = ''
as $$
  select m.id, m.member_code, m.nickname, m.avatar_url, m.level_id, l.name, m.is_admin, m.created_at
    from rebate.members m
    join rebate.member_levels l on l.id = m.level_id
   where m.id = (select auth.uid())
$$;

-- ============================================================ policies
alter table rebate.member_levels enable row level security;
alter table rebate.members enable row level security;

create policy "Members can read their own row"
  on rebate.members for select to authenticated
  using (id = (select auth.uid()));

create policy "Anyone signed in can read member levels"
  on rebate.member_levels for select to authenticated
  using (true);

-- ============================================================ grants
revoke all on all tables in schema rebate from public, anon, authenticated;
revoke all on function rebate.new_member_code() from public, anon, authenticated;
revoke all on function public.upsert_member_by_openid(text, text) from public, anon, authenticated;
grant execute on function public.upsert_member_by_openid(text, text) to service_role;
revoke all on function public.me() from public, anon;
grant execute on function public.me() to authenticated;
grant all on all tables in schema rebate to service_role;

-- ============================================================ data
insert into rebate.member_levels (id, name, rank) values (0, '普通会员', 0);
