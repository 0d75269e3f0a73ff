// Test helpers: a PostgREST stand-in for the RPCs the login functions call, a free port,
// and an HS256 verifier written independently of supabase/functions/_shared/jwt.ts.
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import ports from '../helpers/ports.cjs';

export const { freePort } = ports;

export type Claims = Record<string, unknown> & { sub?: string; role?: string; aud?: string; iat?: number; exp?: number };

/** Verifies an HS256 JWT; returns its claims or throws. */
export function verifyHs256(token: string, secret: string): Claims {
  const [header, payload, signature] = token.split('.');
  if (!header || !payload || !signature) throw new Error('malformed token');
  const head = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
  if (head.alg !== 'HS256') throw new Error(`alg ${head.alg}`);
  const expected = createHmac('sha256', secret).update(`${header}.${payload}`).digest();
  const actual = Buffer.from(signature, 'base64url');
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) throw new Error('bad signature');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Claims;
  if (typeof claims.exp !== 'number' || claims.exp <= Date.now() / 1000) throw new Error('expired');
  return claims;
}

export interface Member {
  id: string;
  openid?: string;
  unionid?: string;
  member_code: string;
}

export interface RpcCall {
  fn: string;
  args: Record<string, unknown>;
  authorization: string | undefined;
}

/**
 * Answers POST /rest/v1/rpc/{upsert_member_by_openid, member_id_by_code, me} like PostgREST
 * in front of our migrations would: the first two only for the service role key, `me` for a
 * valid `authenticated` JWT. Records every call.
 */
export async function startPostgrestStub({ jwtSecret, serviceRoleKey, members = [] }: {
  jwtSecret: string;
  serviceRoleKey: string;
  members?: Member[];
}) {
  const all: Member[] = [...members];
  const calls: RpcCall[] = [];
  let failures = 0;
  let nextCode = 1;

  const send = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  };
  const pgError = (code: string, message: string) => ({ code, message, details: null, hint: null });

  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const match = /^\/rest\/v1\/rpc\/([a-z_]+)$/.exec(req.url ?? '');
    if (req.method !== 'POST' || !match) return send(res, 404, pgError('PGRST202', 'not found'));
    const fn = match[1];
    const args = (chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {}) as Record<string, unknown>;
    const authorization = req.headers.authorization;
    calls.push({ fn, args, authorization });

    if (!req.headers.apikey) return send(res, 401, { message: 'No API key found in request' });
    if (failures > 0) {
      failures -= 1;
      return send(res, 500, pgError('XX000', 'stub failure'));
    }
    const isService = authorization === `Bearer ${serviceRoleKey}`;
    const denied = () => send(res, 401, pgError('42501', `permission denied for function ${fn}`));

    if (fn === 'upsert_member_by_openid') {
      if (!isService) return denied();
      const openid = String(args.p_openid);
      const unionid = typeof args.p_unionid === 'string' ? args.p_unionid : undefined;
      let member = all.find((m) => m.openid === openid) ?? (unionid ? all.find((m) => m.unionid === unionid) : undefined);
      if (!member) {
        member = { id: randomUUID(), openid, unionid, member_code: `STUB${String(nextCode++).padStart(4, '0')}` };
        all.push(member);
      }
      return send(res, 200, member.id);
    }
    if (fn === 'member_id_by_code') {
      if (!isService) return denied();
      return send(res, 200, all.find((m) => m.member_code === args.p_member_code)?.id ?? null);
    }
    if (fn === 'me') {
      let claims: Claims;
      try {
        claims = verifyHs256((authorization ?? '').replace(/^Bearer /, ''), jwtSecret);
      } catch (err) {
        return send(res, 401, pgError('PGRST301', String(err)));
      }
      if (claims.role !== 'authenticated') return denied();
      const member = all.find((m) => m.id === claims.sub);
      return send(res, 200, member ? [{ id: member.id, member_code: member.member_code, nickname: '微信用户' }] : []);
    }
    return send(res, 404, pgError('PGRST202', `Could not find the function public.${fn}`));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    members: all,
    calls,
    /** The next `n` RPC calls fail with HTTP 500. */
    failNext(n = 1) {
      failures += n;
    },
    stop() {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A fresh database cloned from the migrated template of the global setup. (The functions
 * project runs as ESM, so it cannot share test/helpers/*.ts with the CommonJS projects.)
 */
export async function cloneTemplateDatabase(): Promise<{ url: string; query: (sql: string, params?: unknown[]) => Promise<any[]>; close(): Promise<void> }> {
  const pg = (await import('pg')).default;
  const admin = process.env.REBATE_TEST_ADMIN_URL!;
  const name = `rebate_f_${randomUUID().slice(0, 8)}`;
  const root = new pg.Client({ connectionString: admin });
  await root.connect();
  await root.query(`create database "${name}" template "${process.env.REBATE_TEST_TEMPLATE}"`);
  await root.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
  pool.on('error', () => {}); // an idle connection closed by the drop at the end is not a failure
  return {
    url: url.toString(),
    query: async (sql, params = []) => (await pool.query(sql, params as any[])).rows,
    close: async () => {
      await pool.end();
      const r = new pg.Client({ connectionString: admin });
      await r.connect();
      await r.query(`drop database if exists "${name}" with (force)`);
      await r.end();
    },
  };
}
