-- Messages (消息通知) and the WeChat caches: access token, mini-program code images
-- SPEC §12.
-- The source of truth (docs/database.md): edit here, then `npm run db:diff -- <name>` writes the migration.

-- ============================================================ tables

-- In-app messages (SPEC §12), written in the same transaction as the event.
CREATE TABLE "rebate"."messages" (
  "id"         bigint                   GENERATED ALWAYS AS IDENTITY NOT NULL,
  "member_id"  uuid                     NOT NULL,  -- a member (no foreign key: notifications stay off the hot path)
  "kind"       text                     NOT NULL,
  "title"      text                     NOT NULL,
  "body"       text                     NOT NULL,
  "entry_id"   bigint,
  "order_id"   bigint,
  "amount_fen" bigint,
  "read_at"    timestamp with time zone,
  "created_at" timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT "messages_pkey" PRIMARY KEY (id)
);

ALTER TABLE "rebate"."messages"
  ENABLE ROW LEVEL SECURITY;

CREATE INDEX messages_member_idx ON rebate.messages USING btree (member_id, id);

CREATE TABLE "rebate"."wechat_tokens" (
  "appid"        text                     NOT NULL,
  "access_token" text                     NOT NULL,
  "expires_at"   timestamp with time zone NOT NULL,
  "obtained_at"  timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT "wechat_tokens_access_token_check" CHECK (((char_length(access_token) >= 1) AND (char_length(access_token) <= 2048))),
  CONSTRAINT "wechat_tokens_appid_check" CHECK ((appid ~ '^[A-Za-z0-9_-]{1,64}$'::text)),
  CONSTRAINT "wechat_tokens_pkey" PRIMARY KEY (appid)
);

ALTER TABLE "rebate"."wechat_tokens"
  ENABLE ROW LEVEL SECURITY;

CREATE TABLE "rebate"."qrcode_images" (
  "scene"      text                     NOT NULL,
  "page"       text                     NOT NULL,
  "variant"    text                     NOT NULL,
  "mime"       text                     NOT NULL,
  "image"      bytea                    NOT NULL,
  "created_at" timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT "qrcode_images_image_check" CHECK (((octet_length(image) >= 8) AND (octet_length(image) <= 2000000))),
  CONSTRAINT "qrcode_images_mime_check" CHECK ((mime = ANY (ARRAY['image/png'::text, 'image/jpeg'::text]))),
  CONSTRAINT "qrcode_images_page_check" CHECK ((page ~ '^[a-z0-9_/-]{1,100}$'::text)),
  CONSTRAINT "qrcode_images_pkey" PRIMARY KEY (scene, page, variant),
  CONSTRAINT "qrcode_images_scene_check" CHECK ((scene ~ '^[imc]=[A-Z0-9]{4,24}$'::text)),
  CONSTRAINT "qrcode_images_variant_check" CHECK ((variant ~ '^[A-Za-z0-9_:.-]{1,100}$'::text))
);

ALTER TABLE "rebate"."qrcode_images"
  ENABLE ROW LEVEL SECURITY;

-- ============================================================ functions

CREATE OR REPLACE FUNCTION rebate.message_ok (
  r rebate.messages
)
  RETURNS boolean
  LANGUAGE plpgsql
  IMMUTABLE
  AS $function$
declare
  -- the first rule the row breaks, if any
  v_broken constant text := case
      when char_length(r.kind) not between 1 and 32 or char_length(r.title) not between 1 and 40
           or char_length(r.body) not between 1 and 200
        then 'messages_text'
    end;
begin
  if v_broken is not null then
    return rebate.invariant_failed(v_broken);
  end if;
  return true;
end;
$function$;
comment on function rebate.message_ok(r rebate.messages) is 'Row invariants of a message (one CHECK): kind known, title and body lengths.';
revoke all on function rebate.message_ok(r rebate.messages) from public, anon, authenticated, service_role;

-- Marks the given messages (or, with null, all of them) read; returns how many changed.
CREATE OR REPLACE FUNCTION public.mark_messages_read (
  p_ids bigint[] DEFAULT NULL::bigint[]
)
  RETURNS integer
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_uid uuid := rebate.require_member();
  v_n integer;
begin
  if p_ids is not null and cardinality(p_ids) > 500 then
    raise exception using errcode = 'P0001', message = 'invalid_limit', hint = '一次最多标记 500 条';
  end if;
  update rebate.messages m set read_at = now()
   where m.member_id = v_uid and m.read_at is null
     and (p_ids is null or m.id = any (p_ids));
  get diagnostics v_n = row_count;
  return v_n;
end;
$function$;
comment on function public.mark_messages_read(p_ids bigint[]) is 'Marks the given messages (or, with null, all of them) read; returns how many changed.';
revoke all on function public.mark_messages_read(p_ids bigint[]) from public, anon, authenticated, service_role;
grant execute on function public.mark_messages_read(p_ids bigint[]) to authenticated;

-- The signed-in member's messages, newest first.
CREATE OR REPLACE FUNCTION public.my_messages (
  p_unread_only boolean DEFAULT false,
  p_before_id   bigint  DEFAULT NULL::bigint,
  p_limit       integer DEFAULT 20
)
  RETURNS TABLE (
    id         bigint,
    kind       text,
    title      text,
    body       text,
    entry_id   bigint,
    order_id   bigint,
    amount_fen bigint,
    read_at    timestamp with time zone,
    created_at timestamp with time zone
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
    select m.id, m.kind, m.title, m.body, m.entry_id, m.order_id, m.amount_fen, m.read_at, m.created_at
      from rebate.messages m
     where m.member_id = v_uid
       and (not coalesce(p_unread_only, false) or m.read_at is null)
       and (p_before_id is null or m.id < p_before_id)
     order by m.id desc
     limit p_limit;
end;
$function$;
comment on function public.my_messages(p_unread_only boolean, p_before_id bigint, p_limit integer) is 'The signed-in member''s messages, newest first.';
revoke all on function public.my_messages(p_unread_only boolean, p_before_id bigint, p_limit integer) from public, anon, authenticated, service_role;
grant execute on function public.my_messages(p_unread_only boolean, p_before_id bigint, p_limit integer) to authenticated;

CREATE OR REPLACE FUNCTION public.qrcode_store (
  p_scene        text,
  p_page         text,
  p_variant      text,
  p_mime         text,
  p_image_base64 text
)
  RETURNS jsonb
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
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
$function$;
comment on function public.qrcode_store(p_scene text, p_page text, p_variant text, p_mime text, p_image_base64 text) is 'Service role: stores a generated mini-program code image for a scene (cache of the invite-qrcode function).';
revoke all on function public.qrcode_store(p_scene text, p_page text, p_variant text, p_mime text, p_image_base64 text) from public, anon, authenticated, service_role;
grant execute on function public.qrcode_store(p_scene text, p_page text, p_variant text, p_mime text, p_image_base64 text) to service_role;

-- The code the caller may show, and its cached image if there is one:
--   'member'   my invite (i=<member code>)
--   'merchant' my merchant invite (m=<member code>), if my team level may recruit merchants or I am an admin
--   'cashier'  the cashier of a store I own (p_store_id, or my only store); admins: any store
-- Returns {kind, scene, page, variant, image_base64 | null, mime | null}.
CREATE OR REPLACE FUNCTION public.qrcode_target (
  p_kind     text   DEFAULT 'member'::text,
  p_store_id bigint DEFAULT NULL::bigint,
  p_variant  text   DEFAULT 'qr'::text
)
  RETURNS jsonb
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
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
$function$;
comment on function public.qrcode_target(p_kind text, p_store_id bigint, p_variant text) is 'The code the caller may show, and its cached image if there is one:   ''member''   my invite (i=<member code>)   ''merchant'' my merchant invite (m=<member code>), if my team level may recruit merchants or I am an admin   ''cashier''  the cashier of a store I own (p_store_id, or my only store); admins: any store Returns {kind, scene, page, variant, image_base64 | null, mime | null}.';
revoke all on function public.qrcode_target(p_kind text, p_store_id bigint, p_variant text) from public, anon, authenticated, service_role;
grant execute on function public.qrcode_target(p_kind text, p_store_id bigint, p_variant text) to authenticated;

-- The shared access token, or null when there is none or it expires within 300 s.
CREATE OR REPLACE FUNCTION public.wechat_token_get (
  p_appid text
)
  RETURNS jsonb
  LANGUAGE sql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
  select jsonb_build_object('access_token', t.access_token, 'expires_at', t.expires_at)
    from rebate.wechat_tokens t
   where t.appid = p_appid and t.expires_at > now() + interval '300 seconds'
$function$;
comment on function public.wechat_token_get(p_appid text) is 'The shared access token, or null when there is none or it expires within 300 s.';
revoke all on function public.wechat_token_get(p_appid text) from public, anon, authenticated, service_role;
grant execute on function public.wechat_token_get(p_appid text) to service_role;

-- Forgets the token if it is still this one (WeChat said it is invalid: 40001/40014/42001).
CREATE OR REPLACE FUNCTION public.wechat_token_invalidate (
  p_appid        text,
  p_access_token text
)
  RETURNS boolean
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
begin
  delete from rebate.wechat_tokens t where t.appid = p_appid and t.access_token = p_access_token;
  return found;
end;
$function$;
comment on function public.wechat_token_invalidate(p_appid text, p_access_token text) is 'Forgets the token if it is still this one (WeChat said it is invalid: 40001/40014/42001).';
revoke all on function public.wechat_token_invalidate(p_appid text, p_access_token text) from public, anon, authenticated, service_role;
grant execute on function public.wechat_token_invalidate(p_appid text, p_access_token text) to service_role;

CREATE OR REPLACE FUNCTION public.wechat_token_put (
  p_appid        text,
  p_access_token text,
  p_expires_in   integer
)
  RETURNS jsonb
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
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
$function$;
comment on function public.wechat_token_put(p_appid text, p_access_token text, p_expires_in integer) is 'Service role: stores the WeChat access token of an app id with its expiry.';
revoke all on function public.wechat_token_put(p_appid text, p_access_token text, p_expires_in integer) from public, anon, authenticated, service_role;
grant execute on function public.wechat_token_put(p_appid text, p_access_token text, p_expires_in integer) to service_role;

-- ============================================================ constraints

ALTER TABLE "rebate"."messages"
  ADD CONSTRAINT "messages_invariants" CHECK (rebate.message_ok(messages.*));

-- ============================================================ policies

CREATE POLICY "Members can read their own messages" ON "rebate"."messages"
  FOR SELECT
  TO "authenticated"
  USING ((member_id = ( SELECT auth.uid() AS uid)));

-- ============================================================ grants

GRANT SELECT ON TABLE "rebate"."messages" TO "service_role";

GRANT SELECT ON TABLE "rebate"."wechat_tokens" TO "service_role";

GRANT SELECT ON TABLE "rebate"."qrcode_images" TO "service_role";
