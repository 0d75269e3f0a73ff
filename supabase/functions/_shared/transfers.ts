// Withdrawal payouts by WeChat Pay merchant transfer (商家转账, WECHAT-NOTES.md §6; docs/payments.md).
//   withdrawal-transfer (财务 / 超级管理员): approve (the database creates the transfer and its
//       out_bill_no first) → POST /v3/fund-app/mch-transfer/transfer-bills.
//   transfer-notify (WeChat): MCHTRANSFER.BILL.FINISHED → record_transfer_result.
//   payout-transfers (the clock, service role): send what WeChat never accepted, query what is
//       stuck or whose notification may be lost, cancel what waits for the member too long.
//   dev-transfer-confirm (local H5 only): the member's 确认收款 through the fake's confirm page.
// Money never moves here: record_transfer_result decides, once, whatever arrives in any order.
import { readConfig, readWechatPayConfig, type WechatPayConfig } from './config.ts';
import { serviceClient, userClient } from './db.ts';
import { type Handler, HttpError, json, postJson } from './http.ts';
import { requireServiceRole } from './job.ts';
import { type CallResult, describe, encryptSensitive, RETRIED_CODES, wechatpayCall } from './wechatpay-client.ts';
import { notifyDbFailure, notifyFail, receiveWechatpayNotification } from './wechatpay-notify.ts';

type Db = ReturnType<typeof serviceClient>;
interface DbError {
  message?: string;
  hint?: string | null;
  code?: string;
}

const BILLS = '/v3/fund-app/mch-transfer/transfer-bills';
const STATES = new Set(['ACCEPTED', 'PROCESSING', 'WAIT_USER_CONFIRM', 'TRANSFERING', 'SUCCESS', 'FAIL', 'CANCELING', 'CANCELLED']);
const FINAL = new Set(['SUCCESS', 'FAIL', 'CANCELLED']);
/** Codes after which the same request is sent again later (WeChat: retry with the same out_bill_no). */
const RETRY_CODES = new Set([...RETRIED_CODES, 'FREQUENCY_LIMIT', 'NOT_ENOUGH', 'SIGN_ERROR', 'RATELIMIT_EXCEED']);
const ERROR_TEXT: Record<string, string> = {
  NOT_ENOUGH: '商户运营账户余额不足',
  FREQUENCY_LIMITED: '微信接口调用过于频繁',
  FREQUENCY_LIMIT: '微信接口调用过于频繁',
  SYSTEM_ERROR: '微信支付系统繁忙',
  SIGN_ERROR: '签名错误，请检查商户证书配置',
};

/** What each transfer scene must report (transfer_scene_report_infos) and the member sees. */
const SCENE_REPORT: Record<string, { perception: string; infos: [string, string][] }> = {
  1000: { perception: '现金奖励', infos: [['活动名称', '排队返利'], ['奖励说明', '排队返利返现提现']] },
  1005: { perception: '劳务报酬', infos: [['岗位类型', '推广员'], ['报酬说明', '推广佣金提现']] },
};

/** notify_url of transfers: WECHATPAY_TRANSFER_NOTIFY_URL, else pay-notify's URL with transfer-notify. */
export function transferNotifyUrl(pay: WechatPayConfig): string {
  const explicit = Deno.env.get('WECHATPAY_TRANSFER_NOTIFY_URL')?.trim();
  if (explicit) return explicit;
  return pay.notifyUrl.replace(/\/pay-notify\/?$/, '/transfer-notify');
}

function payConfig(): WechatPayConfig | null {
  const { config, missing } = readWechatPayConfig();
  if (missing.length > 0) {
    console.error(`transfers: WeChat Pay is not configured: ${missing.join(', ')} not set`);
    return null;
  }
  return config;
}

async function rpc<T>(db: Db, fn: string, args: Record<string, unknown>): Promise<T> {
  const { data, error } = await db.rpc(fn, args);
  if (error) throw Object.assign(new Error(`${fn}: ${error.message}`), { db: error as DbError });
  return data as T;
}

export interface TransferOutcome {
  out_bill_no: string;
  state: string;
  /** set when WeChat gave no usable answer (the job retries with the same out_bill_no) */
  error?: string;
}

async function recordError(db: Db, no: string, error: string): Promise<TransferOutcome> {
  console.warn(`transfer ${no}: ${error} (retried later with the same out_bill_no)`);
  await rpc(db, 'record_transfer_error', { p_out_bill_no: no, p_error: error });
  return { out_bill_no: no, state: 'created', error };
}

/** No usable answer (time-out, unreachable, signature refused): the same out_bill_no later. */
function noAnswer(db: Db, no: string, answer: CallResult): Promise<TransferOutcome> {
  return recordError(db, no, `微信无应答（${describe(answer)}）`.slice(0, 200));
}

function errorText(code: string, body: Record<string, unknown>, status: number): string {
  return `${ERROR_TEXT[code] ?? '微信转账接口出错'}（${code || status}${typeof body.message === 'string' ? `：${body.message}` : ''}）`
    .slice(0, 200);
}

async function applyBill(db: Db, pay: WechatPayConfig, no: string, b: Record<string, unknown>, source: string): Promise<TransferOutcome> {
  if (b.out_bill_no !== no || typeof b.state !== 'string' || !STATES.has(b.state)) {
    return recordError(db, no, `微信返回的转账单无效（${String(b.state)}）`);
  }
  if (b.mch_id !== undefined && b.mch_id !== pay.mchId) return recordError(db, no, '微信返回的商户号不一致');
  const r = await rpc<{ state: string }>(db, 'record_transfer_result', {
    p_out_bill_no: no,
    p_state: b.state,
    p_transfer_bill_no: typeof b.transfer_bill_no === 'string' ? b.transfer_bill_no : null,
    p_package_info: typeof b.package_info === 'string' ? b.package_info : null,
    p_fail_reason: typeof b.fail_reason === 'string' ? b.fail_reason : null,
    p_amount_fen: Number.isSafeInteger(b.transfer_amount) ? b.transfer_amount : null,
    p_source: source,
  });
  return { out_bill_no: no, state: r.state };
}

/** Sends (or sends again: same out_bill_no, same parameters) the transfer WeChat has not accepted. */
export async function sendTransfer(db: Db, pay: WechatPayConfig, no: string): Promise<TransferOutcome> {
  const req = await rpc<Record<string, any>>(db, 'transfer_request', { p_out_bill_no: no, p_app_id: pay.appId, p_mch_id: pay.mchId });
  if (req.final || req.state !== 'created') return { out_bill_no: no, state: req.state };
  const scene = SCENE_REPORT[req.scene_id];
  if (!scene) return recordError(db, no, `未配置转账场景 ${req.scene_id}`);
  const body: Record<string, unknown> = {
    appid: req.app_id,
    out_bill_no: no,
    transfer_scene_id: req.scene_id,
    openid: req.openid,
    transfer_amount: req.amount_fen,
    transfer_remark: req.remark,
    notify_url: transferNotifyUrl(pay),
    user_recv_perception: scene.perception,
    transfer_scene_report_infos: scene.infos.map(([info_type, info_content]) => ({ info_type, info_content })),
  };
  const headers: Record<string, string> = {};
  if (req.real_name) {
    const sealed = await encryptSensitive(pay, req.real_name);
    body.user_name = sealed.ciphertext;
    headers['Wechatpay-Serial'] = sealed.serial;
  }
  const answer = await wechatpayCall(pay, 'POST', BILLS, body, { headers });
  if (answer.kind === 'no_answer') return noAnswer(db, no, answer);
  if (answer.status === 200) return applyBill(db, pay, no, answer.body, 'create');
  if (answer.status >= 500 || answer.status === 429 || RETRY_CODES.has(answer.code)) {
    return recordError(db, no, errorText(answer.code, answer.body, answer.status));
  }
  // Refused (PARAM_ERROR, NO_AUTH, INVALID_REQUEST, …). It is final only if WeChat has no bill of
  // this number: a bill found by the query decides instead, so nothing can be paid and returned.
  console.error(`transfer ${no}: refused ${answer.status} ${answer.code}`, answer.body);
  return queryTransfer(db, pay, no, `REFUSED:${answer.code || answer.status}`);
}

/** Asks WeChat for the bill; `refusedAs` = the create call was refused, so "no such bill" is final. */
export async function queryTransfer(db: Db, pay: WechatPayConfig, no: string, refusedAs?: string): Promise<TransferOutcome> {
  const answer = await wechatpayCall(pay, 'GET', `${BILLS}/out-bill-no/${encodeURIComponent(no)}`);
  if (answer.kind === 'no_answer') return noAnswer(db, no, answer);
  if (answer.status === 200) return applyBill(db, pay, no, answer.body, refusedAs ? 'create' : 'query');
  if (answer.status === 404) {
    if (refusedAs) {
      const r = await rpc<{ state: string }>(db, 'record_transfer_result', {
        p_out_bill_no: no, p_state: 'FAIL', p_fail_reason: refusedAs, p_source: 'create_refused',
      });
      return { out_bill_no: no, state: r.state };
    }
    // never created at WeChat (our create call never got through): send it now
    const req = await rpc<Record<string, any>>(db, 'transfer_request', { p_out_bill_no: no, p_app_id: pay.appId, p_mch_id: pay.mchId });
    if (req.state === 'created') return sendTransfer(db, pay, no);
    return recordError(db, no, '微信查无此转账单');
  }
  return recordError(db, no, errorText(answer.code, answer.body, answer.status));
}

/** Revokes a transfer the member has not confirmed (allowed until they confirm). */
export async function cancelTransfer(db: Db, pay: WechatPayConfig, no: string): Promise<TransferOutcome> {
  const answer = await wechatpayCall(pay, 'POST', `${BILLS}/out-bill-no/${encodeURIComponent(no)}/cancel`);
  if (answer.kind === 'no_answer') return noAnswer(db, no, answer);
  if (answer.status === 200) return applyBill(db, pay, no, answer.body, 'cancel');
  if (answer.status === 400 || answer.status === 404) return queryTransfer(db, pay, no); // too late: what is it now?
  return recordError(db, no, errorText(answer.code, answer.body, answer.status));
}

// ------------------------------------------------------------------ withdrawal-transfer (console)
function bearerToken(req: Request): string {
  const m = /^bearer\s+(.+)$/i.exec(req.headers.get('authorization') ?? '');
  if (!m) throw new HttpError(401, 'login_required', '请先登录');
  return m[1].trim();
}

function refusal(fn: string, error: DbError): HttpError {
  if (error.code === 'P0001' && error.message) {
    const status = error.message === 'forbidden_role' ? 403 : error.message === 'withdrawal_not_found' ? 404 : 400;
    return new HttpError(status, error.message, error.hint ?? '操作失败');
  }
  if (error.code === 'PGRST301' || error.code === 'PGRST303' || error.code === '42501') {
    return new HttpError(401, 'login_required', '请先登录');
  }
  console.error(`${fn} failed:`, error);
  return new HttpError(500, 'internal_error', '服务暂时不可用，请稍后再试');
}

/**
 * POST {withdrawal_id, real_name?} with a 财务 / 超级管理员 token: approves the withdrawal for
 * payment by merchant transfer (audited, in the database) and sends the transfer at once. The
 * approval stands even when WeChat does not answer: the payout job sends it again.
 */
export const handleWithdrawalTransfer: Handler = postJson(async (body, req) => {
  const id = body.withdrawal_id;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) {
    throw new HttpError(400, 'withdrawal_not_found', '提现申请不存在');
  }
  if (body.real_name !== undefined && body.real_name !== null && typeof body.real_name !== 'string') {
    throw new HttpError(400, 'invalid_real_name', '收款人姓名无效');
  }
  const cfg = readConfig();
  const approved = await userClient(cfg, bearerToken(req)).rpc('admin_approve_withdrawal_transfer', {
    p_withdrawal_id: id,
    p_real_name: (body.real_name as string | undefined) ?? null,
  });
  if (approved.error) throw refusal('admin_approve_withdrawal_transfer', approved.error);
  const w = approved.data as Record<string, unknown> & { out_bill_no: string };
  const pay = payConfig();
  if (!pay) return { withdrawal: w, transfer: { out_bill_no: w.out_bill_no, state: 'created', error: '微信支付暂未配置，配置后自动打款' } };
  const db = serviceClient(cfg);
  let outcome: TransferOutcome;
  try {
    outcome = await sendTransfer(db, pay, w.out_bill_no);
  } catch (err) {
    // the approval is recorded and the transfer row exists: the job sends it
    console.error(`transfer ${w.out_bill_no}: send failed after approval:`, err);
    outcome = { out_bill_no: w.out_bill_no, state: 'created', error: '发起转账失败，系统将自动重试' };
  }
  return { withdrawal: w, transfer: outcome };
});

// ------------------------------------------------------------------ transfer-notify (WeChat)
/**
 * MCHTRANSFER.BILL.FINISHED: received by receiveWechatpayNotification (wechatpay-notify.ts;
 * associated data mch_payment), applied once by record_transfer_result; 204.
 */
export const handleTransferNotify: Handler = (req) =>
  receiveWechatpayNotification(req, {
    name: 'transfer-notify',
    accepts: (type) => type === 'MCHTRANSFER.BILL.FINISHED',
  }, async ({ pay, id, resource: b }) => {
    if (b.mch_id !== pay.mchId || typeof b.out_bill_no !== 'string' || typeof b.state !== 'string' || !FINAL.has(b.state) ||
        !Number.isSafeInteger(b.transfer_amount)) {
      console.error(`transfer-notify ${id}: unexpected bill`, b.mch_id, b.out_bill_no, b.state, b.transfer_amount);
      return notifyFail(400, '通知内容无效');
    }
    const { data, error } = await serviceClient(readConfig()).rpc('record_transfer_result', {
      p_out_bill_no: b.out_bill_no,
      p_state: b.state,
      p_transfer_bill_no: typeof b.transfer_bill_no === 'string' ? b.transfer_bill_no : null,
      p_package_info: null,
      p_fail_reason: typeof b.fail_reason === 'string' ? b.fail_reason : null,
      p_amount_fen: b.transfer_amount,
      p_source: 'notify',
    });
    // unknown bill, amount or bill number not ours, a final state contradicting ours: a person looks
    if (error) return notifyDbFailure('transfer-notify', id, 'record_transfer_result', error);
    const r = data as { replayed?: boolean; stale?: boolean; state?: string };
    console.log(`transfer-notify ${id}: ${b.out_bill_no} ${b.state}${r.replayed ? ' (repeat)' : ''}${r.stale ? ' (stale)' : ''}`);
    return null;
  });

// ------------------------------------------------------------------ payout-transfers (the clock)
const JOB_BATCH = 100;

/** The scheduled payout job: one batch of sends, queries and cancels; answers the counts. */
export const handlePayoutJob: Handler = postJson(async (_body, req) => {
  const cfg = readConfig();
  await requireServiceRole(req, cfg);
  const pay = payConfig();
  if (!pay) throw new HttpError(503, 'payment_unavailable', '支付暂未开通');
  const hours = Number(Deno.env.get('TRANSFER_CONFIRM_HOURS') ?? 20);
  const db = serviceClient(cfg);
  const due = await rpc<{ out_bill_no: string; action: 'send' | 'query' | 'cancel' }[]>(db, 'due_transfers', {
    p_limit: JOB_BATCH,
    p_confirm_hours: Number.isInteger(hours) && hours >= 1 && hours <= 23 ? hours : 20,
  });
  const counts = { picked: due.length, sent: 0, queried: 0, cancelled: 0, final: 0, errors: 0, failed_calls: 0 };
  for (const t of due) {
    try {
      const fn = t.action === 'send' ? sendTransfer : t.action === 'cancel' ? cancelTransfer : queryTransfer;
      const out = await fn(db, pay, t.out_bill_no);
      if (t.action === 'send') counts.sent += 1;
      else if (t.action === 'cancel') counts.cancelled += 1;
      else counts.queried += 1;
      if (FINAL.has(out.state)) counts.final += 1;
      if (out.error) counts.errors += 1;
    } catch (err) {
      counts.failed_calls += 1;
      console.error(`payout job: ${t.action} ${t.out_bill_no} failed:`, err);
    }
  }
  return counts;
});

// ------------------------------------------------------------------ dev-transfer-confirm (local H5)
/**
 * Local development only (REBATE_LOCAL_DEV=1): the H5 build cannot open WeChat's confirmation
 * page (wx.requestMerchantTransfer), so the member's 确认收款 asks the fake WeChat to confirm the
 * transfer, exactly as the page would; the notification then pays the withdrawal. 404 elsewhere.
 */
const devConfirm = postJson(async (body, req) => {
  const id = body.withdrawal_id;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) throw new HttpError(400, 'withdrawal_not_found', '提现申请不存在');
  const cfg = readConfig();
  const mine = await userClient(cfg, bearerToken(req)).rpc('my_withdrawals', { p_limit: 100 });
  if (mine.error) throw refusal('my_withdrawals', mine.error);
  const w = (mine.data as Record<string, unknown>[]).find((x) => x.withdrawal_id === id);
  if (!w) throw new HttpError(404, 'withdrawal_not_found', '提现申请不存在');
  if (typeof w.package_info !== 'string') throw new HttpError(409, 'transfer_not_waiting', '该提现无需确认收款');
  const pay = payConfig();
  if (!pay) throw new HttpError(503, 'payment_unavailable', '支付暂未开通');
  const res = await fetch(`${pay.apiBase}/__fake__/transfer/confirm`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ package_info: w.package_info }),
  });
  const answer = await res.json().catch(() => ({}));
  if (answer.errcode) throw new HttpError(409, 'transfer_not_waiting', '该提现无需确认收款');
  const after = await userClient(cfg, bearerToken(req)).rpc('my_withdrawals', { p_limit: 100 });
  if (after.error) throw refusal('my_withdrawals', after.error);
  return (after.data as Record<string, unknown>[]).find((x) => x.withdrawal_id === id);
});

export const handleDevTransferConfirm: Handler = (req) => {
  if (!readConfig().localDev) return Promise.resolve(json(404, { code: 'not_found', message: '接口不存在' }));
  return devConfirm(req);
};
