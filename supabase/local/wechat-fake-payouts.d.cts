import type { SentNotification } from './wechat-fake.cjs';

/** The fake's merchant transfers (商家转账) and trade bills (交易账单): state changes and fault injection. */
export interface WechatPayoutsFake {
  options: {
    /** The state a new transfer bill starts in (default WAIT_USER_CONFIRM). */
    initialState: string;
    /** The operating account; a transfer above it is refused with 403 NOT_ENOUGH. */
    operatingBalanceFen: number;
    /** Keep final-state notifications back (see `held`, `release`). */
    holdNotifications: boolean;
    /** A cancel answers CANCELING and stays there (until setState / notify). */
    cancelStaysCanceling: boolean;
  };
  bill(outBillNo: string): (Record<string, any> & { state: string; user_name: string | null; calls: number; package_info: string }) | undefined;
  bills(): string[];
  confirm(outBillNo: string, options?: { packageInfo?: string }): Promise<SentNotification> | null;
  open(outBillNo: string): void;
  fail(outBillNo: string, reason?: string): Promise<SentNotification> | null;
  setState(outBillNo: string, state: string, reason?: string): void;
  notify(outBillNo: string): Promise<SentNotification> | null;
  delayNext(route: string, ms: number): void;
  held: Array<{ url: string; body: string; resource: Record<string, any> }>;
  release(order?: number[]): Promise<SentNotification[]>;
  overrideBill(outTradeNo: string, values: { amount?: number; successTimeMs?: number }): void;
  addBillPayment(day: string, line: { outTradeNo: string; transactionId?: string; amountFen: number; openid?: string; at?: number }): string;
  tamperBill(day: string, fn: (text: string) => string): void;
  backdate(ms: number, recentMs?: number): void;
  billText(day: string): string | null;
}

export const SCENES: Record<string, { name: string; perceptions: string[]; infos: string[] }>;
export function installPayouts(ctx: Record<string, unknown>): { routes: unknown[]; fakeRoutes: Record<string, unknown>; api: WechatPayoutsFake };
