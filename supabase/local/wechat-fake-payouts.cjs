// The fake WeChat Pay's money-out side (WECHAT-NOTES.md §6, docs/payments.md): merchant transfers
// (商家转账) and the trade bill (交易账单). Wired into wechat-fake.cjs by `installPayouts(ctx)`,
// which returns the /v3/ routes (signature check, signed answers and fault injection come from
// wechat-fake.cjs), the /__fake__/ routes and the test API (`fake.payouts`).
//
//   POST /v3/fund-app/mch-transfer/transfer-bills                              → {out_bill_no, transfer_bill_no, create_time, state, package_info?}
//   GET  /v3/fund-app/mch-transfer/transfer-bills/out-bill-no/{no}             → the bill
//   POST /v3/fund-app/mch-transfer/transfer-bills/out-bill-no/{no}/cancel      → {out_bill_no, transfer_bill_no, state, update_time}
//   GET  /v3/bill/tradebill?bill_date=YYYY-MM-DD&bill_type=ALL                 → {hash_type: 'SHA1', hash_value, download_url}
//   GET  /v3/billdownload/file?token=…                                         → the bill file (signed request; the file is checked by its hash)
//   POST /__fake__/transfer/confirm {package_info | out_bill_no}               → the member confirms receipt (WeChat's confirm page)
'use strict';
const crypto = require('node:crypto');

const OUT_BILL_NO = /^[0-9A-Za-z]{1,32}$/;
const FINAL = new Set(['SUCCESS', 'FAIL', 'CANCELLED']);
const CONFIRM_TIMEOUT_MS = 24 * 3600 * 1000; // unconfirmed transfers end as FAIL after 24 h
const DOWNLOAD_TTL_MS = 30 * 1000;
const REAL_NAME_FROM_FEN = 200000; // user_name is required from ¥2,000
/** The transfer scenes this merchant has been approved for, with what each must report. */
const SCENES = {
  1000: { name: '现金营销', perceptions: ['活动奖励', '现金奖励'], infos: ['活动名称', '奖励说明'] },
  1005: { name: '佣金报酬', perceptions: ['劳务报酬', '报酬'], infos: ['岗位类型', '报酬说明'] },
};
const BILL_HEADER = '交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,' +
  '应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,' +
  '申请退款金额,费率备注';
const BILL_SUMMARY_HEADER = '总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额';
const FEE_PER_MILLION = 6000; // 0.60%

const yuan = (fen) => `${fen < 0 ? '-' : ''}${Math.floor(Math.abs(fen) / 100)}.${String(Math.abs(fen) % 100).padStart(2, '0')}`;
/** A fee in yuan with 5 decimals, as the bill writes it (fen × rate, exact in 1/1000 fen). */
const feeText = (fen) => {
  const milli = Math.round((Math.abs(fen) * FEE_PER_MILLION) / 1000); // thousandths of a fen
  const s = String(milli).padStart(6, '0');
  return `${fen < 0 ? '-' : ''}${s.slice(0, -5)}.${s.slice(-5)}`;
};
/** 'YYYY-MM-DD HH:MM:SS' in Beijing time. */
const beijingClock = (ms) => new Date(ms + 8 * 3600 * 1000).toISOString().slice(0, 19).replace('T', ' ');
const beijingDay = (ms) => beijingClock(ms).slice(0, 10);

/**
 * @param {object} ctx what wechat-fake.cjs shares: appid, mchid, now(), PayApiError, paramError,
 *   payKeys(), platformSerial, beijingTime(ms), alnum(n), digits(n), trades (out_trade_no → trade),
 *   notificationBody(…), deliver(url, body, resource), baseUrl()
 */
function installPayouts(ctx) {
  const { appid, mchid, now, PayApiError, paramError, beijingTime, alnum, digits, trades } = ctx;

  /** out_bill_no → bill */
  const bills = new Map();
  /** download token → { body, expiresAt } */
  const downloads = new Map();
  /** route name → [ms]: answer that late (the work is done first: a crash between call and answer) */
  const delays = new Map();
  const options = { initialState: 'WAIT_USER_CONFIRM', operatingBalanceFen: 1e12, holdNotifications: false, cancelStaysCanceling: false };
  const held = [];
  /** out_trade_no → changes the bill shows instead of the truth (tests: amount differences) */
  const billOverrides = new Map();
  const extraLines = []; // raw bill records of trades this fake never saw (tests: missing here)
  const tampers = new Map(); // bill_date → (text) => text, applied after the hash (tests: a corrupted download)

  const sleep = (ms) => new Promise((r) => setTimeout(r, ms).unref?.());
  async function delayed(name) {
    const q = delays.get(name);
    if (q?.length) await sleep(q.shift());
  }

  // ------------------------------------------------------------ transfers
  function billView(b) {
    const view = {
      mch_id: b.mchid, out_bill_no: b.out_bill_no, transfer_bill_no: b.transfer_bill_no, appid: b.appid, state: b.state,
      transfer_amount: b.transfer_amount, transfer_remark: b.transfer_remark, fail_reason: b.fail_reason ?? undefined,
      openid: b.openid, create_time: beijingTime(b.createdAt), update_time: beijingTime(b.updatedAt),
    };
    return JSON.parse(JSON.stringify(view));
  }

  function notify(b) {
    if (!b.notify_url) return null;
    const resource = billView(b);
    const body = ctx.notificationBody({
      eventType: 'MCHTRANSFER.BILL.FINISHED', summary: '商家转账单据终态通知', originalType: 'mch_payment',
      associatedData: 'mch_payment', resource,
    });
    if (options.holdNotifications) {
      held.push({ url: b.notify_url, body, resource });
      return null;
    }
    return ctx.deliver(b.notify_url, body, resource);
  }

  function finish(b, state, failReason) {
    b.state = state;
    b.fail_reason = failReason;
    b.updatedAt = now();
    if (state === 'SUCCESS') options.operatingBalanceFen -= b.transfer_amount;
    return notify(b);
  }

  /** A bill waiting for the member past 24 h has failed (WeChat returns the money and notifies). */
  function current(no) {
    const b = bills.get(no);
    if (b && !FINAL.has(b.state) && ['WAIT_USER_CONFIRM', 'TRANSFERING'].includes(b.state) &&
        now() - b.createdAt >= CONFIRM_TIMEOUT_MS) {
      finish(b, 'FAIL', 'OVERDUE_CLOSE');
    }
    return b;
  }

  function decryptName(ciphertext, headers) {
    const serial = headers['wechatpay-serial'];
    if (!serial) throw new PayApiError(400, 'PARAM_ERROR', '参数错误: 敏感信息加密需要 Wechatpay-Serial 请求头');
    if (serial !== ctx.platformSerial) throw new PayApiError(400, 'PARAM_ERROR', '参数错误: Wechatpay-Serial 与微信支付公钥ID不匹配');
    try {
      return crypto.privateDecrypt({ key: ctx.payKeys().platformPrivate, padding: crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
        Buffer.from(ciphertext, 'base64')).toString('utf8');
    } catch {
      throw paramError('user_name', '解密失败，请使用微信支付公钥按 RSA-OAEP 加密');
    }
  }

  function validateTransfer(json, mch, headers) {
    if (json === undefined) throw new PayApiError(400, 'PARAM_ERROR', '请求体格式错误，应为 JSON 对象');
    for (const field of ['appid', 'out_bill_no', 'transfer_scene_id', 'openid', 'transfer_remark']) {
      if (typeof json[field] !== 'string' || json[field] === '') throw paramError(field, '为必填字符串');
    }
    if (json.appid !== appid) throw new PayApiError(400, 'APPID_MCHID_NOT_MATCH', 'appid和mch_id不匹配');
    if (mch !== mchid) throw new PayApiError(400, 'INVALID_REQUEST', '商户号与签名不一致');
    if (!OUT_BILL_NO.test(json.out_bill_no)) throw paramError('out_bill_no', '应为1-32位数字、大小写字母');
    const scene = SCENES[json.transfer_scene_id];
    if (!scene) throw new PayApiError(403, 'NO_AUTH', '该转账场景未开通或未通过审核');
    if (json.openid.length > 128) throw paramError('openid', '长度不能超过128');
    if (!Number.isSafeInteger(json.transfer_amount) || json.transfer_amount < 10) {
      throw paramError('transfer_amount', '应为不小于10的整数（分），即至少0.1元');
    }
    if ([...json.transfer_remark].length > 32) throw paramError('transfer_remark', '长度不能超过32个字符');
    if (json.notify_url !== undefined) {
      let u;
      try { u = new URL(json.notify_url); } catch { throw paramError('notify_url', '不是有效的URL'); }
      const localHttp = u.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname);
      if (json.notify_url.length > 255 || (u.protocol !== 'https:' && !localHttp) || u.search || u.hash) {
        throw paramError('notify_url', '应为不带参数的https地址，长度不超过255');
      }
    }
    if (json.user_recv_perception !== undefined && !scene.perceptions.includes(json.user_recv_perception)) {
      throw paramError('user_recv_perception', `应为该场景（${scene.name}）可用的收款感知：${scene.perceptions.join('、')}`);
    }
    const infos = json.transfer_scene_report_infos;
    if (!Array.isArray(infos) || infos.length !== scene.infos.length) {
      throw paramError('transfer_scene_report_infos', `${scene.name}场景须报备：${scene.infos.join('、')}`);
    }
    const types = new Set();
    for (const info of infos) {
      if (!info || typeof info.info_type !== 'string' || typeof info.info_content !== 'string' ||
          !scene.infos.includes(info.info_type) || types.has(info.info_type) || [...info.info_type].length > 15 ||
          info.info_content.length < 1 || [...info.info_content].length > 32) {
        throw paramError('transfer_scene_report_infos', `${scene.name}场景须报备：${scene.infos.join('、')}（内容1-32个字符）`);
      }
      types.add(info.info_type);
    }
    let userName = null;
    if (json.user_name !== undefined) {
      if (typeof json.user_name !== 'string' || !json.user_name) throw paramError('user_name', '应为加密后的字符串');
      userName = decryptName(json.user_name, headers);
    }
    if (json.transfer_amount >= REAL_NAME_FROM_FEN && !userName) {
      throw paramError('user_name', '转账金额>=2000元时，收款用户姓名必填');
    }
    return userName;
  }

  async function createTransfer({ json, mch, headers }) {
    const userName = validateTransfer(json, mch, headers);
    // what must be identical when the same out_bill_no is sent again (the name decrypted: the
    // ciphertext differs on every call)
    const request = JSON.stringify({
      appid: json.appid, scene: json.transfer_scene_id, openid: json.openid, amount: json.transfer_amount,
      remark: json.transfer_remark, notify: json.notify_url ?? null, perception: json.user_recv_perception ?? null,
      infos: json.transfer_scene_report_infos, userName,
    });
    let b = current(json.out_bill_no);
    if (b) {
      if (b.request !== request) throw new PayApiError(400, 'INVALID_REQUEST', '商户单号重复，且与原请求参数不一致');
    } else {
      if (json.transfer_amount > options.operatingBalanceFen) throw new PayApiError(403, 'NOT_ENOUGH', '商户运营账户资金不足');
      const at = now();
      b = {
        mchid, appid: json.appid, out_bill_no: json.out_bill_no,
        transfer_bill_no: `1330${beijingTime(at).replace(/\D/g, '').slice(0, 8)}${digits(28)}`,
        transfer_scene_id: json.transfer_scene_id, openid: json.openid, transfer_amount: json.transfer_amount,
        transfer_remark: json.transfer_remark, notify_url: json.notify_url ?? null,
        user_recv_perception: json.user_recv_perception ?? null, infos: json.transfer_scene_report_infos, user_name: userName,
        request, state: options.initialState, fail_reason: undefined, createdAt: at, updatedAt: at,
        package_info: `ABBQO+oYAAABAAAAAAB${crypto.randomBytes(48).toString('base64')}`, calls: 0,
      };
      bills.set(b.out_bill_no, b);
    }
    b.calls += 1;
    await delayed('POST /v3/fund-app/mch-transfer/transfer-bills');
    const answer = { out_bill_no: b.out_bill_no, transfer_bill_no: b.transfer_bill_no, create_time: beijingTime(b.createdAt), state: b.state };
    if (b.state === 'WAIT_USER_CONFIRM') answer.package_info = b.package_info;
    if (b.state === 'FAIL') answer.fail_reason = b.fail_reason;
    return { json: answer };
  }

  async function queryTransfer({ params }) {
    const b = current(params.no);
    await delayed('GET /v3/fund-app/mch-transfer/transfer-bills/out-bill-no/{no}');
    if (!b) throw new PayApiError(404, 'NOT_FOUND', '记录不存在');
    return { json: billView(b) };
  }

  async function cancelTransfer({ params }) {
    const b = current(params.no);
    if (!b) throw new PayApiError(404, 'NOT_FOUND', '记录不存在');
    if (b.state === 'CANCELLED' || b.state === 'CANCELING') {
      // a repeat
    } else if (['ACCEPTED', 'PROCESSING', 'WAIT_USER_CONFIRM'].includes(b.state)) {
      if (options.cancelStaysCanceling) {
        b.state = 'CANCELING';
        b.updatedAt = now();
      } else {
        finish(b, 'CANCELLED', undefined);
      }
    } else {
      throw new PayApiError(400, 'INVALID_REQUEST', `单据状态为${b.state}，不允许撤销`);
    }
    await delayed('POST /v3/fund-app/mch-transfer/transfer-bills/out-bill-no/{no}/cancel');
    return { json: { out_bill_no: b.out_bill_no, transfer_bill_no: b.transfer_bill_no, state: b.state, update_time: beijingTime(b.updatedAt) } };
  }

  /** The member confirms receipt on WeChat's page: SUCCESS, and the notification goes out. */
  function confirm(no, { packageInfo } = {}) {
    const b = current(no);
    if (!b) throw new Error(`no transfer ${no}`);
    if (packageInfo !== undefined && packageInfo !== b.package_info) throw new Error('package_info does not match');
    if (!['WAIT_USER_CONFIRM', 'TRANSFERING'].includes(b.state)) throw new Error(`transfer ${no} is ${b.state}`);
    return finish(b, 'SUCCESS', undefined);
  }

  function fakeConfirm({ json }) {
    const no = typeof json?.out_bill_no === 'string' ? json.out_bill_no
      : [...bills.values()].find((b) => b.package_info === json?.package_info)?.out_bill_no;
    if (!no) throw new ctx.WechatApiError(40097, 'no such transfer');
    try {
      const delivery = confirm(no);
      return Promise.resolve(delivery).then(() => ({ json: { out_bill_no: no, state: bills.get(no).state } }));
    } catch (err) {
      throw new ctx.WechatApiError(40097, err.message);
    }
  }

  // ------------------------------------------------------------ trade bills
  /** The trade bill (ALL) of a Beijing day, built from this fake's payments and refunds. */
  function billText(day) {
    const records = [];
    for (const t of trades.values()) {
      if (!t.transaction_id || !t.successTimeMs) continue;
      const o = billOverrides.get(t.out_trade_no) ?? {};
      const total = o.amount ?? t.amount.total;
      if (beijingDay(o.successTimeMs ?? t.successTimeMs) === day) {
        records.push({ at: o.successTimeMs ?? t.successTimeMs, fields: [beijingClock(o.successTimeMs ?? t.successTimeMs), t.appid, t.mchid, '0', '',
          t.transaction_id, t.out_trade_no, t.payer.openid, 'JSAPI', 'SUCCESS', 'OTHERS', 'CNY', yuan(total), '0.00', '0', '0',
          '0.00', '0.00', '', '', t.description ?? '', t.attach ?? '', feeText(total), '0.60%', yuan(total), '0.00', ''], pay: total, refund: 0, fee: total });
      }
      for (const r of t.refunds ?? []) {
        const when = r.successTimeMs ?? r.createdAtMs;
        if (!when || beijingDay(when) !== day) continue;
        const amount = r.amount?.refund ?? r.amount;
        const status = r.status ?? 'SUCCESS';
        records.push({ at: when, fields: [beijingClock(when), t.appid, t.mchid, '0', '', t.transaction_id, t.out_trade_no, t.payer.openid,
          'JSAPI', 'REFUND', 'OTHERS', 'CNY', '0.00', '0.00', r.refund_id, r.out_refund_no, yuan(amount), '0.00', 'ORIGINAL', status,
          t.description ?? '', t.attach ?? '', feeText(-amount), '0.60%', '0.00', yuan(amount), ''], pay: 0, refund: amount, fee: -amount });
      }
    }
    for (const x of extraLines) if (x.day === day) records.push(x.record);
    records.sort((a, b) => a.at - b.at);
    if (records.length === 0) return null;
    const sum = (k) => records.reduce((n, r) => n + r[k], 0);
    const lines = [BILL_HEADER, ...records.map((r) => r.fields.map((f) => `\`${f}`).join(',')), BILL_SUMMARY_HEADER,
      [String(records.length), yuan(sum('pay')), yuan(sum('refund')), '0.00', feeText(sum('fee')), yuan(sum('pay')), yuan(sum('refund'))]
        .map((f) => `\`${f}`).join(',')];
    return `${lines.join('\r\n')}\r\n`;
  }

  async function tradeBill({ query }) {
    const day = query.bill_date;
    if (typeof day !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(Date.parse(`${day}T00:00:00+08:00`))) {
      throw new PayApiError(400, 'PARAM_ERROR', '参数错误: bill_date 应为 yyyy-MM-DD', { field: 'bill_date', location: 'query', issue: 'format' });
    }
    const type = query.bill_type ?? 'ALL';
    if (type !== 'ALL') throw new PayApiError(400, 'PARAM_ERROR', '参数错误: 本模拟仅提供 bill_type=ALL');
    if (query.tar_type !== undefined) throw new PayApiError(400, 'PARAM_ERROR', '参数错误: 本模拟不提供压缩账单（tar_type）');
    const today = beijingDay(now());
    if (day >= today) throw new PayApiError(400, 'STATEMENT_CREATING', '账单生成中，请在次日上午10点后下载');
    if (Date.parse(`${day}T00:00:00+08:00`) < now() - 92 * 86400_000) {
      throw new PayApiError(400, 'PARAM_ERROR', '参数错误: 仅支持三个月内的账单');
    }
    const text = billText(day);
    if (text === null) throw new PayApiError(400, 'NO_STATEMENT_EXIST', '账单文件不存在');
    const bytes = Buffer.from(text, 'utf8');
    const hash = crypto.createHash('sha1').update(bytes).digest('hex');
    const tamper = tampers.get(day);
    const token = crypto.randomBytes(24).toString('base64url');
    downloads.set(token, { body: tamper ? Buffer.from(tamper(text), 'utf8') : bytes, expiresAt: now() + DOWNLOAD_TTL_MS });
    await delayed('GET /v3/bill/tradebill');
    return { json: { hash_type: 'SHA1', hash_value: hash, download_url: `${ctx.baseUrl()}/v3/billdownload/file?token=${token}` } };
  }

  function download({ query }) {
    const d = downloads.get(query.token ?? '');
    if (!d || now() >= d.expiresAt) throw new PayApiError(400, 'INVALID_REQUEST', '下载链接无效或已过期');
    return { raw: d.body, type: 'text/plain; charset=utf-8' };
  }

  const T = '/v3/fund-app/mch-transfer/transfer-bills';
  const routes = [
    ['POST', /^\/v3\/fund-app\/mch-transfer\/transfer-bills$/, `POST ${T}`, createTransfer],
    ['GET', /^\/v3\/fund-app\/mch-transfer\/transfer-bills\/out-bill-no\/([^/]+)$/, `GET ${T}/out-bill-no/{no}`, queryTransfer],
    ['POST', /^\/v3\/fund-app\/mch-transfer\/transfer-bills\/out-bill-no\/([^/]+)\/cancel$/, `POST ${T}/out-bill-no/{no}/cancel`, cancelTransfer],
    ['GET', /^\/v3\/bill\/tradebill$/, 'GET /v3/bill/tradebill', tradeBill],
    ['GET', /^\/v3\/billdownload\/file$/, 'GET /v3/billdownload/file', download],
  ];

  const api = {
    options,
    /** The bill as the query shows it, plus what only the fake knows (decrypted user_name, calls, package_info). */
    bill(no) {
      const b = current(no);
      return b && { ...billView(b), user_name: b.user_name, calls: b.calls, package_info: b.package_info, infos: b.infos,
        transfer_scene_id: b.transfer_scene_id, user_recv_perception: b.user_recv_perception };
    },
    bills: () => [...bills.keys()],
    confirm,
    /** The member opened the confirmation page (TRANSFERING: it can be opened again). */
    open(no) {
      const b = current(no);
      if (b?.state !== 'WAIT_USER_CONFIRM') throw new Error(`transfer ${no} is ${b?.state}`);
      b.state = 'TRANSFERING';
      b.updatedAt = now();
    },
    /** WeChat fails the transfer (e.g. 'ACCOUNT_FROZEN'), returning the money: FAIL is notified. */
    fail(no, reason = 'ACCOUNT_FROZEN') {
      const b = current(no);
      if (!b || FINAL.has(b.state)) throw new Error(`transfer ${no} is ${b?.state}`);
      return finish(b, 'FAIL', reason);
    },
    /** Sets a state without a notification (e.g. 'PROCESSING' for a stuck one, or a CANCELING that completes). */
    setState(no, state, reason) {
      const b = bills.get(no);
      if (!b) throw new Error(`no transfer ${no}`);
      b.state = state;
      b.fail_reason = reason;
      b.updatedAt = now();
    },
    /** Sends the final notification of a bill again (or for the first time, after setState). */
    notify: (no) => notify(bills.get(no)),
    /** The next calls of a route answer `ms` late, after the work is done (a time-out on our side). */
    delayNext(route, ms) {
      if (!routes.some(([, , name]) => name === route)) throw new Error(`unknown route ${route}`);
      delays.set(route, [...(delays.get(route) ?? []), ms]);
    },
    /** Notifications kept back while options.holdNotifications is true. */
    held,
    /** Sends the held notifications (in the given order of indexes, default as held) and forgets them. */
    async release(order) {
      const list = (order ?? held.map((_, i) => i)).map((i) => held[i]);
      held.length = 0;
      const out = [];
      for (const n of list) out.push(await ctx.deliver(n.url, n.body, n.resource));
      return out;
    },
    /** The bill of a day shows this trade with other values ({amount, successTimeMs}). */
    overrideBill(outTradeNo, values) {
      billOverrides.set(outTradeNo, values);
    },
    /** Adds a payment this fake never saw to a day's bill (a trade missing on our side). */
    addBillPayment(day, { outTradeNo, transactionId = `4200${digits(24)}`, amountFen, openid = 'oFOREIGN', at = Date.parse(`${day}T12:00:00+08:00`) }) {
      extraLines.push({ day, record: { at, pay: amountFen, refund: 0, fee: amountFen, fields: [beijingClock(at), appid, mchid, '0', '',
        transactionId, outTradeNo, openid, 'JSAPI', 'SUCCESS', 'OTHERS', 'CNY', yuan(amountFen), '0.00', '0', '0', '0.00', '0.00', '', '',
        '其他商品', '', feeText(amountFen), '0.60%', yuan(amountFen), '0.00', ''] } });
      return transactionId;
    },
    /** The download of a day's bill returns other bytes than the hash was made from. */
    tamperBill(day, fn) {
      tampers.set(day, fn);
    },
    /** Moves the payment and refund times of the last `recentMs` back by ms (so "yesterday's" bill has today's trades). */
    backdate(ms, recentMs = 3600_000) {
      const shift = (at) => (at && at > now() - recentMs ? at - ms : at);
      for (const t of trades.values()) {
        t.successTimeMs = shift(t.successTimeMs);
        for (const r of t.refunds ?? []) {
          r.successTimeMs = shift(r.successTimeMs);
          r.createdAtMs = shift(r.createdAtMs);
        }
      }
    },
    billText,
  };
  return { routes, fakeRoutes: { 'POST /__fake__/transfer/confirm': fakeConfirm }, api };
}

module.exports = { installPayouts, SCENES };
