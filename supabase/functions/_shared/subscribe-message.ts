// Subscribe message contents (WECHAT-NOTES §4): a message row's facts → the template's
// keywords, each value fitted to WeChat's limit for its keyword kind (the prefix of the keyword:
// thing ≤ 20 characters, amount like 1.00元, time like 2026-12-03 15:01, phrase ≤ 5 Chinese
// characters, character_string ≤ 32 ASCII characters, number digits, …). WeChat refuses a value
// over its limit with 47003, so every value is cut to fit here. No Deno APIs: unit-testable.

/** A claimed push row (public.message_push_claim). */
export interface PushRow {
  push_id: number;
  message_id: number;
  attempt: number;
  openid: string | null;
  template_id: string;
  page: string | null;
  fields: Record<string, string> | null;
  kind: string;
  kind_label: string;
  title: string;
  body: string;
  amount_fen: number | null;
  order_no: string | null;
  created_at: string;
}

const chars = (s: string) => Array.from(s);

/** At most n characters; a cut text ends with … */
export function clip(s: string, n: number, ellipsis = '…'): string {
  const c = chars(s);
  if (c.length <= n) return s;
  return c.slice(0, Math.max(0, n - ellipsis.length)).join('') + ellipsis;
}

/** Fen as WeChat's amount keyword shows it: 1234 → "12.34元". */
export function amountText(fen: number | null): string {
  const f = Math.max(0, Math.trunc(fen ?? 0));
  return `${Math.floor(f / 100)}.${String(f % 100).padStart(2, '0')}元`;
}

/** Beijing time parts of an instant. */
function beijing(iso: string): { date: string; clock: string } {
  const d = new Date(new Date(iso).getTime() + 8 * 3600 * 1000).toISOString();
  return { date: d.slice(0, 10), clock: d.slice(11, 16) };
}

type Source = 'title' | 'body' | 'amount' | 'time' | 'kind_label' | 'order_no';

function sourceText(row: PushRow, source: Source): string {
  switch (source) {
    case 'title': return row.title;
    case 'body': return row.body;
    case 'amount': return amountText(row.amount_fen);
    case 'time': { const t = beijing(row.created_at); return `${t.date} ${t.clock}`; }
    case 'kind_label': return row.kind_label;
    case 'order_no': return row.order_no ?? '';
  }
  return '';
}

/** A value of keyword `key` (thing1, amount2, …) filled from `source`, within WeChat's limit. */
export function fieldValue(key: string, source: Source, row: PushRow): string {
  const kind = /^([a-z_]+?)\d+$/.exec(key)?.[1] ?? '';
  const text = sourceText(row, source).replace(/\s+/g, ' ').trim();
  switch (kind) {
    case 'thing': return clip(text, 20) || '-';
    case 'amount': return source === 'amount' ? text : amountText(0);
    case 'time': { const t = beijing(row.created_at); return `${t.date} ${t.clock}`; }
    case 'date': return beijing(row.created_at).date;
    case 'phrase': return clip(text.replace(/[^\u4e00-\u9fff]/gu, ''), 5, '') || '通知';
    case 'number': {
      if (source === 'amount') return (Math.max(0, row.amount_fen ?? 0) / 100).toFixed(2);
      return clip(text.replace(/[^0-9]/g, ''), 32, '') || '0';
    }
    case 'character_string': return clip(text.replace(/[^\x21-\x7e]/g, ''), 32, '') || '-';
    case 'letter': return clip(text.replace(/[^A-Za-z]/g, ''), 32, '') || 'A';
    case 'symbol': return clip(text.replace(/[^\p{P}\p{S}]/gu, ''), 5, '') || '-';
    case 'phone_number': return clip(text.replace(/[^0-9+\- ]/g, ''), 17, '') || '-';
    case 'car_number': return clip(text, 8, '') || '-';
    case 'name': return /^[\u4e00-\u9fff]+$/u.test(text) ? clip(text, 10, '') : clip(text.replace(/[^A-Za-z ]/g, ''), 20, '') || '-';
  }
  return clip(text, 20) || '-';
}

/** The `data` of /cgi-bin/message/subscribe/send for a claimed row. */
export function messageData(row: PushRow): Record<string, { value: string }> {
  const data: Record<string, { value: string }> = {};
  for (const [key, source] of Object.entries(row.fields ?? {})) data[key] = { value: fieldValue(key, source as Source, row) };
  return data;
}
