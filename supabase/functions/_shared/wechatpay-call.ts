// One signed call to WeChat Pay API v3 (WECHAT-NOTES.md §5) for the refund and expiry flows:
// the request signed with the merchant key, the answer's signature verified with the WeChat Pay
// key, retries of what WeChat says to retry (FREQUENCY_LIMITED, SYSTEM_ERROR, unreachable) with
// a short back-off. The caller decides what an answer means; a time-out is reported as such,
// because the call may have taken effect at WeChat (retry with the same idempotency key).
import type { WechatPayConfig } from './config.ts';
import { authorization, checkWechatpaySignature } from './wechatpay.ts';

export type CallResult =
  /** WeChat answered (signature verified): HTTP status and the JSON body (empty for 204). */
  | { kind: 'answer'; status: number; body: Record<string, unknown>; code: string; message: string }
  /** No (verifiable) answer: time-out, unreachable, or an answer whose signature did not verify. */
  | { kind: 'no_answer'; code: 'TIMEOUT' | 'UNREACHABLE' | 'BAD_SIGNATURE'; message: string };

/** Time-out of one call (WECHATPAY_TIMEOUT_MS, default 8000 ms). */
function timeoutMs(): number {
  const v = Number(Deno.env.get('WECHATPAY_TIMEOUT_MS') ?? '');
  return Number.isInteger(v) && v >= 100 && v <= 60_000 ? v : 8000;
}

/** Back-off before the n-th retry (WECHATPAY_RETRY_DELAY_MS × 2^n, default 500 ms). */
function retryDelayMs(n: number): number {
  const v = Number(Deno.env.get('WECHATPAY_RETRY_DELAY_MS') ?? '');
  return (Number.isInteger(v) && v >= 0 && v <= 10_000 ? v : 500) * 2 ** n;
}

const RETRIED = new Set(['FREQUENCY_LIMITED', 'SYSTEM_ERROR']);

async function once(cfg: WechatPayConfig, method: 'GET' | 'POST', pathAndQuery: string, body: string): Promise<CallResult> {
  const url = `${cfg.apiBase}${pathAndQuery}`;
  let res: Response;
  let raw: Uint8Array;
  try {
    res = await fetch(url, {
      method,
      headers: {
        Authorization: await authorization(cfg, method, pathAndQuery, body),
        Accept: 'application/json',
        ...(method === 'POST' ? { 'Content-Type': 'application/json' } : {}),
        'User-Agent': 'queue-rebate-edge/1.0',
      },
      body: method === 'POST' ? body : undefined,
      signal: AbortSignal.timeout(timeoutMs()),
    });
    raw = new Uint8Array(await res.arrayBuffer());
  } catch (err) {
    const timedOut = err instanceof DOMException && (err.name === 'TimeoutError' || err.name === 'AbortError');
    return { kind: 'no_answer', code: timedOut ? 'TIMEOUT' : 'UNREACHABLE', message: String(err) };
  }
  const problem = await checkWechatpaySignature(cfg, res.headers, raw);
  if (problem) return { kind: 'no_answer', code: 'BAD_SIGNATURE', message: `answer ${res.status} refused: ${problem}` };
  let parsed: Record<string, unknown> = {};
  try {
    const v: unknown = raw.length ? JSON.parse(new TextDecoder().decode(raw)) : {};
    if (v && typeof v === 'object' && !Array.isArray(v)) parsed = v as Record<string, unknown>;
  } catch { /* parsed stays empty */ }
  return {
    kind: 'answer',
    status: res.status,
    body: parsed,
    code: res.ok ? '' : typeof parsed.code === 'string' ? parsed.code : `HTTP_${res.status}`,
    message: typeof parsed.message === 'string' ? parsed.message : '',
  };
}

/**
 * Calls WeChat Pay; retries FREQUENCY_LIMITED, SYSTEM_ERROR and an unreachable host up to
 * `attempts` times in all (the same request: safe for idempotent keys). A time-out is not
 * retried here: the caller records it and the job asks again later.
 */
export async function wechatpayCall(
  cfg: WechatPayConfig,
  method: 'GET' | 'POST',
  pathAndQuery: string,
  body = '',
  attempts = 3,
): Promise<CallResult> {
  let result: CallResult = { kind: 'no_answer', code: 'UNREACHABLE', message: 'not called' };
  for (let i = 0; i < attempts; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, retryDelayMs(i - 1)));
    result = await once(cfg, method, pathAndQuery, body);
    const again = result.kind === 'answer' ? RETRIED.has(result.code) : result.code === 'UNREACHABLE';
    if (!again) return result;
    console.warn(`wechat pay ${method} ${pathAndQuery.split('?')[0]}: ${result.code}, attempt ${i + 1} of ${attempts}`);
  }
  return result;
}
