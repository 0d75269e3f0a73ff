-- Member lookup by the short public member code, for server-side callers only
-- (the local dev-login function, admin tools). Not exposed to anon or authenticated.

-- ============================================================ functions
-- The member's id, or null when no member has this code.
create or replace function public.member_id_by_code(p_member_code text)
returns uuid
language sql stable security definer set search_path = ''
as $$
  select m.id from rebate.members m where m.member_code = p_member_code
$$;

-- ============================================================ grants
revoke all on function public.member_id_by_code(text) from public, anon, authenticated;
grant execute on function public.member_id_by_code(text) to service_role;
