// Scheduled jobs that are edge functions (supabase/schemas/16_schedules.sql): pg_cron (through
// pg_net) and the local timer call them as the service role. Nobody else may: a job moves
// money or talks to WeChat on the platform's behalf.
import { timingSafeEqual } from 'node:crypto';
import type { Config } from './config.ts';
import { HttpError } from './http.ts';
import { verifyJwt } from './jwt.ts';

const encoder = new TextEncoder();

function sameSecret(a: string, b: string): boolean {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Refuses (401 job_forbidden) unless the bearer token is the service role key itself (hosted
 * Supabase's secret key need not be a JWT) or a valid JWT whose role is service_role.
 */
export async function requireServiceRole(req: Request, cfg: Config): Promise<void> {
  const token = /^Bearer (\S+)$/.exec(req.headers.get('authorization') ?? '')?.[1] ?? '';
  if (!token) throw new HttpError(401, 'job_forbidden', '仅限定时任务调用');
  if (cfg.serviceRoleKey && sameSecret(token, cfg.serviceRoleKey)) return;
  if (cfg.jwtSecret) {
    try {
      const claims = await verifyJwt(token, cfg.jwtSecret);
      if (claims.role === 'service_role') return;
    } catch {
      // fall through: not a valid token
    }
  }
  throw new HttpError(401, 'job_forbidden', '仅限定时任务调用');
}
