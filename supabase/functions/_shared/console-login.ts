// Console scan login (SPEC §15, docs/console.md). The console is not signed in: it asks this
// function for a ticket (console_ticket_create, service role), shows the ticket id as a QR code
// and keeps the secret. The operator scans the code with the mini-program and confirms
// (console_ticket_confirm, as the member). The console polls here with ticket and secret; a
// confirmed ticket is redeemed once (console_ticket_redeem) for an 8-hour member token,
// role authenticated, sub = the member id — what every console RPC then checks roles against.
import { serviceClient } from './db.ts';
import { HttpError, postJson } from './http.ts';
import { issueSession, loginConfig } from './login.ts';

export const CONSOLE_TOKEN_TTL_SECONDS = 8 * 3600;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SECRET = /^[0-9a-f]{48}$/;

interface RpcError { message?: string; hint?: string; code?: string }

/** A refusal the database explains (P0001 with a stable code and a Chinese hint), else 500. */
function fromRpc(name: string, error: RpcError): HttpError {
  if (error.code === 'P0001' && error.message && /^[a-z_]+$/.test(error.message)) {
    const status = error.message === 'forbidden_role' ? 403 : error.message === 'ticket_not_found' ? 404 : 410;
    return new HttpError(status, error.message, error.hint || '登录二维码无效，请刷新');
  }
  console.error(`rpc ${name} failed:`, error);
  return new HttpError(500, 'internal_error', '服务暂时不可用，请稍后再试');
}

export const handleConsoleLogin = postJson(async (body) => {
  const cfg = loginConfig();
  const db = serviceClient(cfg);
  if (body.action === 'create') {
    const { data, error } = await db.rpc('console_ticket_create');
    if (error) throw fromRpc('console_ticket_create', error);
    return data;
  }
  const ticket = typeof body.ticket === 'string' ? body.ticket : '';
  const secret = typeof body.secret === 'string' ? body.secret : '';
  if (!UUID.test(ticket) || !SECRET.test(secret)) {
    throw new HttpError(400, 'invalid_ticket', '登录二维码无效，请刷新');
  }
  const { data, error } = await db.rpc('console_ticket_redeem', { p_ticket: ticket, p_secret: secret });
  if (error) throw fromRpc('console_ticket_redeem', error);
  const result = data as { status: string; member_id?: string; expires_at?: string };
  if (result.status !== 'confirmed' || typeof result.member_id !== 'string') {
    return { status: 'pending', expires_at: result.expires_at };
  }
  const session = await issueSession({ ...cfg, tokenTtlSeconds: CONSOLE_TOKEN_TTL_SECONDS }, result.member_id, 'console');
  return { status: 'confirmed', ...session };
});
