import Taro from '@tarojs/taro'
import { rpc, type RpcArgs, type RpcName } from './api'
import type { SubscribeMoment } from './subscribe-types'

/**
 * Subscribe messages (订阅消息, SPEC §12, docs/messages.md).
 *
 * Mini-program: at the moments SPEC §12 names, askSubscribe(moment) shows WeChat's
 * wx.requestSubscribeMessage for the templates the platform configured for that moment and
 * records the member's answer (each 'accept' allows one message). WeChat shows the popup only
 * from a tap or a payment callback, so callers call it there. On H5 (and when nothing is
 * configured) it does nothing and records nothing. It never throws: a refused popup must not
 * stop a payment or a withdrawal.
 * The console's calls are in console-messages.ts (no Taro there).
 */
export type { SubscribeMoment }

function rpcJson<T, F extends RpcName = RpcName>(fn: F, args?: RpcArgs<F>): Promise<T> {
  const call = rpc as unknown as (name: F, a: RpcArgs<F> | Record<string, never>) => Promise<unknown>
  return call(fn, args ?? {}) as Promise<T>
}

interface SubscribeTemplate { key: string; title: string; template_id: string }

/** Whether this build can show WeChat's subscribe popup (the mini-program only). */
export const canSubscribe = (): boolean => process.env.TARO_ENV === 'weapp' && typeof Taro.requestSubscribeMessage === 'function'

/** Template ids per moment, loaded ahead: the popup must open in the tap itself, with no request before it. */
const templateIds: Partial<Record<SubscribeMoment, string[]>> = {}

/** Loads the moment's configured template ids (call when the page opens, or before paying). */
export async function prefetchSubscribe(moment: SubscribeMoment): Promise<void> {
  if (!canSubscribe()) return
  try {
    const templates = await rpcJson<SubscribeTemplate[]>('subscribe_templates', { p_moment: moment })
    templateIds[moment] = templates.map((t) => t.template_id).slice(0, 3)
  } catch {
    // offline or signed out: asked next time
  }
}

/**
 * Shows the popup for the moment's templates (call it synchronously in a tap or the payment
 * callback) and records the answer; resolves with how many were accepted (0 on H5, when nothing
 * is configured or loaded yet, or when the member declines).
 */
export function askSubscribe(moment: SubscribeMoment): Promise<number> {
  const tmplIds = templateIds[moment]
  if (!canSubscribe() || !tmplIds || tmplIds.length === 0) {
    void prefetchSubscribe(moment)
    return Promise.resolve(0)
  }
  let asked: Promise<unknown>
  try {
    asked = Taro.requestSubscribeMessage({ tmplIds } as Parameters<typeof Taro.requestSubscribeMessage>[0])
  } catch {
    return Promise.resolve(0)
  }
  return asked.then(async (answer) => {
    const res = answer as Record<string, unknown>
    const results: Record<string, string> = {}
    for (const id of tmplIds) {
      const v = res[id]
      if (v === 'accept' || v === 'reject' || v === 'ban' || v === 'filter') results[id] = v
    }
    if (Object.keys(results).length === 0) return 0
    const recorded = await rpcJson<{ accepted: number }>('record_subscriptions', { p_results: results })
    return recorded.accepted
  }).catch(() => 0)   // cancelled, not supported, offline: the in-app message list still has everything
}
