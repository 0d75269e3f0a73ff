import Taro, { useRouter } from '@tarojs/taro'
import { useCallback, useEffect, useRef, useState } from 'react'
import { useSignedInLoad, type SignedInLoad } from '@/hooks/use-signed-in-load'
import { userMessage } from '@/hooks/user-message'
import { amountFenOf, deleteKey, pressKey } from '@/lib/amount-input'
import { bpsOf } from '@/lib/money'
import { TAB, idParam, routes } from '@/lib/routes'
import { parseScene, sceneFromScan } from '@/lib/scene'
import { findStoreByCashierCode, listStores, type Store } from '@/services/catalog'
import { isWeapp } from '@/services/env'
import { ApiError } from '@/services/errors'
import { createOrder, previewOrder, type Order, type OrderPreview } from '@/services/orders'
import { payOrder } from '@/services/payment'

export interface CashierData {
  /** the store whose cashier this is; null until one is scanned or chosen */
  store: Store | null
  /** stores to choose from when no code was scanned */
  stores: Store[]
}

/** The entitlement preview: the server's for an amount, or ours from its ratio meanwhile. */
export interface EntitlementPreview {
  /** the amount the figure is for */
  amountFen: number
  entitlementFen: bigint
  rewardBps: number
  ruleLabel: string | null
  /** true once the server's preview for exactly this amount has arrived */
  confirmed: boolean
  lottery: boolean
}

export type PayState = { kind: 'idle' } | { kind: 'paying' } | { kind: 'failed'; message: string } | { kind: 'done'; order: Order }

export interface CashierPage extends SignedInLoad<CashierData> {
  /** the store being paid (scanned, from the query, or chosen) */
  store: Store | null
  amountText: string
  amountFen: number | null
  keyboard: boolean
  showKeyboard: (visible: boolean) => void
  press: (key: string) => void
  backspace: () => void
  preview: EntitlementPreview | null
  /** the backend has no preview RPC (yet) */
  previewUnavailable: boolean
  pay: PayState
  submit: () => Promise<void>
  chooseStore: (store: Store) => void
  canScan: boolean
  scan: () => Promise<void>
  again: () => void
  openQueue: () => void
  openOrder: () => void
}

const PREVIEW_DELAY_MS = 350

/**
 * 收银台买单: the store comes from the scanned code (scene c=<cashier code> on launch, or
 * Taro.scanCode here), or is chosen from the list; the member types an amount on the
 * keypad, sees the entitlement, pays, and sees the new entry.
 */
export function useCashierPage(): CashierPage {
  const params = useRouter().params
  const rawScene = params.scene
  const storeIdParam = idParam(params.store_id)
  const [chosen, setChosen] = useState<Store | null>(null)

  const load = useCallback(async (): Promise<CashierData> => {
    const scene = parseScene(rawScene)
    if (scene.kind === 'cashier') {
      const store = await findStoreByCashierCode(scene.code)
      if (!store) throw new ApiError('cashier_not_found', '收银台不存在或已停用', 0)
      return { store, stores: [] }
    }
    if (rawScene) throw new ApiError('invalid_code', '这不是门店收银台的二维码', 0)
    const stores = await listStores()
    const store = storeIdParam !== null ? stores.find((s) => s.id === storeIdParam) ?? null : null
    if (storeIdParam !== null && !store) throw new ApiError('store_not_found', '门店不存在或未开通', 0)
    return { store, stores }
  }, [rawScene, storeIdParam])
  const page = useSignedInLoad(load)
  const store = chosen ?? (page.state.kind === 'ready' ? page.state.data.store : null)

  const [amountText, setAmountText] = useState('')
  const [keyboard, setKeyboard] = useState(true)
  const [pay, setPay] = useState<PayState>({ kind: 'idle' })
  const [preview, setPreview] = useState<EntitlementPreview | null>(null)
  const [previewUnavailable, setPreviewUnavailable] = useState(false)
  const amountFen = safeFen(amountText)

  // Our preview at once from the last known ratio; the server's for this amount shortly after.
  const lastServer = useRef<OrderPreview['lines'][number] | null>(null)
  useEffect(() => {
    if (!store || amountFen === null) {
      setPreview(null)
      return undefined
    }
    const known = lastServer.current
    if (known && known.reward_bps !== null) {
      setPreview({
        amountFen,
        entitlementFen: bpsOf(amountFen, known.reward_bps),
        rewardBps: known.reward_bps,
        ruleLabel: known.reward_rule_label,
        confirmed: false,
        lottery: known.lottery,
      })
    }
    if (previewUnavailable) return undefined
    let live = true
    const timer = setTimeout(() => {
      previewOrder({ channel: 'cashier', store_id: store.id, amount_fen: amountFen }).then(
        (result) => {
          if (!live) return
          const line = result?.lines[0] ?? null
          if (!result || !line) {
            setPreviewUnavailable(true)
            return
          }
          lastServer.current = line
          setPreview(
            line.earns && line.reward_bps !== null
              ? {
                  amountFen,
                  entitlementFen: BigInt(line.entitlement_fen),
                  rewardBps: line.reward_bps,
                  ruleLabel: line.reward_rule_label,
                  confirmed: true,
                  lottery: line.lottery,
                }
              : null,
          )
        },
        (error: unknown) => {
          // A failed preview leaves our own figure in place; paying still works.
          console.warn('cashier preview failed', error)
        },
      )
    }, PREVIEW_DELAY_MS)
    return () => {
      live = false
      clearTimeout(timer)
    }
  }, [store, amountFen, previewUnavailable])

  const submit = useCallback(async (): Promise<void> => {
    if (!store || amountFen === null || pay.kind === 'paying') return
    setKeyboard(false)
    setPay({ kind: 'paying' })
    try {
      const order = await createOrder({ channel: 'cashier', store_id: store.id, amount_fen: amountFen })
      try {
        setPay({ kind: 'done', order: await payOrder(order) })
      } catch (error) {
        setPay({ kind: 'failed', message: `${userMessage(error)}（订单已保存，可在“我的订单”中继续支付）` })
      }
    } catch (error) {
      setPay({ kind: 'failed', message: userMessage(error) })
    }
  }, [store, amountFen, pay.kind])

  const scan = useCallback(async (): Promise<void> => {
    let result: Taro.scanCode.SuccessCallbackResult
    try {
      result = await Taro.scanCode({ onlyFromCamera: false })
    } catch {
      return // the member closed the scanner
    }
    const scanned = sceneFromScan({ result: result.result, path: result.path })
    if (scanned.kind !== 'cashier') {
      void Taro.showToast({ title: '这不是门店收银台的二维码', icon: 'none' })
      return
    }
    try {
      const found = await findStoreByCashierCode(scanned.code)
      if (!found) {
        void Taro.showToast({ title: '收银台不存在或已停用', icon: 'none' })
        return
      }
      setChosen(found)
    } catch (error) {
      void Taro.showToast({ title: userMessage(error), icon: 'none' })
    }
  }, [])

  return {
    ...page,
    store,
    amountText,
    amountFen,
    keyboard,
    showKeyboard: setKeyboard,
    press: (key) => setAmountText((t) => pressKey(t, key)),
    backspace: () => setAmountText(deleteKey),
    preview: preview && preview.amountFen === amountFen ? preview : null,
    previewUnavailable,
    pay,
    submit,
    chooseStore: (s) => {
      lastServer.current = null
      setChosen(s)
    },
    canScan: isWeapp,
    scan,
    again: () => {
      setAmountText('')
      setPay({ kind: 'idle' })
      setKeyboard(true)
    },
    openQueue: () => void Taro.switchTab({ url: TAB.queue }),
    openOrder: () => {
      if (pay.kind === 'done') void Taro.navigateTo({ url: routes.order(pay.order.order_id) })
    },
  }
}

function safeFen(text: string): number | null {
  try {
    return amountFenOf(text)
  } catch {
    return null
  }
}
