import { rpc, type RpcArgs, type RpcName } from './api'
import type { SubscribeMoment } from './subscribe-types'

/** The console's 消息推送 (docs/messages.md): subscribe-message stats, dead letters, retry, templates. */
function rpcJson<T, F extends RpcName = RpcName>(fn: F, args?: RpcArgs<F>): Promise<T> {
  const call = rpc as unknown as (name: F, a: RpcArgs<F> | Record<string, never>) => Promise<unknown>
  return call(fn, args ?? {}) as Promise<T>
}

export type PushStatus = 'pending' | 'sending' | 'sent' | 'skipped' | 'dead'

export interface PushTemplateStats {
  key: string
  title: string
  template_id: string | null
  kinds: string[]
  moments: SubscribeMoment[]
  fields: Record<string, string>
  page: string
  subscribers: number
  remaining: number
  sent: number
}

export interface PushStats {
  by_status: Record<PushStatus, number>
  sent_24h: number
  dead_24h: number
  templates: PushTemplateStats[]
}

export interface ConsolePush {
  id: number
  status: PushStatus
  member_code: string
  nickname_masked: string
  kind: string
  title: string
  template_id: string
  attempts: number
  last_errcode: number | null
  last_error: string | null
  next_attempt_at: string
  created_at: string
  updated_at: string
}

export const pushStats = (): Promise<PushStats> => rpcJson<PushStats>('admin_message_push_stats')
export const listPushes = (status: PushStatus, beforeId: number | null, limit = 20): Promise<ConsolePush[]> =>
  rpcJson<ConsolePush[]>('admin_list_message_pushes', { p_status: status, p_before_id: beforeId ?? undefined, p_limit: limit })
export const retryPush = (id: number) => rpcJson<{ id: number; status: PushStatus }>('admin_retry_message_push', { p_push_id: id })
export const setSubscribeTemplate = (key: string, templateId: string | null, fields?: Record<string, string>) =>
  rpcJson<{ key: string; template_id: string | null }>('admin_set_subscribe_template',
    { p_key: key, p_template_id: templateId ?? undefined, p_fields: fields ?? undefined } as never)
