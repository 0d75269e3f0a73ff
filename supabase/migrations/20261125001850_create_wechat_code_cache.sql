-- Mini-program codes (小程序码) for invites, merchant invites and cashiers, made by the
-- invite-qrcode edge function: the WeChat access token shared by every function instance
-- (WECHAT-NOTES §2: one row, refreshed 300 s before expiry) and the images, cached per scene.
--   scene 'i=<member code>'       page packages/invite/join/index   (invite: bind to the referrer)
--   scene 'm=<merchant code>'     page packages/invite/join/index   (merchant application)
--   scene 'c=<cashier code>'      page packages/cashier/index       (cashier payment)

-- ============================================================ tables
create table rebate.wechat_tokens (
  appid         text primary key check (appid ~ '^[A-Za-z0-9_-]{1,64}$'),
  access_token  text not null check (char_length(access_token) between 1 and 2048),
  expires_at    timestamptz not null,
  obtained_at   timestamptz not null default now()
);

-- variant: how the image was made ('qr' = a standard QR code of the scene; 'wxa:<appid>:<env>:<width>'
-- = a WeChat mini-program code), so a configuration change makes new images.
create table rebate.qrcode_images (
  scene       text not null check (scene ~ '^[imc]=[A-Z0-9]{4,24}$'),
  page        text not null check (page ~ '^[a-z0-9_/-]{1,100}$'),
  variant     text not null check (variant ~ '^[A-Za-z0-9_:.-]{1,100}$'),
  mime        text not null check (mime in ('image/png', 'image/jpeg')),
  image       bytea not null check (octet_length(image) between 8 and 2000000),
  created_at  timestamptz not null default now(),
  primary key (scene, page, variant)
);

-- ============================================================ functions: members
-- The code the caller may show, and its cached image if there is one:
--   'member'   my invite (i=<member code>)
--   'merchant' my merchant invite (m=<member code>), if my team level may recruit merchants or I am an admin
--   'cashier'  the cashier of a store I own (p_store_id, or my only store); admins: any store
-- Returns {kind, scene, page, variant, image_base64 | null, mime | null}.
create or replace function public.qrcode_target(p_kind text default 'member', p_store_id bigint default null,
                                                p_variant text default 'qr') returns jsonb
language plpgsql stable security definer set search_path = ''
as $$
declare
  v_uid uuid := rebate.require_member();
  v_code text;
  v_scene text;
  v_page text;
  v_store_id bigint := p_store_id;
  q rebate.qrcode_images;
begin
  if p_variant is null or p_variant !~ '^[A-Za-z0-9_:.-]{1,100}$' then
    raise exception using errcode = 'P0001', message = 'invalid_variant', hint = '参数无效';
  end if;
  select m.member_code into v_code from rebate.members m where m.id = v_uid;
  if p_kind = 'member' then
    v_scene := 'i=' || v_code;
    v_page := rebate.scene_page('invite');
  elsif p_kind = 'merchant' then
    if not rebate.can_recruit_merchants(v_uid)
       and not exists (select 1 from rebate.members m where m.id = v_uid and m.is_admin) then
      raise exception using errcode = 'P0001', message = 'not_recruiter', hint = '您暂无招商权限';
    end if;
    v_scene := 'm=' || v_code;
    v_page := rebate.scene_page('merchant');
  elsif p_kind = 'cashier' then
    if v_store_id is null then
      select case when count(*) = 1 then min(s.id) end into v_store_id
        from rebate.stores s where s.owner_member_id = v_uid;
      if v_store_id is null then
        raise exception using errcode = 'P0001', message = 'invalid_store_id', hint = '请选择门店';
      end if;
    end if;
    perform rebate.require_store_owner(v_store_id);
    select 'c=' || c.code into v_scene from rebate.cashiers c where c.store_id = v_store_id;
    if v_scene is null then
      raise exception using errcode = 'P0001', message = 'cashier_unavailable', hint = '该门店暂不支持买单';
    end if;
    v_page := rebate.scene_page('cashier');
  else
    raise exception using errcode = 'P0001', message = 'invalid_kind', hint = '二维码类型无效';
  end if;
  select * into q from rebate.qrcode_images x where x.scene = v_scene and x.page = v_page and x.variant = p_variant;
  return jsonb_build_object(
    'kind', p_kind, 'scene', v_scene, 'page', v_page, 'variant', p_variant, 'store_id', v_store_id,
    'image_base64', case when q.scene is not null then translate(encode(q.image, 'base64'), E'\n', '') end,
    'mime', q.mime);
end;
$$;

-- ============================================================ functions: the edge function (service_role)
create or replace function public.qrcode_store(p_scene text, p_page text, p_variant text, p_mime text,
                                               p_image_base64 text) returns jsonb
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_image bytea;
begin
  begin
    v_image := decode(p_image_base64, 'base64');
  exception when others then
    raise exception using errcode = 'P0001', message = 'invalid_image', hint = '图片无效';
  end;
  begin
    insert into rebate.qrcode_images (scene, page, variant, mime, image)
    values (p_scene, p_page, p_variant, p_mime, v_image)
    on conflict (scene, page, variant) do update set mime = excluded.mime, image = excluded.image, created_at = now();
  exception when check_violation or not_null_violation then
    raise exception using errcode = 'P0001', message = 'invalid_image', hint = '图片无效';
  end;
  return jsonb_build_object('scene', p_scene, 'page', p_page, 'variant', p_variant, 'bytes', octet_length(v_image));
end;
$$;

-- The shared access token, or null when there is none or it expires within 300 s.
create or replace function public.wechat_token_get(p_appid text) returns jsonb
language sql stable security definer set search_path = ''
as $$
  select jsonb_build_object('access_token', t.access_token, 'expires_at', t.expires_at)
    from rebate.wechat_tokens t
   where t.appid = p_appid and t.expires_at > now() + interval '300 seconds'
$$;

create or replace function public.wechat_token_put(p_appid text, p_access_token text, p_expires_in integer) returns jsonb
language plpgsql volatile security definer set search_path = ''
as $$
declare
  t rebate.wechat_tokens;
begin
  if p_expires_in is null or p_expires_in not between 1 and 86400 then
    raise exception using errcode = 'P0001', message = 'invalid_token', hint = '凭证无效';
  end if;
  begin
    insert into rebate.wechat_tokens (appid, access_token, expires_at)
    values (p_appid, p_access_token, now() + make_interval(secs => p_expires_in))
    on conflict (appid) do update set access_token = excluded.access_token, expires_at = excluded.expires_at,
                                      obtained_at = now()
    returning * into t;
  exception when check_violation or not_null_violation then
    raise exception using errcode = 'P0001', message = 'invalid_token', hint = '凭证无效';
  end;
  return jsonb_build_object('access_token', t.access_token, 'expires_at', t.expires_at);
end;
$$;

-- Forgets the token if it is still this one (WeChat said it is invalid: 40001/40014/42001).
create or replace function public.wechat_token_invalidate(p_appid text, p_access_token text) returns boolean
language plpgsql volatile security definer set search_path = ''
as $$
begin
  delete from rebate.wechat_tokens t where t.appid = p_appid and t.access_token = p_access_token;
  return found;
end;
$$;

-- ============================================================ policies
alter table rebate.wechat_tokens enable row level security;
alter table rebate.qrcode_images enable row level security;
-- no policies: only the functions above read them

-- ============================================================ grants
revoke all on rebate.wechat_tokens, rebate.qrcode_images from public, anon, authenticated, service_role;
grant select on rebate.wechat_tokens, rebate.qrcode_images to service_role;

revoke all on function public.qrcode_target(text, bigint, text), public.qrcode_store(text, text, text, text, text),
  public.wechat_token_get(text), public.wechat_token_put(text, text, integer), public.wechat_token_invalidate(text, text)
  from public, anon, authenticated, service_role;
grant execute on function public.qrcode_target(text, bigint, text) to authenticated;
grant execute on function public.qrcode_store(text, text, text, text, text), public.wechat_token_get(text),
  public.wechat_token_put(text, text, integer), public.wechat_token_invalidate(text, text)
  to service_role;
