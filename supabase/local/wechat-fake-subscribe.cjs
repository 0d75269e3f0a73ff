// The fake WeChat's subscribe messages (WECHAT-NOTES §4): POST /cgi-bin/message/subscribe/send.
// Wired into wechat-fake.cjs (its routes and its `subscribe` API); kept apart to keep that file small.
//
// Models: registered templates (unknown id → 40037) with their keywords; a counter per openid and
// template ('accept' adds one, each successful send uses one, none left → 43101); WeChat's value
// limits by keyword prefix (47003 "argument invalid! data.<key>.value invalid"); touser (40003),
// page (41030), miniprogram_state and lang (47003). Test hooks: accept, remaining, addTemplate,
// delayNext (the next send answers late), and every call with its answer in `calls`.
'use strict';
const { randomBytes } = require('node:crypto');

const OPENID = /^[A-Za-z0-9_-]{1,64}$/;
const TEMPLATE_ID = /^[A-Za-z0-9_-]{1,128}$/;
const STATES = new Set(['developer', 'trial', 'formal']);
const LANGS = new Set(['zh_CN', 'en_US', 'zh_HK', 'zh_TW']);
const chars = (s) => Array.from(s).length;
const CJK = /^[\u4e00-\u9fff]+$/u;
const DATE = String.raw`\d{4}[-/年]\d{1,2}[-/月]\d{1,2}日?`;
const CLOCK = String.raw`\d{1,2}:\d{2}(:\d{2})?`;
const TIME_ONE = new RegExp(String.raw`^(${DATE}( ${CLOCK})?|${CLOCK})$`);
const DATE_ONE = new RegExp(`^${DATE}$`);
const range = (one) => (v) => v.split('~').length <= 2 && v.split('~').every((p) => one.test(p.trim()));

/** WeChat's value rules by keyword prefix [S15]; true when the value is acceptable. */
const RULES = {
  thing: (v) => chars(v) <= 20,
  number: (v) => /^[0-9]+(\.[0-9]+)?$/.test(v) && v.replace('.', '').length <= 32,
  letter: (v) => /^[A-Za-z]{1,32}$/.test(v),
  symbol: (v) => chars(v) <= 5 && /^[\p{P}\p{S}]+$/u.test(v),
  character_string: (v) => /^[\x21-\x7e]{1,32}$/.test(v),
  time: range(TIME_ONE),
  date: range(DATE_ONE),
  amount: (v) => /^[¥￥$]?[0-9]{1,10}(\.[0-9]{1,2})?元?$/.test(v) && v.replace(/[^0-9]/g, '').length <= 10,
  phone_number: (v) => chars(v) <= 17 && /^[0-9+\- ]+$/.test(v),
  car_number: (v) => chars(v) <= 8,
  name: (v) => (CJK.test(v) ? chars(v) <= 10 : /^[A-Za-z ]{1,20}$/.test(v)),
  phrase: (v) => CJK.test(v) && chars(v) <= 5,
};
const prefixOf = (key) => /^([a-z_]+?)\d+$/.exec(key)?.[1];

/**
 * @param {{ now: () => number, checkAccessToken: (token: string) => void,
 *           WechatApiError: new (errcode: number, errmsg?: string) => Error }} deps
 */
function createSubscribeFake({ now, checkAccessToken, WechatApiError }) {
  /** template id → its keywords (e.g. ['thing1', 'amount2']) */
  const templates = new Map();
  /** `${openid} ${templateId}` → sends left */
  const counts = new Map();
  const sent = [];
  const calls = [];
  const delays = [];
  const countKey = (openid, templateId) => `${openid} ${templateId}`;

  const invalid = (what) => new WechatApiError(47003, `argument invalid! ${what} invalid`);

  async function send({ query, json }) {
    const call = { at: now(), body: json, errcode: 0 };
    calls.push(call);
    const delay = delays.shift();
    if (delay) await new Promise((resolve) => setTimeout(resolve, delay));
    try {
      checkAccessToken(query.access_token);
      if (json === undefined) throw new WechatApiError(47001, 'data format error');
      const { touser, template_id: templateId, page, data, miniprogram_state: state = 'formal', lang = 'zh_CN' } = json;
      if (typeof touser !== 'string' || !OPENID.test(touser)) throw new WechatApiError(40003, 'invalid openid');
      if (typeof templateId !== 'string' || !TEMPLATE_ID.test(templateId) || !templates.has(templateId)) {
        throw new WechatApiError(40037, 'invalid template_id');
      }
      if (page !== undefined && (typeof page !== 'string' || page.startsWith('/') || !/^[A-Za-z0-9_/-]{1,128}(\?.{0,512})?$/.test(page))) {
        throw new WechatApiError(41030, 'invalid page');
      }
      if (!STATES.has(state)) throw invalid('miniprogram_state');
      if (!LANGS.has(lang)) throw invalid('lang');
      if (typeof data !== 'object' || data === null || Array.isArray(data)) throw invalid('data');
      for (const key of templates.get(templateId)) {
        const value = data[key]?.value;
        if (typeof value !== 'string' || value === '') throw invalid(`data.${key}.value`);
        const rule = RULES[prefixOf(key)];
        if (!rule || !rule(value)) throw invalid(`data.${key}.value`);
      }
      const k = countKey(touser, templateId);
      const left = counts.get(k) ?? 0;
      if (left <= 0) throw new WechatApiError(43101, 'user refuse to accept the msg');
      counts.set(k, left - 1);
      const msgid = String(BigInt(`0x${randomBytes(8).toString('hex')}`) % 9000000000000000000n + 1000000000000000000n);
      sent.push({ at: now(), touser, template_id: templateId, page, data, miniprogram_state: state, lang, msgid });
      // a 64-bit number, written as WeChat writes it (JSON.parse in a client rounds it: read the digits)
      return { type: 'application/json; encoding=utf-8', body: `{"errcode":0,"errmsg":"ok","msgid":${msgid}}` };
    } catch (err) {
      call.errcode = err.errcode ?? -1;
      throw err;
    }
  }

  function fakeAccept({ json }) {
    const { openid, template_id: templateId, times = 1 } = json ?? {};
    if (typeof openid !== 'string' || typeof templateId !== 'string') throw new WechatApiError(40097, 'openid and template_id required');
    api.accept(openid, templateId, Number(times));
    return { json: { remaining: api.remaining(openid, templateId) } };
  }

  const api = {
    /** Registers a template (what the mini-program's admin chose) with its keywords. */
    addTemplate(templateId, keys) {
      if (!TEMPLATE_ID.test(templateId)) throw new Error(`bad template id ${templateId}`);
      for (const k of keys) if (!RULES[prefixOf(k)]) throw new Error(`unknown keyword kind ${k}`);
      templates.set(templateId, [...keys]);
    },
    /** The user tapped 'accept' `times` times (wx.requestSubscribeMessage). */
    accept(openid, templateId, times = 1) {
      const k = countKey(openid, templateId);
      counts.set(k, (counts.get(k) ?? 0) + times);
    },
    /** The user turned subscriptions off: nothing left. */
    revoke(openid, templateId) {
      counts.delete(countKey(openid, templateId));
    },
    remaining: (openid, templateId) => counts.get(countKey(openid, templateId)) ?? 0,
    /** The next send (each call queues one) answers only after `ms`. */
    delayNext(ms) {
      delays.push(ms);
    },
    /** Every message WeChat accepted. */
    sent,
    /** Every send request, with the errcode it got (0: sent). */
    calls,
    /** Value rules by keyword prefix, for tests. */
    valid: (key, value) => Boolean(RULES[prefixOf(key)]?.(value)),
  };

  return {
    routes: { 'POST /cgi-bin/message/subscribe/send': send, 'POST /__fake__/subscribe': fakeAccept },
    api,
  };
}

module.exports = { createSubscribeFake };
