import { rpc, type Composite, type Filled, type Refine } from './api'

/**
 * Exchange (兑换) of a waiting entry's remaining entitlement into points or love
 * value (SPEC §9): public.preview_exchange(p_entry_id, p_target) and
 * public.exchange_entry(p_entry_id, p_target), p_target 'points' | 'love'. Final: the entry
 * leaves the queue (已兑换).
 */
export type ExchangeTarget = 'points' | 'love'

type ExchangeAsset = 'points' | 'love' | 'love_frozen'

/** public.preview_exchange → public.exchange_preview: what would be credited (asset, amount in points or love fen). */
export type ExchangePreview = Refine<Filled<Composite<'exchange_preview'>>, { target: ExchangeTarget; asset: ExchangeAsset }>

/** public.exchange_entry → public.exchange_result: the exchange, and the credited asset's balance after it. */
export type ExchangeResult = Refine<
  Filled<Composite<'exchange_result'>>,
  { target: ExchangeTarget; asset: ExchangeAsset; status: 'exchanged'; entry_status: 'exchanged' }
>

export const TARGET_LABELS: Readonly<Record<ExchangeTarget, string>> = { points: '积分', love: '爱心值' }

export function previewExchange(entryId: number, target: ExchangeTarget): Promise<ExchangePreview> {
  return rpc('preview_exchange', { p_entry_id: entryId, p_target: target }) as Promise<ExchangePreview>
}

export function exchangeEntry(entryId: number, target: ExchangeTarget): Promise<ExchangeResult> {
  return rpc('exchange_entry', { p_entry_id: entryId, p_target: target }) as Promise<ExchangeResult>
}

/**
 * The same for a union entry (工会排队, SPEC §9 in union mode): its remaining quota (分红额度 −
 * 已返) → points or love value; public.preview_union_exchange / public.exchange_union_entry.
 */
export function previewUnionExchange(entryId: number, target: ExchangeTarget): Promise<ExchangePreview> {
  return rpc('preview_union_exchange', { p_entry_id: entryId, p_target: target }) as Promise<ExchangePreview>
}

export function exchangeUnionEntry(entryId: number, target: ExchangeTarget): Promise<ExchangeResult> {
  return rpc('exchange_union_entry', { p_entry_id: entryId, p_target: target }) as Promise<ExchangeResult>
}
