-- Referral (SPEC §11): who invited whom, team levels (团队等级) for the level-difference and
-- shareholder rewards, the reward settings and the payout guardrail.
--
-- A member's invite code is their member_code; a scanned invite (scene 'i=<code>') binds the
-- scanner to that member once and permanently (no self-referral, no cycle). Promoters are
-- members with a team level; a level may recruit merchants (scene 'm=<code>', see the merchant
-- onboarding migration). The rewards themselves are paid in 20261125001600_create_rewards.sql.

-- ============================================================ settings
-- Reward ratios are shares of a line's paid amount (SPEC §11). payout_cap_bps is the guardrail:
-- extraction + every reward of one line ≤ that share of its paid amount.
alter table rebate.settings
  add column referral_direct_bps   integer not null default 0 check (referral_direct_bps between 0 and 10000),    -- 直推奖励
  add column referral_indirect_bps integer not null default 0 check (referral_indirect_bps between 0 and 10000),  -- 间推奖励
  add column level_diff_cap_bps    integer not null default 0 check (level_diff_cap_bps between 0 and 10000),     -- 级差 per-order cap (0 = off)
  add column level_diff_max_depth  smallint not null default 10 check (level_diff_max_depth between 1 and 50),    -- 级差 levels up
  add column dividend_bps          integer not null default 0 check (dividend_bps between 0 and 10000),           -- 股东分红 pool share
  add column dividend_period       text not null default 'monthly' check (dividend_period in ('daily', 'weekly', 'monthly')),
  add column merchant_recruit_bps  integer not null default 0 check (merchant_recruit_bps between 0 and 10000),   -- 招商奖励
  add column payout_cap_bps        integer not null default 10000 check (payout_cap_bps between 0 and 10000);     -- 提取+奖励上限

insert into rebate.setting_fields (name, kind, min_value, max_value, choices, label) values
  ('referral_direct_bps',   'integer', 0, 10000, null, '直推奖励比例'),
  ('referral_indirect_bps', 'integer', 0, 10000, null, '间推奖励比例'),
  ('level_diff_cap_bps',    'integer', 0, 10000, null, '级差奖励每单上限'),
  ('level_diff_max_depth',  'integer', 1, 50, null, '级差奖励最多层数'),
  ('dividend_bps',          'integer', 0, 10000, null, '股东分红比例'),
  ('dividend_period',       'choice',  null, null, array['daily', 'weekly', 'monthly'], '股东分红周期'),
  ('merchant_recruit_bps',  'integer', 0, 10000, null, '招商奖励比例'),
  ('payout_cap_bps',        'integer', 0, 10000, null, '提取与奖励合计上限');

-- ============================================================ tables
-- Team levels (团队等级), separate from the member levels of the entitlement ratios.
--   diff_bps         级差 rate: going up the chain each level earns its rate minus the highest paid below
--   dividend_weight  股东分红 share weight; > 0 makes the level a shareholder level
--   can_recruit_merchants  members of this level have a merchant invite code (招商)
create table rebate.team_levels (
  id                     smallint primary key check (id between 1 and 999),
  name                   text not null check (char_length(name) between 1 and 20),
  rank                   smallint not null unique check (rank between 1 and 999),
  diff_bps               integer not null default 0 check (diff_bps between 0 and 10000),
  dividend_weight        integer not null default 0 check (dividend_weight between 0 and 1000000),
  can_recruit_merchants  boolean not null default false,
  created_at             timestamptz not null default now(),
  updated_at             timestamptz not null default now()
);

-- Members with a team level (推广员). Assigned by the platform admin.
create table rebate.promoters (
  member_id      uuid primary key references rebate.members (id),
  team_level_id  smallint not null references rebate.team_levels (id),
  assigned_by    uuid references rebate.members (id),
  assigned_at    timestamptz not null default now()
);

-- Who invited whom: one row per bound member, permanent (append-only).
create table rebate.referrals (
  id           bigint generated always as identity unique,
  member_id    uuid primary key references rebate.members (id),
  referrer_id  uuid not null references rebate.members (id),
  source       text not null check (source in ('scan', 'share', 'manual')),
  invite_code  text not null check (invite_code ~ '^[A-Z0-9]{4,24}$'),
  bound_at     timestamptz not null default now(),
  constraint referrals_not_self check (member_id <> referrer_id)
);

-- ============================================================ indexes
create index referrals_referrer_idx on rebate.referrals (referrer_id, id);
create index promoters_level_idx on rebate.promoters (team_level_id);

-- ============================================================ functions: helpers
-- The page a scanned code opens, by scene kind (i= invite, m= merchant invite, c= cashier).
create or replace function rebate.scene_page(p_kind text) returns text
language sql immutable parallel safe
as $$
  select case p_kind when 'invite' then 'packages/invite/join/index'
                     when 'merchant' then 'packages/invite/join/index'
                     when 'cashier' then 'packages/cashier/index' end
$$;

-- 550 → '5.5%'
create or replace function rebate.bps_text(p_bps integer) returns text
language sql immutable parallel safe
as $$ select pg_catalog.rtrim(pg_catalog.rtrim(pg_catalog.to_char(p_bps / 100.0, 'FM999990.00'), '0'), '.') || '%' $$;

-- An invite code as typed or scanned: upper case, optional 'i=' / 'm=' prefix removed.
create or replace function rebate.normalize_code(p_code text, p_prefix text) returns text
language sql immutable parallel safe
as $$
  select case when pg_catalog.upper(pg_catalog.btrim(coalesce(p_code, ''))) like pg_catalog.upper(p_prefix) || '=%'
              then pg_catalog.substr(pg_catalog.upper(pg_catalog.btrim(p_code)), pg_catalog.length(p_prefix) + 2)
              else pg_catalog.upper(pg_catalog.btrim(coalesce(p_code, ''))) end
$$;

-- The member's team level row, or nulls.
create or replace function rebate.member_team_level(p_member_id uuid) returns rebate.team_levels
language sql stable set search_path = ''
as $$
  select tl.* from rebate.promoters p join rebate.team_levels tl on tl.id = p.team_level_id
   where p.member_id = p_member_id
$$;

create or replace function rebate.can_recruit_merchants(p_member_id uuid) returns boolean
language sql stable set search_path = ''
as $$
  select coalesce((select tl.can_recruit_merchants from rebate.promoters p
                     join rebate.team_levels tl on tl.id = p.team_level_id
                    where p.member_id = p_member_id), false)
$$;

-- What every reward of one line may take at most, in bps of its paid amount (the guardrail's
-- reward side; conservative: all kinds at once).
create or replace function rebate.reward_share_bps(s rebate.settings) returns integer
language sql immutable
as $$
  select s.referral_direct_bps + s.referral_indirect_bps + s.level_diff_cap_bps + s.dividend_bps + s.merchant_recruit_bps
$$;

-- The guardrail (SPEC §11): extraction + all rewards ≤ payout_cap_bps of the paid amount.
-- Checked when settings change (against the highest extraction ratio anywhere) and when a
-- product, store or cashier gets its own extraction ratio. Settlement also clips at run time.
create or replace function rebate.settings_guardrail() returns trigger
language plpgsql set search_path = ''
as $$
declare
  v_ext integer;
begin
  v_ext := greatest(new.extraction_bps,
                    (select max(p.extraction_bps) from rebate.products p),
                    (select max(s.extraction_bps) from rebate.stores s),
                    (select max(c.extraction_bps) from rebate.cashiers c));
  if v_ext + rebate.reward_share_bps(new) > new.payout_cap_bps then
    raise exception using errcode = 'P0001', message = 'payout_cap_exceeded',
      hint = '提取比例（最高' || rebate.bps_text(v_ext) || '）与各项奖励比例之和（'
             || rebate.bps_text(rebate.reward_share_bps(new)) || '）不能超过上限'
             || rebate.bps_text(new.payout_cap_bps);
  end if;
  return new;
end;
$$;

create trigger settings_guardrail before update on rebate.settings
  for each row
  when (row(new.extraction_bps, new.referral_direct_bps, new.referral_indirect_bps, new.level_diff_cap_bps,
            new.dividend_bps, new.merchant_recruit_bps, new.payout_cap_bps)
        is distinct from
        row(old.extraction_bps, old.referral_direct_bps, old.referral_indirect_bps, old.level_diff_cap_bps,
            old.dividend_bps, old.merchant_recruit_bps, old.payout_cap_bps))
  execute function rebate.settings_guardrail();

-- A product / store / cashier extraction ratio must leave room for the rewards.
create or replace function rebate.extraction_guardrail() returns trigger
language plpgsql set search_path = ''
as $$
declare
  s rebate.settings;
begin
  if new.extraction_bps is null then
    return new;
  end if;
  select * into s from rebate.settings x where x.id = 1;
  if found and new.extraction_bps + rebate.reward_share_bps(s) > s.payout_cap_bps then
    raise exception using errcode = 'P0001', message = 'payout_cap_exceeded',
      hint = '提取比例' || rebate.bps_text(new.extraction_bps) || '与各项奖励比例之和（'
             || rebate.bps_text(rebate.reward_share_bps(s)) || '）不能超过上限' || rebate.bps_text(s.payout_cap_bps);
  end if;
  return new;
end;
$$;

create trigger products_extraction_guardrail before insert or update of extraction_bps on rebate.products
  for each row execute function rebate.extraction_guardrail();
create trigger stores_extraction_guardrail before insert or update of extraction_bps on rebate.stores
  for each row execute function rebate.extraction_guardrail();
create trigger cashiers_extraction_guardrail before insert or update of extraction_bps on rebate.cashiers
  for each row execute function rebate.extraction_guardrail();

-- Referrals are permanent.
create trigger referrals_append_only before update or delete on rebate.referrals
  for each row execute function rebate.forbid_change();

-- ============================================================ functions: members
-- My invite codes (the invite page). Scenes: 'i=<invite_code>' binds the scanner to me;
-- 'm=<merchant_invite_code>' opens the merchant application (members whose team level may
-- recruit merchants, and platform admins, whose merchant invites are the platform's).
create or replace function public.my_invite() returns jsonb
language plpgsql stable security definer set search_path = ''
as $$
declare
  v_uid uuid := rebate.require_member();
  m rebate.members;
  r rebate.referrals;
  v_ref_name text;
  tl rebate.team_levels;
  v_can boolean;
begin
  select * into m from rebate.members x where x.id = v_uid;
  select * into r from rebate.referrals x where x.member_id = v_uid;
  if r.member_id is not null then
    select rebate.mask_name(x.nickname) into v_ref_name from rebate.members x where x.id = r.referrer_id;
  end if;
  tl := rebate.member_team_level(v_uid);
  v_can := coalesce(tl.can_recruit_merchants, false) or m.is_admin;
  return jsonb_build_object(
    'member_code', m.member_code,
    'invite_code', m.member_code,
    'scene', 'i=' || m.member_code,
    'page', rebate.scene_page('invite'),
    'referrer', case when r.member_id is not null
                     then jsonb_build_object('nickname_masked', v_ref_name, 'bound_at', r.bound_at) end,
    'referrer_nickname', v_ref_name,
    'team_level', case when tl.id is not null
                       then jsonb_build_object('id', tl.id, 'name', tl.name, 'diff_bps', tl.diff_bps,
                                               'shareholder', tl.dividend_weight > 0) end,
    'is_promoter', tl.id is not null,
    'can_invite_merchants', v_can,
    'merchant_invite_code', case when v_can then m.member_code end,
    'merchant_scene', case when v_can then 'm=' || m.member_code end,
    'merchant_page', case when v_can then rebate.scene_page('merchant') end,
    'invited_count', (select count(*) from rebate.referrals x where x.referrer_id = v_uid),
    'indirect_count', (select count(*) from rebate.referrals x join rebate.referrals y on y.referrer_id = x.member_id
                        where x.referrer_id = v_uid));
end;
$$;

-- What the join page shows before binding: whose invite this is and whether I can bind to it.
-- reason: null (can bind) | 'self_referral' | 'already_bound' | 'referral_cycle'.
create or replace function public.invite_info(p_invite_code text) returns jsonb
language plpgsql stable security definer set search_path = ''
as $$
declare
  v_uid uuid := rebate.require_member();
  v_code text := rebate.normalize_code(p_invite_code, 'i');
  v_ref rebate.members;
  r rebate.referrals;
  v_reason text;
begin
  if v_code !~ '^[A-Z0-9]{4,24}$' then
    raise exception using errcode = 'P0001', message = 'invalid_invite_code', hint = '邀请码无效';
  end if;
  select * into v_ref from rebate.members m where m.member_code = v_code;
  if not found then
    raise exception using errcode = 'P0001', message = 'invalid_invite_code', hint = '邀请码无效或已失效';
  end if;
  select * into r from rebate.referrals x where x.member_id = v_uid;
  v_reason := case
    when v_ref.id = v_uid then 'self_referral'
    when r.member_id is not null then 'already_bound'
    when exists (with recursive up(id, depth) as (
                   select v_ref.id, 0
                   union all
                   select x.referrer_id, up.depth + 1 from up join rebate.referrals x on x.member_id = up.id
                    where up.depth < 100000)
                 select 1 from up where up.id = v_uid) then 'referral_cycle'
  end;
  return jsonb_build_object(
    'invite_code', v_code,
    'referrer_nickname_masked', rebate.mask_name(v_ref.nickname),
    'can_bind', v_reason is null,
    'reason', v_reason,
    'bound_to_this', r.referrer_id is not distinct from v_ref.id and r.member_id is not null);
end;
$$;

-- Binds me to the member whose invite code this is: once, permanently; never myself; never a
-- member below me (no cycle). Binding again to the same referrer returns the first binding
-- (already_bound true); to another referrer raises already_bound. Every bind runs under one
-- advisory lock, so two racing binds cannot together close a cycle, and racing binds of the
-- same member settle on exactly one referrer.
create or replace function public.bind_referrer(p_invite_code text, p_source text default 'scan') returns jsonb
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_uid uuid := rebate.require_member();
  v_code text := rebate.normalize_code(p_invite_code, 'i');
  v_ref rebate.members;
  v_me rebate.members;
  r rebate.referrals;
begin
  if v_code !~ '^[A-Z0-9]{4,24}$' then
    raise exception using errcode = 'P0001', message = 'invalid_invite_code', hint = '邀请码无效';
  end if;
  if p_source is null or p_source not in ('scan', 'share', 'manual') then
    raise exception using errcode = 'P0001', message = 'invalid_source', hint = '绑定来源无效';
  end if;
  select * into v_ref from rebate.members m where m.member_code = v_code;
  if not found then
    raise exception using errcode = 'P0001', message = 'invalid_invite_code', hint = '邀请码无效或已失效';
  end if;
  if v_ref.id = v_uid then
    raise exception using errcode = 'P0001', message = 'self_referral', hint = '不能绑定自己为推荐人';
  end if;

  perform pg_advisory_xact_lock(hashtextextended('rebate:referral-bind', 0));

  select * into r from rebate.referrals x where x.member_id = v_uid;
  if found then
    if r.referrer_id = v_ref.id then
      return jsonb_build_object('bound', false, 'already_bound', true,
                                'referrer_nickname_masked', rebate.mask_name(v_ref.nickname),
                                'referrer_nickname', rebate.mask_name(v_ref.nickname),
                                'bound_at', r.bound_at, 'source', r.source);
    end if;
    raise exception using errcode = 'P0001', message = 'already_bound', hint = '您已绑定推荐人，不能更换';
  end if;
  if exists (with recursive up(id, depth) as (
               select v_ref.id, 0
               union all
               select x.referrer_id, up.depth + 1 from up join rebate.referrals x on x.member_id = up.id
                where up.depth < 100000)
             select 1 from up where up.id = v_uid) then
    raise exception using errcode = 'P0001', message = 'referral_cycle', hint = '不能绑定自己邀请的成员为推荐人';
  end if;

  insert into rebate.referrals (member_id, referrer_id, source, invite_code)
  values (v_uid, v_ref.id, p_source, v_code)
  returning * into r;
  select * into v_me from rebate.members m where m.id = v_uid;
  insert into rebate.messages (member_id, kind, title, body)
  values (v_ref.id, 'referral_bound', '新成员加入团队',
          rebate.mask_name(v_me.nickname) || '通过您的邀请加入，已成为您的直推成员');
  return jsonb_build_object('bound', true, 'already_bound', false,
                            'referrer_nickname_masked', rebate.mask_name(v_ref.nickname),
                            'referrer_nickname', rebate.mask_name(v_ref.nickname),
                            'bound_at', r.bound_at, 'source', r.source);
end;
$$;

-- Team levels, for the team page and the admin (everyone signed in may read them).
create or replace function public.list_team_levels()
returns table (id smallint, name text, rank smallint, diff_bps integer, dividend_weight integer,
               can_recruit_merchants boolean, member_count bigint)
language sql stable security definer set search_path = ''
as $$
  select tl.id, tl.name, tl.rank, tl.diff_bps, tl.dividend_weight, tl.can_recruit_merchants,
         (select count(*) from rebate.promoters p where p.team_level_id = tl.id)
    from rebate.team_levels tl
   where (select auth.uid()) is not null
   order by tl.rank
$$;

-- ============================================================ functions: admin
-- Creates or updates a team level: {"id", "name", "rank", "diff_bps", "dividend_weight", "can_recruit_merchants"}.
-- id and name are required when creating; the other fields keep their value (or default) when absent.
create or replace function public.admin_upsert_team_level(p_level jsonb) returns jsonb
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_id bigint;
  v_rank bigint;
  v_diff bigint;
  v_weight bigint;
  v_old rebate.team_levels;
  v_row rebate.team_levels;
begin
  perform rebate.require_admin();
  if p_level is null or jsonb_typeof(p_level) <> 'object'
     or exists (select 1 from jsonb_object_keys(p_level) k
                 where k not in ('id', 'name', 'rank', 'diff_bps', 'dividend_weight', 'can_recruit_merchants')) then
    raise exception using errcode = 'P0001', message = 'invalid_team_level', hint = '团队等级参数无效';
  end if;
  v_id := rebate.json_int(p_level -> 'id', 1, 999);
  if v_id is null then
    raise exception using errcode = 'P0001', message = 'invalid_team_level', hint = '等级编号应为 1 到 999';
  end if;
  select * into v_old from rebate.team_levels tl where tl.id = v_id for update;
  if p_level ? 'name' and (jsonb_typeof(p_level -> 'name') <> 'string'
                           or char_length(btrim(p_level ->> 'name')) not between 1 and 20) then
    raise exception using errcode = 'P0001', message = 'invalid_team_level', hint = '等级名称应为 1 到 20 个字';
  end if;
  if v_old.id is null and not p_level ? 'name' then
    raise exception using errcode = 'P0001', message = 'invalid_team_level', hint = '请填写等级名称';
  end if;
  v_rank := case when p_level ? 'rank' then rebate.json_int(p_level -> 'rank', 1, 999) else coalesce(v_old.rank, v_id) end;
  v_diff := case when p_level ? 'diff_bps' then rebate.json_int(p_level -> 'diff_bps', 0, 10000) else coalesce(v_old.diff_bps, 0) end;
  v_weight := case when p_level ? 'dividend_weight' then rebate.json_int(p_level -> 'dividend_weight', 0, 1000000)
                   else coalesce(v_old.dividend_weight, 0) end;
  if v_rank is null or v_diff is null or v_weight is null
     or (p_level ? 'can_recruit_merchants' and jsonb_typeof(p_level -> 'can_recruit_merchants') <> 'boolean') then
    raise exception using errcode = 'P0001', message = 'invalid_team_level', hint = '团队等级参数无效';
  end if;
  begin
    insert into rebate.team_levels as tl (id, name, rank, diff_bps, dividend_weight, can_recruit_merchants)
    values (v_id, coalesce(btrim(p_level ->> 'name'), v_old.name), v_rank, v_diff, v_weight,
            coalesce((p_level ->> 'can_recruit_merchants')::boolean, v_old.can_recruit_merchants, false))
    on conflict (id) do update set
      name = excluded.name, rank = excluded.rank, diff_bps = excluded.diff_bps,
      dividend_weight = excluded.dividend_weight, can_recruit_merchants = excluded.can_recruit_merchants,
      updated_at = now()
    returning * into v_row;
  exception when unique_violation then
    raise exception using errcode = 'P0001', message = 'team_level_rank_taken', hint = '该等级排序已被其他等级使用';
  end;
  return to_jsonb(v_row);
end;
$$;

-- Gives a member a team level (null: removes it). By member code.
create or replace function public.admin_set_member_team_level(p_member_code text, p_team_level_id smallint) returns jsonb
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_admin uuid := rebate.require_admin();
  v_member uuid;
begin
  select m.id into v_member from rebate.members m where m.member_code = upper(btrim(coalesce(p_member_code, '')));
  if v_member is null then
    raise exception using errcode = 'P0001', message = 'member_not_found', hint = '会员不存在';
  end if;
  if p_team_level_id is null then
    delete from rebate.promoters p where p.member_id = v_member;
  else
    if not exists (select 1 from rebate.team_levels tl where tl.id = p_team_level_id) then
      raise exception using errcode = 'P0001', message = 'team_level_not_found', hint = '团队等级不存在';
    end if;
    insert into rebate.promoters (member_id, team_level_id, assigned_by)
    values (v_member, p_team_level_id, v_admin)
    on conflict (member_id) do update set team_level_id = excluded.team_level_id,
      assigned_by = excluded.assigned_by, assigned_at = now();
  end if;
  return jsonb_build_object('member_id', v_member, 'member_code', upper(btrim(p_member_code)),
                            'team_level_id', p_team_level_id);
end;
$$;

-- A member's referral position for the admin: referrer, level, counts. By member code.
create or replace function public.admin_member_referral(p_member_code text) returns jsonb
language plpgsql stable security definer set search_path = ''
as $$
declare
  m rebate.members;
  r rebate.referrals;
  v_ref rebate.members;
  tl rebate.team_levels;
begin
  perform rebate.require_admin();
  select * into m from rebate.members x where x.member_code = upper(btrim(coalesce(p_member_code, '')));
  if not found then
    raise exception using errcode = 'P0001', message = 'member_not_found', hint = '会员不存在';
  end if;
  select * into r from rebate.referrals x where x.member_id = m.id;
  select * into v_ref from rebate.members x where x.id = r.referrer_id;
  tl := rebate.member_team_level(m.id);
  return jsonb_build_object(
    'member_id', m.id, 'member_code', m.member_code, 'nickname', m.nickname,
    'referrer', case when r.member_id is not null then jsonb_build_object(
                  'member_code', v_ref.member_code, 'nickname', v_ref.nickname, 'bound_at', r.bound_at,
                  'source', r.source, 'invite_code', r.invite_code) end,
    'team_level', case when tl.id is not null then to_jsonb(tl) end,
    'direct_count', (select count(*) from rebate.referrals x where x.referrer_id = m.id),
    'indirect_count', (select count(*) from rebate.referrals x join rebate.referrals y on y.referrer_id = x.member_id
                        where x.referrer_id = m.id));
end;
$$;

-- ============================================================ policies
alter table rebate.team_levels enable row level security;
alter table rebate.promoters enable row level security;
alter table rebate.referrals enable row level security;

create policy "Signed-in members can read team levels"
  on rebate.team_levels for select to authenticated using (true);
create policy "Members can read their own team level"
  on rebate.promoters for select to authenticated using (member_id = (select auth.uid()));
create policy "Members can read their own referral and their direct referees'"
  on rebate.referrals for select to authenticated
  using (member_id = (select auth.uid()) or referrer_id = (select auth.uid()));

-- ============================================================ grants
revoke all on rebate.team_levels, rebate.promoters, rebate.referrals from public, anon, authenticated, service_role;
grant select on rebate.team_levels, rebate.promoters, rebate.referrals to service_role;

revoke all on function rebate.scene_page(text), rebate.bps_text(integer), rebate.normalize_code(text, text),
  rebate.member_team_level(uuid), rebate.can_recruit_merchants(uuid), rebate.reward_share_bps(rebate.settings),
  rebate.settings_guardrail(), rebate.extraction_guardrail()
  from public, anon, authenticated;

revoke all on function public.my_invite(), public.invite_info(text), public.bind_referrer(text, text),
  public.list_team_levels(), public.admin_upsert_team_level(jsonb), public.admin_set_member_team_level(text, smallint),
  public.admin_member_referral(text)
  from public, anon, authenticated, service_role;
grant execute on function public.my_invite(), public.invite_info(text), public.bind_referrer(text, text),
  public.list_team_levels(), public.admin_upsert_team_level(jsonb), public.admin_set_member_team_level(text, smallint),
  public.admin_member_referral(text)
  to authenticated;
