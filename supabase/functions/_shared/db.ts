// supabase-js clients for the edge functions.
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import type { Config } from './config.ts';
import { HttpError } from './http.ts';

const options = { auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false } };

function requireUrlAndKey(cfg: Config): void {
  if (!cfg.supabaseUrl || !cfg.serviceRoleKey) {
    console.error('SUPABASE_URL / SUPABASE_SERVICE_ROLE_KEY are not set');
    throw new HttpError(500, 'server_misconfigured', '服务配置有误，请联系客服');
  }
}

/** Acts as service_role: for the RPCs only the server may call (upsert_member_by_openid, …). */
export function serviceClient(cfg: Config): SupabaseClient {
  requireUrlAndKey(cfg);
  return createClient(cfg.supabaseUrl, cfg.serviceRoleKey, options);
}

/** Acts as the member whose access token is given (the request's `Authorization`). */
export function userClient(cfg: Config, accessToken: string): SupabaseClient {
  requireUrlAndKey(cfg);
  return createClient(cfg.supabaseUrl, cfg.serviceRoleKey, {
    ...options,
    accessToken: () => Promise.resolve(accessToken),
  });
}
