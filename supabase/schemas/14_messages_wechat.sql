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

-- ============================================================ subscribe messages (订阅消息)
-- SPEC §12: a message is also pushed as a WeChat subscribe message when the member allowed it.
-- docs/messages.md describes the flow. The client asks wx.requestSubscribeMessage for the
-- templates of a moment (subscribe_templates), and reports the answer (record_subscriptions):
-- each 'accept' of a one-time template allows exactly one send. A message row whose kind a
-- configured template carries, for a member with an acceptance left, gets a push row (trigger
-- below, read-only probe otherwise); the message-sender edge function claims push rows
-- (message_push_claim: FOR UPDATE SKIP LOCKED, one acceptance taken per row), sends them to
-- WeChat and reports each outcome (message_push_report).

-- The templates the app asks for, by moment. template_id null: not configured (nothing asked,
-- nothing sent). fields maps the template's keywords to what fills them (see
-- rebate.subscribe_field_sources()).
CREATE TABLE "rebate"."subscribe_templates" (
  "key"         text                     NOT NULL,
  "title"       text                     NOT NULL,
  "template_id" text,
  "kinds"       text[]                   NOT NULL,
  "moments"     text[]                   NOT NULL,
  "fields"      jsonb                    NOT NULL,
  "page"        text                     NOT NULL DEFAULT 'packages/messages/index'::text,
  "updated_at"  timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT "subscribe_templates_pkey" PRIMARY KEY (key),
  CONSTRAINT "subscribe_templates_key_check" CHECK ((key ~ '^[a-z_]{1,32}$'::text)),
  CONSTRAINT "subscribe_templates_title_check" CHECK (((char_length(title) >= 1) AND (char_length(title) <= 20))),
  CONSTRAINT "subscribe_templates_template_id_check" CHECK (((template_id IS NULL) OR (template_id ~ '^[A-Za-z0-9_-]{1,128}$'::text))),
  CONSTRAINT "subscribe_templates_template_id_key" UNIQUE (template_id),
  CONSTRAINT "subscribe_templates_moments_check" CHECK ((moments <@ ARRAY['paid'::text, 'queue'::text, 'withdrawal'::text])),
  CONSTRAINT "subscribe_templates_page_check" CHECK ((page ~ '^[a-z0-9_/-]{1,100}$'::text))
);

ALTER TABLE "rebate"."subscribe_templates"
  ENABLE ROW LEVEL SECURITY;

-- A member's acceptances per template: remaining = sends still allowed (WeChat: one per accept).
CREATE TABLE "rebate"."subscriptions" (
  "member_id"      uuid                     NOT NULL,
  "template_id"    text                     NOT NULL,
  "remaining"      integer                  NOT NULL DEFAULT 0,
  "accepted_total" integer                  NOT NULL DEFAULT 0,
  "sent_total"     integer                  NOT NULL DEFAULT 0,
  "last_result"    text                     NOT NULL,
  "updated_at"     timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT "subscriptions_pkey" PRIMARY KEY (member_id, template_id),
  CONSTRAINT "subscriptions_member_id_fkey" FOREIGN KEY (member_id) REFERENCES rebate.members(id),
  CONSTRAINT "subscriptions_remaining_check" CHECK (((remaining >= 0) AND (remaining <= 50))),
  CONSTRAINT "subscriptions_totals_check" CHECK (((accepted_total >= 0) AND (sent_total >= 0))),
  CONSTRAINT "subscriptions_last_result_check" CHECK ((last_result = ANY (ARRAY['accept'::text, 'reject'::text, 'ban'::text, 'filter'::text, 'sent'::text, 'not_subscribed'::text])))
);

ALTER TABLE "rebate"."subscriptions"
  ENABLE ROW LEVEL SECURITY;

-- One push per message at most (message_id unique: never sent twice).
--   pending  waiting for next_attempt_at      sending  claimed by a sender until lease_until
--   sent     WeChat accepted it (msgid)       skipped  no acceptance left (ours, or WeChat's 43101)
--   dead     given up: a permanent error, attempts exhausted, or the outcome unknown; the
--            console can put it back to pending (admin_retry_message_push).
-- reserved: the row holds one of the member's acceptances (taken at its first claim).
CREATE TABLE "rebate"."message_pushes" (
  "id"              bigint                   GENERATED ALWAYS AS IDENTITY NOT NULL,
  "message_id"      bigint                   NOT NULL,
  "member_id"       uuid                     NOT NULL,
  "template_id"     text                     NOT NULL,
  "status"          text                     NOT NULL DEFAULT 'pending'::text,
  "reserved"        boolean                  NOT NULL DEFAULT false,
  "attempts"        integer                  NOT NULL DEFAULT 0,
  "next_attempt_at" timestamp with time zone NOT NULL DEFAULT now(),
  "lease_until"     timestamp with time zone,
  "last_errcode"    integer,
  "last_error"      text,
  "msgid"           text,
  "sent_at"         timestamp with time zone,
  "created_at"      timestamp with time zone NOT NULL DEFAULT now(),
  "updated_at"      timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT "message_pushes_pkey" PRIMARY KEY (id),
  CONSTRAINT "message_pushes_message_id_key" UNIQUE (message_id),
  CONSTRAINT "message_pushes_message_id_fkey" FOREIGN KEY (message_id) REFERENCES rebate.messages(id),
  CONSTRAINT "message_pushes_status_check" CHECK ((status = ANY (ARRAY['pending'::text, 'sending'::text, 'sent'::text, 'skipped'::text, 'dead'::text]))),
  CONSTRAINT "message_pushes_attempts_check" CHECK ((attempts >= 0)),
  CONSTRAINT "message_pushes_lease_check" CHECK (((status = 'sending'::text) = (lease_until IS NOT NULL))),
  CONSTRAINT "message_pushes_last_error_check" CHECK (((last_error IS NULL) OR (char_length(last_error) <= 200))),
  CONSTRAINT "message_pushes_msgid_check" CHECK (((status = 'sent'::text) = (msgid IS NOT NULL)))
);

ALTER TABLE "rebate"."message_pushes"
  ENABLE ROW LEVEL SECURITY;

CREATE INDEX message_pushes_due_idx ON rebate.message_pushes USING btree (next_attempt_at, id) WHERE (status = 'pending'::text);

CREATE INDEX message_pushes_sending_idx ON rebate.message_pushes USING btree (lease_until) WHERE (status = 'sending'::text);

CREATE INDEX message_pushes_status_idx ON rebate.message_pushes USING btree (status, id);

-- What a template keyword may be filled with, and the keyword kinds (WeChat's value types).
CREATE OR REPLACE FUNCTION rebate.subscribe_fields_ok (
  p_fields jsonb
)
  RETURNS boolean
  LANGUAGE plpgsql
  IMMUTABLE
  SET search_path TO ''
  AS $function$
declare
  k text;
  v jsonb;
begin
  if p_fields is null or jsonb_typeof(p_fields) <> 'object' or p_fields = '{}'::jsonb
     or (select count(*) from jsonb_object_keys(p_fields)) > 10 then
    return false;
  end if;
  for k, v in select * from jsonb_each(p_fields) loop
    if k !~ '^(thing|number|letter|symbol|character_string|time|date|amount|phone_number|car_number|name|phrase)[0-9]{1,2}$'
       or jsonb_typeof(v) <> 'string'
       or v #>> '{}' not in ('title', 'body', 'amount', 'time', 'kind_label', 'order_no') then
      return false;
    end if;
  end loop;
  return true;
end;
$function$;
comment on function rebate.subscribe_fields_ok(p_fields jsonb) is 'Whether a template''s field map is valid: 1 to 10 WeChat keywords (thing1, amount2, time3, phrase4, …) each filled from title, body, amount, time, kind_label or order_no.';
revoke all on function rebate.subscribe_fields_ok(p_fields jsonb) from public, anon, authenticated, service_role;

-- The short word (WeChat phrase: at most 5 Chinese characters) for a message kind.
CREATE OR REPLACE FUNCTION rebate.message_kind_phrase (
  p_kind text
)
  RETURNS text
  LANGUAGE sql
  IMMUTABLE
  SET search_path TO ''
  AS $function$
  select case p_kind
    when 'entry_joined' then '排队成功'
    when 'entry_received' then '返利到账'
    when 'entry_completed' then '已返满'
    when 'entry_cleared' then '已清零'
    when 'lottery_drawn' then '抽奖完成'
    when 'entry_exchanged' then '兑换成功'
    when 'withdrawal_approved' then '已打款'
    when 'withdrawal_rejected' then '未通过'
    when 'withdrawal_paid' then '已到账'
    when 'withdrawal_failed' then '打款失败'
    else '消息通知'
  end
$function$;
comment on function rebate.message_kind_phrase(p_kind text) is 'The short word (WeChat phrase, at most 5 Chinese characters) for a message kind.';
revoke all on function rebate.message_kind_phrase(p_kind text) from public, anon, authenticated, service_role;

-- Retry policy of the sender: attempts before the dead letter, and the back-off before attempt n+1.
CREATE OR REPLACE FUNCTION rebate.message_push_backoff (
  p_attempts integer
)
  RETURNS interval
  LANGUAGE sql
  IMMUTABLE
  SET search_path TO ''
  AS $function$
  select make_interval(secs => least(3600, 60 * power(2, greatest(p_attempts, 1) - 1))::integer)
$function$;
comment on function rebate.message_push_backoff(p_attempts integer) is 'Back-off after a failed attempt n of a subscribe message: 60 s × 2^(n−1), at most 1 hour.';
revoke all on function rebate.message_push_backoff(p_attempts integer) from public, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION rebate.message_push_max_attempts ()
  RETURNS integer
  LANGUAGE sql
  IMMUTABLE
  SET search_path TO ''
  AS $function$
  select 5
$function$;
comment on function rebate.message_push_max_attempts() is 'Attempts of a subscribe message before it becomes a dead letter.';
revoke all on function rebate.message_push_max_attempts() from public, anon, authenticated, service_role;

-- Trigger: a new message gets a push row when a configured template carries its kind and the
-- member has an acceptance left for it. Only reads otherwise (the acceptance is taken by the
-- sender's claim, off the settlement path).
CREATE OR REPLACE FUNCTION rebate.enqueue_message_push ()
  RETURNS trigger
  LANGUAGE plpgsql
  SET search_path TO ''
  AS $function$
declare
  v_template text;
begin
  select s.template_id into v_template
    from rebate.subscriptions s
    join rebate.subscribe_templates t on t.template_id = s.template_id
   where s.member_id = new.member_id and s.remaining > 0 and new.kind = any (t.kinds)
   order by t.key
   limit 1;
  if v_template is not null then
    insert into rebate.message_pushes (message_id, member_id, template_id) values (new.id, new.member_id, v_template);
  end if;
  return null;
end;
$function$;
comment on function rebate.enqueue_message_push() is 'Trigger: a new message gets a push row when a configured template carries its kind and the member has an acceptance left for it.';
revoke all on function rebate.enqueue_message_push() from public, anon, authenticated, service_role;

-- The configured templates the app asks for at a moment: 'paid' (after paying), 'queue' (on the
-- queue page), 'withdrawal' (with a withdrawal request). [] when none is configured.
CREATE OR REPLACE FUNCTION public.subscribe_templates (
  p_moment text
)
  RETURNS jsonb
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
begin
  perform rebate.require_member();
  if p_moment is null or p_moment not in ('paid', 'queue', 'withdrawal') then
    raise exception using errcode = 'P0001', message = 'invalid_moment', hint = '参数无效';
  end if;
  return coalesce((
    select jsonb_agg(jsonb_build_object('key', t.key, 'title', t.title, 'template_id', t.template_id) order by t.key)
      from rebate.subscribe_templates t
     where t.template_id is not null and p_moment = any (t.moments)), '[]'::jsonb);
end;
$function$;
comment on function public.subscribe_templates(p_moment text) is 'The configured templates the app asks for at a moment (''paid'', ''queue'', ''withdrawal''): [{key, title, template_id}], [] when none.';
revoke all on function public.subscribe_templates(p_moment text) from public, anon, authenticated, service_role;
grant execute on function public.subscribe_templates(p_moment text) to authenticated;

-- Records the result of wx.requestSubscribeMessage ({template_id: 'accept' | 'reject' | 'ban' |
-- 'filter'}): each accept allows one more send (at most 50 kept); ban (the template is blocked)
-- drops what was left; reject and filter change no count. Unknown template ids are ignored.
CREATE OR REPLACE FUNCTION public.record_subscriptions (
  p_results jsonb
)
  RETURNS jsonb
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_uid uuid := rebate.require_member();
  k text;
  v text;
  v_accepted integer := 0;
  v_recorded integer := 0;
begin
  if p_results is null or jsonb_typeof(p_results) <> 'object'
     or (select count(*) from jsonb_object_keys(p_results)) > 10
     or exists (select 1 from jsonb_each(p_results) e
                 where jsonb_typeof(e.value) <> 'string' or e.value #>> '{}' not in ('accept', 'reject', 'ban', 'filter')) then
    raise exception using errcode = 'P0001', message = 'invalid_subscriptions', hint = '订阅结果无效';
  end if;
  for k, v in select e.key, e.value #>> '{}' from jsonb_each(p_results) e order by e.key loop
    continue when not exists (select 1 from rebate.subscribe_templates t where t.template_id = k);
    insert into rebate.subscriptions as s (member_id, template_id, remaining, accepted_total, last_result)
    values (v_uid, k, case when v = 'accept' then 1 else 0 end, case when v = 'accept' then 1 else 0 end, v)
    on conflict (member_id, template_id) do update
      set remaining = case when v = 'accept' then least(s.remaining + 1, 50) when v = 'ban' then 0 else s.remaining end,
          accepted_total = s.accepted_total + case when v = 'accept' then 1 else 0 end,
          last_result = v, updated_at = now();
    v_recorded := v_recorded + 1;
    v_accepted := v_accepted + case when v = 'accept' then 1 else 0 end;
  end loop;
  return jsonb_build_object('recorded', v_recorded, 'accepted', v_accepted);
end;
$function$;
comment on function public.record_subscriptions(p_results jsonb) is 'Records the result of wx.requestSubscribeMessage ({template_id: accept|reject|ban|filter}): each accept allows one more send (at most 50 kept), ban drops what was left; unknown template ids are ignored. Returns {recorded, accepted}.';
revoke all on function public.record_subscriptions(p_results jsonb) from public, anon, authenticated, service_role;
grant execute on function public.record_subscriptions(p_results jsonb) to authenticated;

-- Service role (the message-sender job): claims up to p_limit due push rows for p_lease_seconds.
-- Rows are locked FOR UPDATE SKIP LOCKED, so concurrent senders never claim the same row. A row
-- claimed for the first time takes one of the member's acceptances (subscription rows locked in
-- key order, so two claimers cannot deadlock); none left → skipped. A row still 'sending' past
-- its lease (a sender died between WeChat's answer and its report) is not sent again: it becomes
-- a dead letter with an unknown outcome, for an operator to check and retry.
-- Returns each claimed row with what the message needs: openid, template, page, fields, kind,
-- its phrase, title, body, amount (money kinds only), order number, time.
CREATE OR REPLACE FUNCTION public.message_push_claim (
  p_limit         integer DEFAULT 100,
  p_lease_seconds integer DEFAULT 120
)
  RETURNS TABLE (
    push_id     bigint,
    message_id  bigint,
    attempt     integer,
    openid      text,
    template_id text,
    page        text,
    fields      jsonb,
    kind        text,
    kind_label  text,
    title       text,
    body        text,
    amount_fen  bigint,
    order_no    text,
    created_at  timestamp with time zone
  )
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  v_ids bigint[];
  v_taken bigint[];
begin
  if p_limit is null or p_limit not between 1 and 500 then
    raise exception using errcode = 'P0001', message = 'invalid_limit', hint = '每批数量应在 1 到 500 之间';
  end if;
  if p_lease_seconds is null or p_lease_seconds not between 10 and 3600 then
    raise exception using errcode = 'P0001', message = 'invalid_limit', hint = '租约应在 10 到 3600 秒之间';
  end if;

  -- sends whose sender vanished: the outcome is unknown, never resent by itself
  with lost as (
    select p.id from rebate.message_pushes p
     where p.status = 'sending' and p.lease_until < now()
     for update skip locked
  )
  update rebate.message_pushes p
     set status = 'dead', lease_until = null, last_errcode = null, updated_at = now(),
         last_error = '发送结果未知（发送方中断），请确认会员未收到后重试'
    from lost where p.id = lost.id;

  select array_agg(x.id order by x.id) into v_ids
    from (select p.id from rebate.message_pushes p
           where p.status = 'pending' and p.next_attempt_at <= now()
           order by p.next_attempt_at, p.id
           limit p_limit
           for update skip locked) x;
  if v_ids is null then
    return;
  end if;

  -- lock the subscriptions involved in key order, then take one acceptance per unreserved row
  perform 1 from rebate.subscriptions s
   where (s.member_id, s.template_id) in (select p.member_id, p.template_id from rebate.message_pushes p
                                           where p.id = any (v_ids) and not p.reserved)
   order by s.member_id, s.template_id
   for update;
  with fresh as (
    select p.id, p.member_id, p.template_id,
           row_number() over (partition by p.member_id, p.template_id order by p.id) as n
      from rebate.message_pushes p
     where p.id = any (v_ids) and not p.reserved
  ), granted as (
    select f.id from fresh f
      join rebate.subscriptions s on s.member_id = f.member_id and s.template_id = f.template_id
     where f.n <= s.remaining
  ), used as (
    update rebate.subscriptions s set remaining = s.remaining - c.n, updated_at = now()
      from (select f.member_id, f.template_id, count(*)::integer as n
              from fresh f where f.id in (select g.id from granted g)
             group by f.member_id, f.template_id) c
     where s.member_id = c.member_id and s.template_id = c.template_id
  ), skipped as (
    update rebate.message_pushes p
       set status = 'skipped', last_error = '会员没有可用的订阅', updated_at = now()
     where p.id in (select f.id from fresh f) and p.id not in (select g.id from granted g)
  )
  select coalesce(array_agg(g.id), '{}') into v_taken from granted g;

  update rebate.message_pushes p
     set status = 'sending', reserved = true, attempts = p.attempts + 1,
         lease_until = now() + make_interval(secs => p_lease_seconds), updated_at = now()
   where p.id = any (v_ids) and (p.reserved or p.id = any (v_taken));

  return query
    select p.id, p.message_id, p.attempts, m2.openid, p.template_id, t.page, t.fields, m.kind,
           rebate.message_kind_phrase(m.kind), m.title, m.body,
           case when m.kind = 'entry_exchanged' then e.closed_fen
                when m.kind in ('entry_joined', 'entry_received', 'entry_completed', 'entry_cleared', 'lottery_drawn',
                                'withdrawal_approved', 'withdrawal_rejected', 'withdrawal_paid', 'withdrawal_failed')
                  then m.amount_fen end,
           o.order_no, m.created_at
      from rebate.message_pushes p
      join rebate.messages m on m.id = p.message_id
      join rebate.members m2 on m2.id = p.member_id
      left join rebate.subscribe_templates t on t.template_id = p.template_id
      left join rebate.orders o on o.id = m.order_id
      left join rebate.entries e on e.id = m.entry_id
     where p.id = any (v_ids) and p.status = 'sending'
     order by p.id;
end;
$function$;
comment on function public.message_push_claim(p_limit integer, p_lease_seconds integer) is 'Service role (message-sender): claims due subscribe-message pushes FOR UPDATE SKIP LOCKED, taking one acceptance per first claim (none left: skipped); a send past its lease becomes a dead letter (outcome unknown, never resent by itself). Returns what each message needs.';
revoke all on function public.message_push_claim(p_limit integer, p_lease_seconds integer) from public, anon, authenticated, service_role;
grant execute on function public.message_push_claim(p_limit integer, p_lease_seconds integer) to service_role;

-- Service role (message-sender): the outcome of one claimed push.
--   'sent'            WeChat accepted it (p_msgid)
--   'not_subscribed'  WeChat said 43101: the row is skipped and the member has no acceptance left
--   'retry'           a transient failure: pending again after the back-off, dead after the last attempt
--   'failed'          a permanent failure (e.g. 47003, 40003, 40037, no answer): dead
-- Only a row still 'sending' changes; anything else is a repeat and changes nothing.
-- Returns the row's status afterwards.
CREATE OR REPLACE FUNCTION public.message_push_report (
  p_push_id bigint,
  p_outcome text,
  p_errcode integer DEFAULT NULL::integer,
  p_error   text    DEFAULT NULL::text,
  p_msgid   text    DEFAULT NULL::text
)
  RETURNS text
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  p rebate.message_pushes;
  v_error text := left(nullif(btrim(coalesce(p_error, '')), ''), 200);
begin
  if p_outcome is null or p_outcome not in ('sent', 'not_subscribed', 'retry', 'failed') then
    raise exception using errcode = 'P0001', message = 'invalid_outcome', hint = '参数无效';
  end if;
  if p_outcome = 'sent' and (p_msgid is null or char_length(p_msgid) not between 1 and 64) then
    raise exception using errcode = 'P0001', message = 'invalid_outcome', hint = '参数无效';
  end if;
  select * into p from rebate.message_pushes x where x.id = p_push_id for update;
  if not found then
    raise exception using errcode = 'P0001', message = 'push_not_found', hint = '推送记录不存在';
  end if;
  if p.status <> 'sending' then
    return p.status;
  end if;
  if p_outcome = 'sent' then
    update rebate.message_pushes x set status = 'sent', msgid = p_msgid, sent_at = now(), lease_until = null,
           last_errcode = null, last_error = null, updated_at = now()
     where x.id = p.id returning * into p;
    update rebate.subscriptions s set sent_total = s.sent_total + 1, updated_at = now()
     where s.member_id = p.member_id and s.template_id = p.template_id;
  elsif p_outcome = 'not_subscribed' then
    update rebate.message_pushes x set status = 'skipped', lease_until = null, last_errcode = p_errcode,
           last_error = coalesce(v_error, '会员未订阅或订阅已用完'), updated_at = now()
     where x.id = p.id returning * into p;
    update rebate.subscriptions s set remaining = 0, last_result = 'not_subscribed', updated_at = now()
     where s.member_id = p.member_id and s.template_id = p.template_id;
  elsif p_outcome = 'retry' and p.attempts < rebate.message_push_max_attempts() then
    update rebate.message_pushes x set status = 'pending', lease_until = null, last_errcode = p_errcode,
           last_error = v_error, next_attempt_at = now() + rebate.message_push_backoff(p.attempts), updated_at = now()
     where x.id = p.id returning * into p;
  else
    update rebate.message_pushes x set status = 'dead', lease_until = null, last_errcode = p_errcode,
           last_error = coalesce(v_error, '发送失败'), updated_at = now()
     where x.id = p.id returning * into p;
  end if;
  return p.status;
end;
$function$;
comment on function public.message_push_report(p_push_id bigint, p_outcome text, p_errcode integer, p_error text, p_msgid text) is 'Service role (message-sender): the outcome of a claimed push (sent, not_subscribed = 43101, retry with back-off then dead, failed = dead). Only a row still sending changes; returns its status.';
revoke all on function public.message_push_report(p_push_id bigint, p_outcome text, p_errcode integer, p_error text, p_msgid text) from public, anon, authenticated, service_role;
grant execute on function public.message_push_report(p_push_id bigint, p_outcome text, p_errcode integer, p_error text, p_msgid text) to service_role;

-- Console (运营, 超级管理员): counts by status, the last 24 hours, and acceptances per template.
CREATE OR REPLACE FUNCTION public.admin_message_push_stats ()
  RETURNS jsonb
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
begin
  perform rebate.require_role('operations');
  return jsonb_build_object(
    'by_status', (select jsonb_object_agg(s.status, coalesce(c.n, 0))
                    from unnest(array['pending', 'sending', 'sent', 'skipped', 'dead']) s(status)
                    left join (select p.status, count(*) as n from rebate.message_pushes p group by p.status) c
                      on c.status = s.status),
    'sent_24h', (select count(*) from rebate.message_pushes p where p.status = 'sent' and p.sent_at > now() - interval '24 hours'),
    'dead_24h', (select count(*) from rebate.message_pushes p where p.status = 'dead' and p.updated_at > now() - interval '24 hours'),
    'templates', (select coalesce(jsonb_agg(jsonb_build_object(
                     'key', t.key, 'title', t.title, 'template_id', t.template_id, 'kinds', to_jsonb(t.kinds),
                     'moments', to_jsonb(t.moments), 'fields', t.fields, 'page', t.page,
                     'subscribers', (select count(*) from rebate.subscriptions s where s.template_id = t.template_id and s.remaining > 0),
                     'remaining', (select coalesce(sum(s.remaining), 0) from rebate.subscriptions s where s.template_id = t.template_id),
                     'sent', (select count(*) from rebate.message_pushes p where p.template_id = t.template_id and p.status = 'sent'))
                   order by t.key), '[]'::jsonb)
                    from rebate.subscribe_templates t));
end;
$function$;
comment on function public.admin_message_push_stats() is 'Console (运营): subscribe-message pushes by status, sent and dead in the last 24 hours, and per template its configuration and acceptances.';
revoke all on function public.admin_message_push_stats() from public, anon, authenticated, service_role;
grant execute on function public.admin_message_push_stats() to authenticated;

-- Console (运营): pushes of one status (default dead letters), newest first (keyset on id).
CREATE OR REPLACE FUNCTION public.admin_list_message_pushes (
  p_status    text    DEFAULT 'dead'::text,
  p_before_id bigint  DEFAULT NULL::bigint,
  p_limit     integer DEFAULT 50
)
  RETURNS TABLE (
    id              bigint,
    status          text,
    member_code     text,
    nickname_masked text,
    kind            text,
    title           text,
    template_id     text,
    attempts        integer,
    last_errcode    integer,
    last_error      text,
    next_attempt_at timestamp with time zone,
    created_at      timestamp with time zone,
    updated_at      timestamp with time zone
  )
  LANGUAGE plpgsql
  STABLE
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
begin
  perform rebate.require_role('operations');
  if p_status is null or p_status not in ('pending', 'sending', 'sent', 'skipped', 'dead') then
    raise exception using errcode = 'P0001', message = 'invalid_status', hint = '状态无效';
  end if;
  if p_limit is null or p_limit not between 1 and 100 then
    raise exception using errcode = 'P0001', message = 'invalid_limit', hint = '每页数量应在 1 到 100 之间';
  end if;
  return query
    select p.id, p.status, m2.member_code, rebate.mask_name(m2.nickname), m.kind, m.title, p.template_id, p.attempts,
           p.last_errcode, p.last_error, p.next_attempt_at, p.created_at, p.updated_at
      from rebate.message_pushes p
      join rebate.messages m on m.id = p.message_id
      join rebate.members m2 on m2.id = p.member_id
     where p.status = p_status and (p_before_id is null or p.id < p_before_id)
     order by p.id desc
     limit p_limit;
end;
$function$;
comment on function public.admin_list_message_pushes(p_status text, p_before_id bigint, p_limit integer) is 'Console (运营): subscribe-message pushes of one status (default dead letters), newest first (keyset on id), with the member.';
revoke all on function public.admin_list_message_pushes(p_status text, p_before_id bigint, p_limit integer) from public, anon, authenticated, service_role;
grant execute on function public.admin_list_message_pushes(p_status text, p_before_id bigint, p_limit integer) to authenticated;

-- Console (运营): puts a dead letter back to pending, sent by the next run (audited). It keeps
-- the acceptance it holds, so no other message loses one.
CREATE OR REPLACE FUNCTION public.admin_retry_message_push (
  p_push_id bigint
)
  RETURNS jsonb
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  p rebate.message_pushes;
  v_before jsonb;
begin
  perform rebate.require_role('operations');
  select * into p from rebate.message_pushes x where x.id = p_push_id for update;
  if not found then
    raise exception using errcode = 'P0001', message = 'push_not_found', hint = '推送记录不存在';
  end if;
  if p.status <> 'dead' then
    raise exception using errcode = 'P0001', message = 'push_not_dead', hint = '只能重试发送失败的消息';
  end if;
  v_before := jsonb_build_object('status', p.status, 'attempts', p.attempts, 'last_errcode', p.last_errcode,
                                 'last_error', p.last_error);
  update rebate.message_pushes x set status = 'pending', attempts = 0, next_attempt_at = now(), updated_at = now()
   where x.id = p.id returning * into p;
  perform rebate.audit('message_push.retry', 'message_push', p.id::text, v_before,
                       jsonb_build_object('status', p.status, 'attempts', p.attempts), null);
  return jsonb_build_object('id', p.id, 'status', p.status);
end;
$function$;
comment on function public.admin_retry_message_push(p_push_id bigint) is 'Console (运营): puts a dead subscribe-message push back to pending for the next run (audited); it keeps the acceptance it holds.';
revoke all on function public.admin_retry_message_push(p_push_id bigint) from public, anon, authenticated, service_role;
grant execute on function public.admin_retry_message_push(p_push_id bigint) to authenticated;

-- Console (运营): configures a template: its WeChat template id (null: not asked, not sent) and
-- the keyword map (audited).
CREATE OR REPLACE FUNCTION public.admin_set_subscribe_template (
  p_key         text,
  p_template_id text,
  p_fields      jsonb DEFAULT NULL::jsonb
)
  RETURNS jsonb
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path TO ''
  AS $function$
declare
  t rebate.subscribe_templates;
  v_before jsonb;
  v_id text := nullif(btrim(coalesce(p_template_id, '')), '');
begin
  perform rebate.require_role('operations');
  select * into t from rebate.subscribe_templates x where x.key = p_key for update;
  if not found then
    raise exception using errcode = 'P0001', message = 'template_not_found', hint = '消息模板不存在';
  end if;
  if (v_id is not null and v_id !~ '^[A-Za-z0-9_-]{1,128}$') or (p_fields is not null and not rebate.subscribe_fields_ok(p_fields)) then
    raise exception using errcode = 'P0001', message = 'invalid_template', hint = '模板 ID 或字段配置无效';
  end if;
  v_before := jsonb_build_object('template_id', t.template_id, 'fields', t.fields);
  begin
    update rebate.subscribe_templates x set template_id = v_id, fields = coalesce(p_fields, x.fields), updated_at = now()
     where x.key = t.key returning * into t;
  exception when unique_violation then
    raise exception using errcode = 'P0001', message = 'invalid_template', hint = '该模板 ID 已用于其他消息';
  end;
  perform rebate.audit('subscribe_template.update', 'subscribe_template', t.key, v_before,
                       jsonb_build_object('template_id', t.template_id, 'fields', t.fields), null);
  return jsonb_build_object('key', t.key, 'template_id', t.template_id, 'fields', t.fields);
end;
$function$;
comment on function public.admin_set_subscribe_template(p_key text, p_template_id text, p_fields jsonb) is 'Console (运营): sets a subscribe template''s WeChat template id (null: not asked, not sent) and keyword map (audited).';
revoke all on function public.admin_set_subscribe_template(p_key text, p_template_id text, p_fields jsonb) from public, anon, authenticated, service_role;
grant execute on function public.admin_set_subscribe_template(p_key text, p_template_id text, p_fields jsonb) to authenticated;

ALTER TABLE "rebate"."subscribe_templates"
  ADD CONSTRAINT "subscribe_templates_fields_check" CHECK (rebate.subscribe_fields_ok(fields));

CREATE TRIGGER messages_enqueue_push
  AFTER INSERT ON rebate.messages
  FOR EACH ROW EXECUTE FUNCTION rebate.enqueue_message_push();

GRANT SELECT ON TABLE "rebate"."subscribe_templates" TO "service_role";

GRANT SELECT ON TABLE "rebate"."subscriptions" TO "service_role";

GRANT SELECT ON TABLE "rebate"."message_pushes" TO "service_role";

-- ============================================================ data

-- The three templates (SPEC §12); an operator sets the WeChat template ids and keywords in the console.
insert into rebate.subscribe_templates (key, title, kinds, moments, fields) values
  ('queue_joined', '排队成功通知', array['entry_joined'], array['paid'],
   '{"thing1": "title", "amount2": "amount", "time3": "time", "thing4": "body"}'),
  ('rebate_progress', '返利进度通知',
   array['entry_received', 'entry_completed', 'entry_cleared', 'lottery_drawn', 'entry_exchanged'], array['paid', 'queue'],
   '{"phrase1": "kind_label", "amount2": "amount", "time3": "time", "thing4": "body"}'),
  ('withdrawal_result', '提现结果通知',
   array['withdrawal_approved', 'withdrawal_rejected', 'withdrawal_paid', 'withdrawal_failed'], array['withdrawal'],
   '{"phrase1": "kind_label", "amount2": "amount", "time3": "time", "thing4": "body"}')
on conflict (key) do nothing;
