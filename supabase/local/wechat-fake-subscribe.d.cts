export interface SubscribeSent {
  at: number;
  touser: string;
  template_id: string;
  page?: string;
  data: Record<string, { value: string }>;
  miniprogram_state: string;
  lang: string;
  msgid: string;
}

export interface SubscribeFake {
  addTemplate(templateId: string, keys: string[]): void;
  accept(openid: string, templateId: string, times?: number): void;
  revoke(openid: string, templateId: string): void;
  remaining(openid: string, templateId: string): number;
  delayNext(ms: number): void;
  sent: SubscribeSent[];
  calls: Array<{ at: number; body: any; errcode: number }>;
  valid(key: string, value: string): boolean;
}
