// Statements (对账, SPEC §16; docs/payments.md): the daily job downloads WeChat Pay's trade bill
// of a day (GET /v3/bill/tradebill?bill_date&bill_type=ALL → download_url; the file fetched with
// a signed request and checked against hash_value, SHA1), parses it and hands the lines to
// record_statement, which compares them with our payments and refunds and keeps the differences.
import { readConfig, readWechatPayConfig } from './config.ts';
import { serviceClient } from './db.ts';
import { type Handler, HttpError, postJson } from './http.ts';
import { requireServiceRole } from './job.ts';
import { describe, sha1Hex, wechatpayCall, wechatpayDownload } from './wechatpay-client.ts';

export interface BillLine {
  line_no: number;
  kind: 'payment' | 'refund';
  /** 'YYYY-MM-DD HH:MM:SS', Beijing time */
  trade_time: string;
  out_trade_no: string;
  transaction_id: string;
  out_refund_no: string | null;
  refund_id: string | null;
  /** payment: 订单金额; refund: 申请退款金额 (what we asked for in each case), in fen */
  amount_fen: number;
  trade_state: string;
  refund_state: string | null;
}

export interface ParsedBill {
  lines: BillLine[];
  /** the bill's own totals: 总交易单数, 订单总金额, 申请退款总金额 */
  summary: { count: number; pay_fen: number; refund_fen: number };
}

/** '168.00' → 16800, exactly (no floating point); throws on anything else. */
export function yuanToFen(text: string): number {
  const m = /^(-?)(\d{1,12})\.(\d{2})$/.exec(text);
  if (!m) throw new Error(`not an amount: ${JSON.stringify(text)}`);
  const fen = Number(m[2]) * 100 + Number(m[3]);
  return m[1] ? -fen : fen;
}

/** One record: every field starts with a backtick (so spreadsheets keep long numbers as text). */
function fieldsOf(line: string): string[] {
  if (!line.startsWith('`')) throw new Error(`a record must start with a backtick: ${line.slice(0, 40)}`);
  return line.slice(1).split(',`');
}

/**
 * Parses a trade bill of type ALL: the header line, one record per payment (交易状态 SUCCESS …) or
 * refund (REFUND), then the summary header and the summary record. Columns are found by name.
 */
export function parseTradeBill(text: string): ParsedBill {
  const rows = text.replace(/^\uFEFF/, '').split(/\r?\n/).filter((l) => l.trim() !== '');
  if (rows.length < 3) throw new Error('bill too short');
  const header = rows[0].split(',');
  const col = (name: string) => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`bill without column ${name}`);
    return i;
  };
  const c = {
    time: col('交易时间'), txn: col('微信订单号'), out: col('商户订单号'), state: col('交易状态'), amount: col('订单金额'),
    refundId: col('微信退款单号'), outRefund: col('商户退款单号'), refundAsked: col('申请退款金额'), refundState: col('退款状态'),
  };
  const summaryAt = rows.findIndex((l) => l.startsWith('总交易单数'));
  if (summaryAt < 1 || summaryAt + 1 >= rows.length) throw new Error('bill without its summary');
  const lines: BillLine[] = rows.slice(1, summaryAt).map((row, i) => {
    const f = fieldsOf(row);
    if (f.length !== header.length) throw new Error(`record ${i + 1} has ${f.length} fields, the header ${header.length}`);
    const refund = f[c.state] === 'REFUND';
    return {
      line_no: i + 1,
      kind: refund ? 'refund' : 'payment',
      trade_time: f[c.time],
      out_trade_no: f[c.out],
      transaction_id: f[c.txn],
      out_refund_no: refund ? f[c.outRefund] : null,
      refund_id: refund ? f[c.refundId] : null,
      amount_fen: yuanToFen(refund ? f[c.refundAsked] : f[c.amount]),
      trade_state: f[c.state],
      refund_state: refund ? f[c.refundState] : null,
    };
  });
  const sHeader = rows[summaryAt].split(',');
  const s = fieldsOf(rows[summaryAt + 1]);
  const sv = (name: string) => {
    const i = sHeader.indexOf(name);
    if (i < 0 || i >= s.length) throw new Error(`summary without ${name}`);
    return s[i];
  };
  const count = Number(sv('总交易单数'));
  if (!Number.isSafeInteger(count)) throw new Error('bad 总交易单数');
  return { lines, summary: { count, pay_fen: yuanToFen(sv('订单总金额')), refund_fen: yuanToFen(sv('申请退款总金额')) } };
}

/** Yesterday in Asia/Shanghai, 'YYYY-MM-DD'. */
export function yesterdayShanghai(nowMs = Date.now()): string {
  return new Date(nowMs + 8 * 3600_000 - 86400_000).toISOString().slice(0, 10);
}

/**
 * POST {bill_date?} as the service role (the clock; default: yesterday, Asia/Shanghai). Answers
 * what record_statement found. Nothing is recorded unless the file matches its hash and its own
 * totals; running a day again replaces its lines and updates its open differences.
 */
export const handleStatementJob: Handler = postJson(async (body, req) => {
  const cfg = readConfig();
  await requireServiceRole(req, cfg);
  const { config: pay, missing } = readWechatPayConfig();
  if (missing.filter((m) => m !== 'WECHATPAY_NOTIFY_URL').length > 0) {
    console.error(`statement-download: WeChat Pay is not configured: ${missing.join(', ')} not set`);
    throw new HttpError(503, 'payment_unavailable', '支付暂未开通');
  }
  const day = body.bill_date ?? yesterdayShanghai();
  if (typeof day !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new HttpError(400, 'invalid_bill_date', '账单日期无效');

  let hash: string | null = null;
  let parsed: ParsedBill = { lines: [], summary: { count: 0, pay_fen: 0, refund_fen: 0 } };
  const unavailable = () => new HttpError(502, 'statement_unavailable', '下载账单失败，请稍后再试');
  const applied = await wechatpayCall(pay, 'GET', `/v3/bill/tradebill?bill_date=${day}&bill_type=ALL`);
  if (applied.kind === 'no_answer') {
    console.error(`statement-download ${day}: tradebill: ${describe(applied)}`);
    throw unavailable();
  }
  if (applied.status === 400 && applied.code === 'NO_STATEMENT_EXIST') {
    // no trade that day at WeChat: an empty bill (any payment of ours that day is missing there)
  } else if (applied.status === 400 && applied.code === 'STATEMENT_CREATING') {
    throw new HttpError(503, 'statement_not_ready', '账单尚未生成，请稍后再试');
  } else if (applied.status !== 200) {
    console.error(`statement-download ${day}: tradebill answered ${applied.status}`, applied.body);
    throw unavailable();
  } else {
    const { hash_type: type, hash_value: value, download_url: url } = applied.body;
    if (type !== 'SHA1' || typeof value !== 'string' || typeof url !== 'string') throw unavailable();
    const file = await wechatpayDownload(pay, url);
    if (file.kind === 'no_answer' || file.status !== 200) {
      console.error(`statement-download ${day}: download: ${describe(file)}`);
      throw unavailable();
    }
    hash = await sha1Hex(file.raw);
    if (hash !== value.toLowerCase()) {
      console.error(`statement-download ${day}: hash ${hash} is not the stated ${value}`);
      throw new HttpError(502, 'statement_hash_mismatch', '账单文件校验失败');
    }
    try {
      parsed = parseTradeBill(new TextDecoder('utf-8', { fatal: true }).decode(file.raw));
    } catch (err) {
      console.error(`statement-download ${day}: cannot parse the bill:`, err);
      throw new HttpError(502, 'statement_unreadable', '账单格式无法识别');
    }
  }
  const { data, error } = await serviceClient(cfg).rpc('record_statement', {
    p_bill_date: day,
    p_hash: hash,
    p_lines: parsed.lines,
    p_summary: parsed.summary,
  });
  if (error) {
    console.error(`statement-download ${day}: record_statement refused:`, error);
    if (error.code === 'P0001') throw new HttpError(422, error.message, error.hint ?? '账单无法入账');
    throw new HttpError(500, 'internal_error', '服务暂时不可用，请稍后再试');
  }
  console.log(`statement-download ${day}:`, JSON.stringify(data));
  return data;
});
