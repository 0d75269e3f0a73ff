-- Foundation: the private schema, shared helpers (money text, ratios, days, masks, codes), append-only guard
-- SPEC §2.
-- The source of truth (docs/database.md): edit here, then `npm run db:diff -- <name>` writes the migration.


-- ============================================================ schema
-- Tables live here, out of PostgREST's reach; the public.* functions are the API.
create schema if not exists rebate;
revoke all on schema rebate from public, anon, authenticated;
grant usage on schema rebate to service_role;

-- ============================================================ functions

-- amount × bps, rounded half-up to the fen (SPEC §2). Both inputs are non-negative.
CREATE OR REPLACE FUNCTION rebate.bps_of (
  p_fen bigint,
  p_bps integer
)
  RETURNS bigint
  LANGUAGE sql
  IMMUTABLE
  PARALLEL SAFE
  AS $function$ select (p_fen * p_bps + 5000) / 10000 $function$;
comment on function rebate.bps_of(p_fen bigint, p_bps integer) is 'amount × bps, rounded half-up to the fen (SPEC §2). Both inputs are non-negative.';
revoke all on function rebate.bps_of(p_fen bigint, p_bps integer) from public, anon, authenticated, service_role;

-- 550 → '5.5%'
CREATE OR REPLACE FUNCTION rebate.bps_text (
  p_bps integer
)
  RETURNS text
  LANGUAGE sql
  IMMUTABLE
  PARALLEL SAFE
  SET search_path TO ''
  AS $function$ select pg_catalog.rtrim(pg_catalog.rtrim(pg_catalog.to_char(p_bps / 100.0, 'FM999990.00'), '0'), '.') || '%' $function$;
comment on function rebate.bps_text(p_bps integer) is 'A ratio in basis points as a percentage for messages and labels: 550 → ''5.5%''.';
revoke all on function rebate.bps_text(p_bps integer) from public, anon, authenticated, service_role;

-- 1234 → '¥12.34'
CREATE OR REPLACE FUNCTION rebate.fen_text (
  p_fen bigint
)
  RETURNS text
  LANGUAGE sql
  IMMUTABLE
  PARALLEL SAFE
  AS $function$
  select case when p_fen < 0 then '-' else '' end || '¥' || (pg_catalog.abs(p_fen) / 100)::text || '.'
         || pg_catalog.lpad((pg_catalog.abs(p_fen) % 100)::text, 2, '0')
$function$;
comment on function rebate.fen_text(p_fen bigint) is '1234 → ''¥12.34''';
revoke all on function rebate.fen_text(p_fen bigint) from public, anon, authenticated, service_role;

-- Ledger rows are never changed or removed: a correction is a new row.
CREATE OR REPLACE FUNCTION rebate.forbid_change()
  RETURNS TRIGGER
  LANGUAGE plpgsql
  SET search_path TO ''
  AS $function$
begin
  raise exception using errcode = 'P0001', message = 'append_only',
    hint = '该记录只能追加，不能修改或删除';
end;
$function$;
comment on function rebate.forbid_change() is 'Ledger rows are never changed or removed: a correction is a new row.';
revoke all on function rebate.forbid_change() from public, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION rebate.invariant_failed (
  p_name text
)
  RETURNS boolean
  LANGUAGE plpgsql
  IMMUTABLE
  AS $function$
begin
  raise exception using errcode = 'check_violation', message = p_name,
    hint = '数据校验失败：' || p_name;
end;
$function$;
comment on function rebate.invariant_failed(p_name text) is 'Raises check_violation naming the broken row rule; the row-invariant functions (entry_ok …) call it.';
revoke all on function rebate.invariant_failed(p_name text) from public, anon, authenticated, service_role;

-- An integer from a JSON value, or null unless it is a JSON number, integral, within [min, max].
-- (JSON has no NaN; huge numbers such as 1e400 are refused by the range test before any cast.)
CREATE OR REPLACE FUNCTION rebate.json_int (
  p     jsonb,
  p_min bigint,
  p_max bigint
)
  RETURNS bigint
  LANGUAGE plpgsql
  IMMUTABLE
  SET search_path TO ''
  AS $function$
declare
  v numeric;
begin
  if p is null or jsonb_typeof(p) <> 'number' then
    return null;
  end if;
  v := p::numeric;
  if v < p_min or v > p_max or v <> trunc(v) then
    return null;
  end if;
  return v::bigint;
end;
$function$;
comment on function rebate.json_int(p jsonb, p_min bigint, p_max bigint) is 'An integer from a JSON value, or null unless it is a JSON number, integral, within [min, max]. (JSON has no NaN; huge numbers such as 1e400 are refused by the range test before any cast.)';
revoke all on function rebate.json_int(p jsonb, p_min bigint, p_max bigint) from public, anon, authenticated, service_role;

-- '张三丰' → '张**'; masked member names on shared queue views.
CREATE OR REPLACE FUNCTION rebate.mask_name (
  p_name text
)
  RETURNS text
  LANGUAGE sql
  IMMUTABLE
  PARALLEL SAFE
  SET search_path TO ''
  AS $function$ select case when p_name is null or p_name = '' then '***' else pg_catalog.left(p_name, 1) || '**' end $function$;
comment on function rebate.mask_name(p_name text) is '''张三丰'' → ''张**''; masked member names on shared queue views.';
revoke all on function rebate.mask_name(p_name text) from public, anon, authenticated, service_role;

-- '202611250000000123' → '2026****0123'
CREATE OR REPLACE FUNCTION rebate.mask_order_no (
  p_no text
)
  RETURNS text
  LANGUAGE sql
  IMMUTABLE
  PARALLEL SAFE
  SET search_path TO ''
  AS $function$ select pg_catalog.left(p_no, 4) || '****' || pg_catalog.right(p_no, 4) $function$;
comment on function rebate.mask_order_no(p_no text) is '''202611250000000123'' → ''2026****0123''';
revoke all on function rebate.mask_order_no(p_no text) from public, anon, authenticated, service_role;

-- Day p_day of the month starting p_month, clamped to the month's last day.
CREATE OR REPLACE FUNCTION rebate.month_day (
  p_month date,
  p_day   integer
)
  RETURNS date
  LANGUAGE sql
  IMMUTABLE
  PARALLEL SAFE
  SET search_path TO ''
  AS $function$
  select p_month + (least(p_day,
           pg_catalog.date_part('day', p_month + interval '1 month' - interval '1 day')::integer) - 1)
$function$;
comment on function rebate.month_day(p_month date, p_day integer) is 'Day p_day of the month starting p_month, clamped to the month''s last day.';
revoke all on function rebate.month_day(p_month date, p_day integer) from public, anon, authenticated, service_role;

-- A fresh code: p_prefix then random characters of the member-code alphabet, unique in p_table.
CREATE OR REPLACE FUNCTION rebate.new_code (
  p_prefix text,
  p_length integer,
  p_table  text
)
  RETURNS text
  LANGUAGE plpgsql
  SET search_path TO ''
  AS $function$
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
$function$;
comment on function rebate.new_code(p_prefix text, p_length integer, p_table text) is 'A fresh code: p_prefix then random characters of the member-code alphabet, unique in p_table.';
revoke all on function rebate.new_code(p_prefix text, p_length integer, p_table text) from public, anon, authenticated, service_role;

-- An invite code as typed or scanned: upper case, optional 'i=' / 'm=' prefix removed.
CREATE OR REPLACE FUNCTION rebate.normalize_code (
  p_code   text,
  p_prefix text
)
  RETURNS text
  LANGUAGE sql
  IMMUTABLE
  PARALLEL SAFE
  SET search_path TO ''
  AS $function$
  select case when pg_catalog.upper(pg_catalog.btrim(coalesce(p_code, ''))) like pg_catalog.upper(p_prefix) || '=%'
              then pg_catalog.substr(pg_catalog.upper(pg_catalog.btrim(p_code)), pg_catalog.length(p_prefix) + 2)
              else pg_catalog.upper(pg_catalog.btrim(coalesce(p_code, ''))) end
$function$;
comment on function rebate.normalize_code(p_code text, p_prefix text) is 'An invite code as typed or scanned: upper case, optional ''i='' / ''m='' prefix removed.';
revoke all on function rebate.normalize_code(p_code text, p_prefix text) from public, anon, authenticated, service_role;

-- A uniform random integer in [0, p_n) from cryptographic random bytes (pgcrypto), by
-- rejection sampling: values of the 32-bit draw at or above the largest multiple of p_n are
-- drawn again, so every result is exactly equally likely.
CREATE OR REPLACE FUNCTION rebate.random_below (
  p_n bigint
)
  RETURNS bigint
  LANGUAGE plpgsql
  SET search_path TO ''
  AS $function$
declare
  c_range constant bigint := 4294967296;
  v_limit bigint;
  b bytea;
  v bigint;
begin
  if p_n is null or p_n < 1 or p_n > c_range then
    raise exception using errcode = 'P0001', message = 'invalid_random_range', hint = '随机范围无效';
  end if;
  v_limit := c_range - c_range % p_n;
  loop
    b := extensions.gen_random_bytes(4);
    v := (get_byte(b, 0)::bigint << 24) | (get_byte(b, 1)::bigint << 16) | (get_byte(b, 2)::bigint << 8)
         | get_byte(b, 3)::bigint;
    if v < v_limit then
      return v % p_n;
    end if;
  end loop;
end;
$function$;
comment on function rebate.random_below(p_n bigint) is 'A uniform random integer in [0, p_n) from cryptographic random bytes (pgcrypto), by rejection sampling: values of the 32-bit draw at or above the largest multiple of p_n are drawn again, so every result is exactly equally likely.';
revoke all on function rebate.random_below(p_n bigint) from public, anon, authenticated, service_role;

-- Today in Asia/Shanghai (SPEC §2: day boundaries are Shanghai days).
CREATE OR REPLACE FUNCTION rebate.shanghai_day (
  p_at timestamp with time zone
)
  RETURNS date
  LANGUAGE sql
  IMMUTABLE
  PARALLEL SAFE
  AS $function$ select (p_at at time zone 'Asia/Shanghai')::date $function$;
comment on function rebate.shanghai_day(p_at timestamp with time zone) is 'Today in Asia/Shanghai (SPEC §2: day boundaries are Shanghai days).';
revoke all on function rebate.shanghai_day(p_at timestamp with time zone) from public, anon, authenticated, service_role;
