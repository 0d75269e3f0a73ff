import type { SubscribeFake } from './wechat-fake-subscribe.cjs';
import type { KeyObject } from 'node:crypto';
import type { WechatPayoutsFake } from './wechat-fake-payouts.cjs';

export interface WechatPayFakeOptions {
  /** Default '1900000001'. */
  mchid?: string;
  /** Serial of the merchant API certificate; default 40 random hex digits. */
  merchantSerialNo?: string;
  /** PEM of the merchant's public key; by default a key pair is generated (see `pay.merchantPrivateKeyPem`). */
  merchantPublicKey?: string;
  /** 32 bytes; default random. */
  apiV3Key?: string;
  /** Default 'PUB_KEY_ID_FAKE' (a WeChat Pay public key, not a platform certificate). */
  platformSerial?: string;
  /** Delays between notification attempts; WeChat's 15 s … 6 h schedule by default. */
  notifyRetryDelaysMs?: number[];
}

export interface WechatFakeOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  appid: string;
  secret: string;
  /** Pages of the "published version", for check_path; the first is the home page. */
  pages?: string[];
  pay?: WechatPayFakeOptions;
}

export interface NotificationAttempt {
  /** HTTP status the merchant answered; 0 when it could not be reached. */
  status: number;
  body: string;
  at: number;
}

export interface SentNotification {
  url: string;
  /** The exact JSON body sent. */
  body: string;
  /** The decrypted resource. */
  resource: Record<string, any>;
  attempts: NotificationAttempt[];
  /** true once the merchant answered 200/204; false when the retries ran out. */
  delivered: Promise<boolean>;
}

export interface SignOverride {
  timestamp?: number;
  nonce?: string;
  key?: KeyObject;
  serial?: string;
}

export interface WechatPayFake {
  mchid: string;
  appid: string;
  merchantSerialNo: string;
  apiV3Key: string;
  platformSerial: string;
  readonly merchantPrivateKeyPem: string | null;
  readonly merchantPublicKeyPem: string;
  readonly platformPublicKeyPem: string;
  readonly platformPrivateKey: KeyObject;
  /** WECHATPAY_* (and WECHAT_APPID) for the functions, pointing at this fake. */
  env(notifyUrl: string): Record<string, string | undefined>;
  trade(outTradeNo: string): (Record<string, any> & { prepay_ids: string[]; refunds: Array<Record<string, any>> }) | undefined;
  /** Makes the next call of e.g. 'POST /v3/pay/transactions/jsapi' answer this HTTP error. */
  failNext(route: string, status: number, code: string, message?: string): void;
  notifications: SentNotification[];
  /** Refunds made through POST /v3/refund/domestic/refunds (wechat-fake-refunds.cjs). */
  refunds: WechatRefundsFake;
  encryptResource(plain: string, associatedData: string): { algorithm: string; ciphertext: string; associated_data: string; nonce: string };
  sign(body: string, override?: SignOverride): Record<string, string>;
}

/** A refund notification not sent yet (held: lost, or delivered later out of order). */
export interface HeldNotification {
  url: string;
  body: string;
  resource: Record<string, any>;
}

export type RefundStatus = 'SUCCESS' | 'ABNORMAL' | 'CLOSED';

export interface WechatRefundsFake {
  /** 'auto' (default): a refund succeeds and notifies successDelayMs after it is made; 'manual': it waits for finish(). */
  mode: 'auto' | 'manual';
  successDelayMs: number;
  /** The merchant's available balance in fen: a refund beyond it is 403 NOT_ENOUGH. */
  balanceFen: number;
  /** The next refund made answers only after ms (it exists at WeChat; the caller times out). */
  delayNext(ms: number): void;
  /** The next refund made is answered at once in this state (no notification). */
  nextOutcome(status: RefundStatus): void;
  /** WeChat finishes a refund; notify false: nothing sent (lost); 'hold': returned unsent (see held, send). */
  finish(outRefundNo: string, status: RefundStatus, options?: { notify?: boolean | 'hold' }): Promise<SentNotification | HeldNotification>;
  /** Delivers a held notification, with WeChat's retries. */
  send(n: HeldNotification): Promise<SentNotification>;
  /** Posts a held notification once. */
  post(n: HeldNotification): Promise<NotificationAttempt>;
  held: HeldNotification[];
  /** The refund as GET …/refunds/{out_refund_no} shows it. */
  get(outRefundNo: string): Record<string, any> | undefined;
  all(): Array<Record<string, any>>;
  /** The user pays a prepaid trade and the notification is lost: returns the transaction_id. */
  payWithoutNotification(outTradeNo: string, options?: { racingClose?: boolean }): string;
}

export interface WechatFake {
  url: string;
  /** The code wx.login() would give this user: valid 5 minutes, usable once. */
  issueCode(openid: string, unionid?: string): string;
  /** Makes the next call of e.g. 'GET /sns/jscode2session' answer this WeChat error. */
  failNext(route: string, errcode: number, errmsg?: string): void;
  /** Moves the fake's clock forward (code and token expiry, time_expire, signature timestamps). */
  advanceTime(ms: number): void;
  /** Subscribe messages: templates, acceptances, what was sent. */
  subscribe: SubscribeFake;
  pay: WechatPayFake;
  /** Merchant transfers and trade bills (wechat-fake-payouts.cjs). */
  payouts: WechatPayoutsFake;
  /** The user pays a prepaid trade: TRANSACTION.SUCCESS is sent (resolves after the first attempt). */
  payOrder(outTradeNo: string): Promise<SentNotification>;
  /** A refund succeeds (everything left unless `refund` is given): REFUND.SUCCESS is sent. */
  refund(outTradeNo: string, options?: { refund?: number; outRefundNo?: string; notifyUrl?: string }): Promise<SentNotification>;
  /** One notification, no retries; `sign` forges the signature, `body` replaces the body. */
  sendNotification(url: string, options?: {
    eventType?: string; summary?: string; originalType?: string; associatedData?: string;
    resource?: Record<string, unknown>; body?: string; sign?: SignOverride;
  }): Promise<NotificationAttempt & { sent: string }>;
  /** Sends an earlier notification again, byte for byte. */
  resend(notification: SentNotification, sign?: SignOverride): Promise<NotificationAttempt>;
  stop(): Promise<void>;
}

export function startWechatFake(options: WechatFakeOptions): Promise<WechatFake>;
