export interface WechatFakeOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  appid: string;
  secret: string;
  /** Pages of the "published version", for check_path; the first is the home page. */
  pages?: string[];
}

export interface WechatFake {
  url: string;
  /** The code wx.login() would give this user: valid 5 minutes, usable once. */
  issueCode(openid: string, unionid?: string): string;
  /** Makes the next call of e.g. 'GET /sns/jscode2session' answer this WeChat error. */
  failNext(route: string, errcode: number, errmsg?: string): void;
  /** Moves the fake's clock forward (code and token expiry). */
  advanceTime(ms: number): void;
  stop(): Promise<void>;
}

export function startWechatFake(options: WechatFakeOptions): Promise<WechatFake>;
