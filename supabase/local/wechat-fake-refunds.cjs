// The fake WeChat Pay's refunds (WECHAT-NOTES.md §5), wired into wechat-fake.cjs:
//   POST /v3/refund/domestic/refunds                    → the refund (PROCESSING, or SUCCESS at once)
//   GET  /v3/refund/domestic/refunds/{out_refund_no}    → the refund
// Requests are checked as WeChat checks them (out_trade_no or transaction_id, out_refund_no
// 1–64 [0-9A-Za-z_-|*@], reason ≤ 80, notify_url, amount{refund, total, currency}); the same
// out_refund_no again returns the same refund (refunded once) unless its amount differs
// (INVALID_REQUEST); more than is left of the trade is INVALID_REQUEST; more than the merchant's
// balance is 403 NOT_ENOUGH. A refund stays PROCESSING and then, in 'auto' mode, succeeds after
// `successDelayMs`; in 'manual' mode a test finishes it with finish(no, 'SUCCESS' | 'ABNORMAL' |
// 'CLOSED', {notify}). REFUND.* notifications are encrypted, signed and retried like the
// payment's; `notify: 'hold'` returns one unsent (lost, or to deliver later: reordered), and
// send(held) delivers it. Faults: pay.failNext(route, …) (an error before anything happens),
// delayNext(ms) (the refund is made, the answer comes late: our time-out), nextOutcome(status).
'use strict';

const OUT_REFUND_NO = /^[0-9A-Za-z_\-|*@]{1,64}$/;
const EVENTS = {
  SUCCESS: ['REFUND.SUCCESS', '退款成功'],
  ABNORMAL: ['REFUND.ABNORMAL', '退款异常'],
  CLOSED: ['REFUND.CLOSED', '退款关闭'],
};

/**
 * @param ctx what the fake shares: mchid, now(), currentTrade(no), trades (Map), PayApiError,
 *   paramError, notificationBody, deliver, post, beijingTime, digits, timers (Set), stopped()
 */
function createRefunds(ctx) {
  const { mchid, now, currentTrade, trades, PayApiError, paramError, notificationBody, deliver, post, beijingTime, digits, timers } = ctx;
  /** out_refund_no → refund */
  const refunds = new Map();
  const options = { mode: 'auto', successDelayMs: 50, balanceFen: Number.MAX_SAFE_INTEGER };
  const delays = [];
  const outcomes = [];
  const held = [];

  function view(r) {
    const t = trades.get(r.out_trade_no);
    return JSON.parse(JSON.stringify({
      refund_id: r.refund_id, out_refund_no: r.out_refund_no, transaction_id: t.transaction_id, out_trade_no: t.out_trade_no,
      channel: 'ORIGINAL', user_received_account: '支付用户零钱', success_time: r.successTimeMs ? beijingTime(r.successTimeMs) : undefined,
      create_time: beijingTime(r.createdMs), status: r.status, funds_account: 'AVAILABLE',
      amount: {
        total: t.amount.total, refund: r.amount, payer_total: t.amount.total, payer_refund: r.amount,
        settlement_refund: r.amount, settlement_total: t.amount.total, discount_refund: 0, currency: 'CNY', refund_fee: 0,
      },
    }));
  }

  /** Fen of the trade already refunded or being refunded (a closed refund gave its money back). */
  const taken = (t) => [...refunds.values()].filter((r) => r.out_trade_no === t.out_trade_no && r.status !== 'CLOSED')
    .reduce((n, r) => n + r.amount, 0) + t.refunds.filter((r) => !refunds.has(r.out_refund_no)).reduce((n, r) => n + r.amount, 0);

  function validate(json) {
    if (json === undefined) throw new PayApiError(400, 'PARAM_ERROR', '请求体格式错误，应为 JSON 对象');
    if (json.out_trade_no === undefined && json.transaction_id === undefined) throw paramError('out_trade_no', '与transaction_id二选一必填');
    if (typeof json.out_refund_no !== 'string' || !OUT_REFUND_NO.test(json.out_refund_no)) {
      throw paramError('out_refund_no', '应为1-64位数字、大小写字母、_-|*@');
    }
    if (json.reason !== undefined && (typeof json.reason !== 'string' || [...json.reason].length > 80)) {
      throw paramError('reason', '长度不能超过80个字符');
    }
    if (json.notify_url !== undefined) {
      let u;
      try { u = new URL(json.notify_url); } catch { throw paramError('notify_url', '不是有效的URL'); }
      const localHttp = u.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname);
      if (json.notify_url.length > 256 || (u.protocol !== 'https:' && !localHttp) || u.search) throw paramError('notify_url', '应为不带参数的https地址');
    }
    if (json.funds_account !== undefined && json.funds_account !== 'AVAILABLE') throw paramError('funds_account', '仅支持AVAILABLE');
    const a = json.amount;
    if (!a || typeof a !== 'object' || !Number.isSafeInteger(a.refund) || a.refund < 1 || !Number.isSafeInteger(a.total) || a.total < 1) {
      throw paramError('amount', 'refund与total应为大于0的整数（分）');
    }
    if (a.currency !== 'CNY') throw paramError('amount.currency', '仅支持CNY');
  }

  async function create({ json }) {
    validate(json);
    const t = json.out_trade_no !== undefined ? currentTrade(json.out_trade_no)
      : [...trades.values()].find((x) => x.transaction_id === json.transaction_id);
    if (!t || (json.transaction_id !== undefined && t.transaction_id !== json.transaction_id)) {
      throw new PayApiError(404, 'RESOURCE_NOT_EXISTS', '订单不存在');
    }
    let r = refunds.get(json.out_refund_no);
    if (r) {
      if (r.out_trade_no !== t.out_trade_no || r.amount !== json.amount.refund) {
        throw new PayApiError(400, 'INVALID_REQUEST', '同一退款单号的请求参数与之前不一致');
      }
    } else {
      if (t.state !== 'SUCCESS' && t.state !== 'REFUND') throw new PayApiError(400, 'INVALID_REQUEST', '交易未支付，不能退款');
      if (json.amount.total !== t.amount.total) throw new PayApiError(400, 'INVALID_REQUEST', '订单金额与原交易金额不一致');
      if (json.amount.refund > t.amount.total - taken(t)) throw new PayApiError(400, 'INVALID_REQUEST', '申请退款金额超过订单可退金额');
      if (json.amount.refund > options.balanceFen) throw new PayApiError(403, 'NOT_ENOUGH', '基本账户余额不足，请充值后重新发起');
      options.balanceFen -= json.amount.refund;
      r = {
        refund_id: `50${digits(27)}`, out_refund_no: json.out_refund_no, out_trade_no: t.out_trade_no, amount: json.amount.refund,
        reason: json.reason ?? '', notify_url: json.notify_url ?? t.notify_url, status: 'PROCESSING', createdMs: now(), successTimeMs: null,
        notifications: [],
      };
      refunds.set(r.out_refund_no, r);
      t.state = 'REFUND';
      const outcome = outcomes.shift() ?? (options.mode === 'auto' ? 'auto' : 'PROCESSING');
      if (outcome === 'auto') later(() => finish(r.out_refund_no, 'SUCCESS'), options.successDelayMs);
      else if (outcome !== 'PROCESSING') await finish(r.out_refund_no, outcome, { notify: false });
    }
    const answer = view(r);
    const delay = delays.shift();
    if (delay) await new Promise((resolve) => later(resolve, delay));
    return { json: answer };
  }

  function query({ params }) {
    const r = refunds.get(params.no);
    if (!r) throw new PayApiError(404, 'RESOURCE_NOT_EXISTS', '退款单不存在');
    return { json: view(r) };
  }

  function later(fn, ms) {
    const timer = setTimeout(() => { timers.delete(timer); fn(); }, ms);
    timer.unref?.();
    timers.add(timer);
  }

  /** The refund notification of a refund in its current state (not sent). */
  function notification(r) {
    const t = trades.get(r.out_trade_no);
    const [eventType, summary] = EVENTS[r.status];
    const resource = JSON.parse(JSON.stringify({
      mchid, out_trade_no: t.out_trade_no, transaction_id: t.transaction_id, out_refund_no: r.out_refund_no, refund_id: r.refund_id,
      refund_status: r.status, success_time: r.successTimeMs ? beijingTime(r.successTimeMs) : undefined,
      user_received_account: '支付用户零钱',
      amount: { total: t.amount.total, refund: r.amount, payer_total: t.amount.total, payer_refund: r.amount },
    }));
    // the refund's associated_data is unconfirmed; WeChat's examples show it empty
    return { url: r.notify_url, body: notificationBody({ eventType, summary, originalType: 'refund', associatedData: '', resource }), resource };
  }

  /**
   * WeChat finishes a refund: SUCCESS, ABNORMAL (the money could not reach the buyer) or CLOSED
   * (nothing refunded; the amount may be refunded again). notify: true (sent and retried),
   * false (nothing sent: a lost notification) or 'hold' (returned unsent; send(held) later).
   */
  async function finish(outRefundNo, status, { notify = true } = {}) {
    const r = refunds.get(outRefundNo);
    if (!r) throw new Error(`no refund ${outRefundNo}`);
    if (!EVENTS[status]) throw new Error(`bad refund status ${status}`);
    if (r.status === 'SUCCESS' || r.status === 'CLOSED') throw new Error(`refund ${outRefundNo} is ${r.status}`);
    r.status = status;
    if (status === 'SUCCESS') {
      r.successTimeMs = now();
      trades.get(r.out_trade_no).refunds.push({ refund_id: r.refund_id, out_refund_no: r.out_refund_no, amount: r.amount, successTimeMs: r.successTimeMs });
    }
    if (status === 'CLOSED') options.balanceFen += r.amount;
    const n = notification(r);
    if (notify === 'hold') {
      held.push(n);
      return n;
    }
    if (!notify) return n;
    const record = await deliver(n.url, n.body, n.resource);
    r.notifications.push(record);
    return record;
  }

  return {
    routes: [
      ['POST', /^\/v3\/refund\/domestic\/refunds$/, 'POST /v3/refund/domestic/refunds', create],
      ['GET', /^\/v3\/refund\/domestic\/refunds\/([^/]+)$/, 'GET /v3/refund/domestic/refunds/{out_refund_no}', query],
    ],
    api: {
      /** 'auto': a refund succeeds (and notifies) successDelayMs after it is made; 'manual': it waits for finish(). */
      set mode(m) {
        if (m !== 'auto' && m !== 'manual') throw new Error(`bad mode ${m}`);
        options.mode = m;
      },
      get mode() {
        return options.mode;
      },
      set successDelayMs(ms) {
        options.successDelayMs = ms;
      },
      /** The merchant's available balance in fen (NOT_ENOUGH beyond it). */
      set balanceFen(fen) {
        options.balanceFen = fen;
      },
      get balanceFen() {
        return options.balanceFen;
      },
      /** The next refund made answers late (after ms): it exists at WeChat, our caller has timed out. */
      delayNext(ms) {
        delays.push(ms);
      },
      /** The next refund made is answered at once in this state (SUCCESS, ABNORMAL, CLOSED; no notification). */
      nextOutcome(status) {
        outcomes.push(status);
      },
      finish,
      /** Delivers a held notification (with WeChat's retries). */
      send: (n) => deliver(n.url, n.body, n.resource),
      /** Posts a held notification once, without retries. */
      post: (n) => post(n.url, n.body),
      held,
      /** The refund as the query API shows it (undefined if none). */
      get: (no) => (refunds.has(no) ? view(refunds.get(no)) : undefined),
      /** Every refund made through the API. */
      all: () => [...refunds.values()].map(view),
      /**
       * The user paid but the notification was lost (never sent). `{ racingClose: true }` also
       * pays a trade we closed: the buyer's payment was under way when our close went through
       * (the close/pay race, SPEC §16), so WeChat reports SUCCESS for a trade we cancelled.
       */
      payWithoutNotification(outTradeNo, { racingClose = false } = {}) {
        const t = currentTrade(outTradeNo);
        if (!t || !(t.state === 'NOTPAY' || (racingClose && t.state === 'CLOSED'))) throw new Error(`trade ${outTradeNo} cannot be paid`);
        t.state = 'SUCCESS';
        t.transaction_id = `4200${beijingTime(now()).replace(/\D/g, '').slice(0, 8)}${digits(16)}`;
        t.successTimeMs = now();
        return t.transaction_id;
      },
    },
  };
}

module.exports = { createRefunds };
