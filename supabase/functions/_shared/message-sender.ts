// The message-sender job (SPEC §12, docs/messages.md): claims due push rows
// (public.message_push_claim, FOR UPDATE SKIP LOCKED), sends each as a WeChat subscribe message
// (POST /cgi-bin/message/subscribe/send, WECHAT-NOTES §4) and reports the outcome
// (public.message_push_report). Called by pg_cron / the local timer as the service role.
//   errcode 0        → sent (msgid)
//   43101            → not subscribed: skipped, the member's acceptances of that template drop to 0
//   40001/40014/42001→ the token is bad: forget it, get one again, retry once; again → retry later
//   47003, 40003, 40037, 41030 → permanent (a template or data problem): dead letter
//   no answer in time→ dead letter (WeChat may have sent it: never resent by itself)
//   anything else    → retry later with back-off; after the last attempt a dead letter
import type { SupabaseClient } from '@supabase/supabase-js';
import { readConfig } from './config.ts';
import { serviceClient } from './db.ts';
import { errorResponse, HttpError, json, type Handler } from './http.ts';
import { requireServiceRole } from './job.ts';
import { messageData, type PushRow } from './subscribe-message.ts';
import { accessToken, TOKEN_ERRCODES } from './wechat-token.ts';
import type { WechatApp } from './wechat.ts';

const PERMANENT = new Set([47003, 40003, 40037, 41030, 47001]);
const DEFAULT_BATCH = 100;
const LEASE_SECONDS = 120;

type Outcome =
  | { outcome: 'sent'; msgid: string }
  | { outcome: 'not_subscribed' | 'retry' | 'failed'; errcode?: number; error: string };

function env(name: string): string {
  return Deno.env.get(name)?.trim() ?? '';
}

function sendTimeoutMs(): number {
  const n = Number(env('MESSAGE_SENDER_TIMEOUT_MS') || 8000);
  return Number.isInteger(n) && n >= 100 && n <= 30000 ? n : 8000;
}

function miniprogramState(): string {
  const s = env('WECHAT_MINIPROGRAM_STATE');
  return s === 'developer' || s === 'trial' ? s : 'formal';
}

async function rpc<T>(service: SupabaseClient, name: string, args: Record<string, unknown>): Promise<T> {
  const { data, error } = await service.rpc(name, args);
  if (error) {
    console.error(`rpc ${name} failed:`, error);
    throw new HttpError(500, 'internal_error', '服务暂时不可用，请稍后再试');
  }
  return data as T;
}

/** One POST of the message; null when WeChat did not answer in time. */
async function postSend(app: WechatApp, token: string, payload: unknown): Promise<Record<string, unknown> | 'timeout' | 'unreachable'> {
  let res: Response;
  try {
    res = await fetch(`${app.apiBase}/cgi-bin/message/subscribe/send?access_token=${encodeURIComponent(token)}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(sendTimeoutMs()),
    });
  } catch (err) {
    // a timeout may have reached WeChat; a refused connection did not
    if (err instanceof DOMException && (err.name === 'TimeoutError' || err.name === 'AbortError')) return 'timeout';
    console.error('subscribe/send unreachable:', err);
    return 'unreachable';
  }
  try {
    const text = await res.text();
    const body: unknown = JSON.parse(text);
    if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
      // msgid is a 64-bit number: JSON.parse would round it, so read its digits from the text
      const msgid = /"msgid"\s*:\s*"?(\d{1,20})"?/.exec(text)?.[1];
      return { ...body as Record<string, unknown>, ...(msgid ? { msgid } : {}) };
    }
  } catch { /* fall through */ }
  return { errcode: -1, errmsg: `HTTP ${res.status}, not JSON` };
}

class TokenSource {
  private token: string | null = null;
  refreshed = 0;
  constructor(private app: WechatApp, private service: SupabaseClient) {}
  async get(): Promise<string> {
    this.token ??= await accessToken(this.app, this.service);
    return this.token;
  }
  /** WeChat said the token is bad: forget it (if still cached) and get one again. */
  async refresh(bad: string): Promise<string> {
    this.refreshed += 1;
    await rpc(this.service, 'wechat_token_invalidate', { p_appid: this.app.appId, p_access_token: bad });
    let next = await accessToken(this.app, this.service);
    if (next === bad) next = await accessToken(this.app, this.service, true);
    this.token = next;
    return next;
  }
}

async function sendOne(app: WechatApp, tokens: TokenSource, row: PushRow): Promise<Outcome> {
  if (!row.openid) return { outcome: 'failed', error: '会员没有微信 openid' };
  if (!row.fields || !row.page) return { outcome: 'failed', error: '消息模板未配置' };
  const payload = {
    touser: row.openid,
    template_id: row.template_id,
    page: row.page,
    data: messageData(row),
    miniprogram_state: miniprogramState(),
    lang: 'zh_CN',
  };
  let token: string;
  try {
    token = await tokens.get();
  } catch (err) {
    return { outcome: 'retry', error: `获取 access_token 失败：${(err as Error).message}` };
  }
  for (let attempt = 0; attempt < 2; attempt += 1) {
    const answer = await postSend(app, token, payload);
    if (answer === 'timeout') return { outcome: 'failed', error: '微信未在时限内应答，发送结果未知' };
    if (answer === 'unreachable') return { outcome: 'retry', error: '无法连接微信服务' };
    const errcode = Number(answer.errcode ?? 0);
    const errmsg = String(answer.errmsg ?? '').slice(0, 150);
    if (errcode === 0) return { outcome: 'sent', msgid: String(answer.msgid ?? '') || 'ok' };
    if (errcode === 43101) return { outcome: 'not_subscribed', errcode, error: errmsg };
    if (TOKEN_ERRCODES.has(errcode) && attempt === 0) {
      try {
        token = await tokens.refresh(token);
      } catch (err) {
        return { outcome: 'retry', errcode, error: `刷新 access_token 失败：${(err as Error).message}` };
      }
      continue;
    }
    if (PERMANENT.has(errcode)) return { outcome: 'failed', errcode, error: errmsg };
    return { outcome: 'retry', errcode, error: errmsg };
  }
  return { outcome: 'retry', error: 'access_token 无效' };
}

/** POST (service role) {limit?}: one batch; answers the counts. */
export const handleMessageSender: Handler = async (req) => {
  if (req.method !== 'POST') return json(405, { code: 'method_not_allowed', message: '请求方式不支持' });
  try {
    const cfg = readConfig();
    await requireServiceRole(req, cfg);
    let limit = DEFAULT_BATCH;
    const text = await req.text();
    if (text) {
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new HttpError(400, 'invalid_body', '请求格式错误');
      }
      const l = (body as { limit?: unknown } | null)?.limit;
      if (l !== undefined) {
        if (typeof l !== 'number' || !Number.isInteger(l) || l < 1 || l > 500) throw new HttpError(400, 'invalid_body', '请求格式错误');
        limit = l;
      }
    }
    const service = serviceClient(cfg);
    const rows = await rpc<PushRow[]>(service, 'message_push_claim', { p_limit: limit, p_lease_seconds: LEASE_SECONDS });
    const counts = { claimed: rows.length, sent: 0, not_subscribed: 0, retry: 0, dead: 0, token_refreshed: 0 };
    const app: WechatApp = { apiBase: cfg.wechatApiBase, appId: cfg.wechatAppId, secret: cfg.wechatSecret };
    const tokens = new TokenSource(app, service);
    for (const row of rows) {
      const result = await sendOne(app, tokens, row);
      const status = await rpc<string>(service, 'message_push_report', result.outcome === 'sent'
        ? { p_push_id: row.push_id, p_outcome: 'sent', p_msgid: result.msgid }
        : { p_push_id: row.push_id, p_outcome: result.outcome, p_errcode: result.errcode ?? null, p_error: result.error });
      if (status === 'sent') counts.sent += 1;
      else if (status === 'skipped') counts.not_subscribed += 1;
      else if (status === 'pending') counts.retry += 1;
      else if (status === 'dead') counts.dead += 1;
      if (result.outcome !== 'sent') console.error(`message push ${row.push_id}: ${result.outcome} ${result.errcode ?? ''} ${result.error}`);
    }
    counts.token_refreshed = tokens.refreshed;
    return json(200, counts);
  } catch (err) {
    return errorResponse(err);
  }
};
