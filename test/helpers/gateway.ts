// Starts the local API gateway in-process against a test database, and builds supabase-js
// clients for it: the same HTTP path the mini-program uses.
import { createClient, SupabaseClient } from '@supabase/supabase-js';
import type { TestDb } from './db';

import * as env from '../../supabase/local/env.cjs';
import { signJwt, startGateway } from '../../supabase/local/gateway.cjs';

export const JWT_SECRET: string = env.JWT_SECRET;
export const ANON_KEY: string = env.ANON_KEY;
export const SERVICE_ROLE_KEY: string = env.SERVICE_ROLE_KEY;

/** Node 20 has no WebSocket and the RPC path never opens one: a transport that refuses to connect. */
class NoRealtime {
  constructor() { throw new Error('realtime is not used in tests'); }
}
const clientOptions = { auth: { persistSession: false, autoRefreshToken: false }, realtime: { transport: NoRealtime as any } };

export interface TestGateway { url: string; close(): Promise<void> }

export async function startTestGateway(db: TestDb, opts: { functionsUrl?: string; maxBodyBytes?: number } = {}): Promise<TestGateway> {
  const u = new URL(db.url);
  u.username = 'authenticator';
  u.password = env.AUTHENTICATOR_PASSWORD;
  return startGateway({
    databaseUrl: u.toString(),
    jwtSecret: JWT_SECRET,
    anonKey: ANON_KEY,
    serviceRoleKey: SERVICE_ROLE_KEY,
    functionsUrl: opts.functionsUrl,
    maxBodyBytes: opts.maxBodyBytes,
  });
}

export async function signTestJwt(claims: Record<string, unknown>, secret = JWT_SECRET): Promise<string> {
  return signJwt(claims, secret);
}

/** A supabase-js client signed in as a member (a JWT like wechat-login issues). */
export async function memberClient(gatewayUrl: string, memberId: string, ttlSeconds = 3600): Promise<SupabaseClient> {
  const now = Math.floor(Date.now() / 1000);
  const token = await signTestJwt({ aud: 'authenticated', role: 'authenticated', sub: memberId, iat: now, exp: now + ttlSeconds });
  return createClient(gatewayUrl, ANON_KEY, { ...clientOptions, accessToken: async () => token } as any);
}

export function anonClient(gatewayUrl: string): SupabaseClient {
  return createClient(gatewayUrl, ANON_KEY, clientOptions);
}

export function serviceClient(gatewayUrl: string): SupabaseClient {
  return createClient(gatewayUrl, SERVICE_ROLE_KEY, clientOptions);
}
