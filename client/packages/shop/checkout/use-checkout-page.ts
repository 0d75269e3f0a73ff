import Taro, { useRouter } from '@tarojs/taro'
import { useCallback, useEffect, useRef, useState } from 'react'
import { useSignedInLoad, type SignedInLoad } from '@/hooks/use-signed-in-load'
import { userMessage } from '@/hooks/user-message'
import { addressProblem, deductionFor, type AddressFields } from '@/lib/checkout'
import { idParam, routes } from '@/lib/routes'
import { findProduct, type Product } from '@/services/catalog'
import { isWeapp } from '@/services/env'
import { ApiError } from '@/services/errors'
import { createOrder, previewOrder, type OrderInput, type OrderPreview } from '@/services/orders'
import { payOrder } from '@/services/payment'
import { fetchMyWallet, type Wallet } from '@/services/wallet'
import { chooseWechatAddress, rememberAddress, rememberedAddress } from './address-store'

export const MAX_QUANTITY = 99

export interface CheckoutData {
  product: Product
  wallet: Wallet
}

export type PreviewState =
  | { kind: 'loading' }
  | { kind: 'ready'; key: string; preview: OrderPreview }
  | { kind: 'failed'; key: string; message: string }

export type SubmitState = { kind: 'idle' } | { kind: 'creating' } | { kind: 'paying' } | { kind: 'failed'; message: string }

export interface CheckoutPage extends SignedInLoad<CheckoutData> {
  quantity: number
  setQuantity: (q: number) => void
  /** store products are picked up or delivered by the store: the address is optional there */
  needsAddress: boolean
  address: AddressFields | null
  editingAddress: boolean
  draft: AddressFields
  setDraft: (field: keyof AddressFields, value: string) => void
  editAddress: () => void
  saveAddress: () => void
  draftProblem: string | null
  usePoints: boolean
  setUsePoints: (on: boolean) => void
  useLove: boolean
  setUseLove: (on: boolean) => void
  remark: string
  setRemark: (text: string) => void
  preview: PreviewState
  /** why 提交订单 is not possible yet (Chinese), or null */
  blocked: string | null
  submit: SubmitState
  placeOrder: () => Promise<void>
}

const EMPTY: AddressFields = { name: '', phone: '', region: '', detail: '' }

/**
 * 确认订单 (?product_id=&quantity=[&store_id=]): quantity, delivery address (WeChat's address
 * book, or a remembered form on H5), 积分 / 爱心值 deduction with the exact preview_order result,
 * remark; then create_order and pay.
 */
export function useCheckoutPage(): CheckoutPage {
  const params = useRouter().params
  const productId = idParam(params.product_id)
  const storeId = idParam(params.store_id)
  const [quantity, setQuantityState] = useState(() => Math.min(MAX_QUANTITY, Math.max(1, Number(params.quantity) || 1)))
  const [address, setAddress] = useState<AddressFields | null>(() => rememberedAddress())
  const [editingAddress, setEditing] = useState(false)
  const [draft, setDraftState] = useState<AddressFields>(EMPTY)
  const [usePoints, setUsePoints] = useState(false)
  const [useLove, setUseLove] = useState(false)
  const [remark, setRemark] = useState('')
  const [preview, setPreview] = useState<PreviewState>({ kind: 'loading' })
  const [submit, setSubmit] = useState<SubmitState>({ kind: 'idle' })

  const load = useCallback(async (): Promise<CheckoutData> => {
    if (productId === null) throw new ApiError('product_not_found', '商品不存在', 0)
    const [product, wallet] = await Promise.all([findProduct(productId, storeId), fetchMyWallet()])
    if (!product) throw new ApiError('product_not_found', '商品不存在或已下架', 0)
    return { product, wallet }
  }, [productId, storeId])
  const page = useSignedInLoad(load)
  const data = page.state.kind === 'ready' ? page.state.data : null
  const channel: 'mall' | 'store' = data?.product.kind === 'store' ? 'store' : 'mall'
  const needsAddress = channel === 'mall'

  // the body create_order gets, and the preview asked for it (the address does not change terms)
  const deduction = data
    ? deductionFor(Number(data.product.price_fen) * quantity, Number(data.wallet.points), Number(data.wallet.love_fen), usePoints, useLove)
    : { points_fen: 0, love_fen: 0 }
  const body = (): OrderInput | null => {
    if (!data) return null
    const lines = [{ product_id: data.product.id, quantity }]
    const base = { lines, points_fen: deduction.points_fen, love_fen: deduction.love_fen }
    return channel === 'store' ? { channel: 'store', store_id: data.product.store_id ?? undefined, ...base } : { channel: 'mall', ...base }
  }
  const key = data ? `${data.product.id}:${quantity}:${deduction.points_fen}:${deduction.love_fen}` : ''

  const seq = useRef(0)
  useEffect(() => {
    const input = body()
    if (!input) return
    const mine = ++seq.current
    setPreview({ kind: 'loading' })
    previewOrder(input).then(
      (p) => mine === seq.current && setPreview({ kind: 'ready', key, preview: p }),
      (error: unknown) => mine === seq.current && setPreview({ kind: 'failed', key, message: userMessage(error) }),
    )
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key])

  const draftProblem = addressProblem(draft)
  let blocked: string | null = null
  if (!data) blocked = '加载中'
  else if (needsAddress && addressProblem(address)) blocked = '请填写收货地址'
  else if (editingAddress) blocked = '请先保存收货地址'
  else if (preview.kind !== 'ready' || preview.key !== key) blocked = preview.kind === 'failed' ? preview.message : '正在计算'
  else if (remark.trim().length > 100) blocked = '备注最多 100 个字'

  const placeOrder = useCallback(async (): Promise<void> => {
    const input = body()
    if (!input || blocked !== null || submit.kind === 'creating' || submit.kind === 'paying') return
    const full: OrderInput = { ...input, ...(address && !addressProblem(address) ? { address } : {}), ...(remark.trim() ? { remark: remark.trim() } : {}) }
    setSubmit({ kind: 'creating' })
    let order
    try {
      order = await createOrder(full)
    } catch (error) {
      setSubmit({ kind: 'failed', message: userMessage(error) })
      return
    }
    setSubmit({ kind: 'paying' })
    try {
      const paid = await payOrder(order)
      setSubmit({ kind: 'idle' })
      void Taro.redirectTo({ url: routes.order(paid.order_id, true) })
    } catch (error) {
      // the order exists, unpaid: its page offers paying again or cancelling
      setSubmit({ kind: 'idle' })
      void Taro.showToast({ title: userMessage(error), icon: 'none' })
      void Taro.redirectTo({ url: routes.order(order.order_id) })
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [blocked, submit.kind, address, remark, key])

  return {
    ...page,
    quantity,
    setQuantity: (q) => setQuantityState(Math.min(MAX_QUANTITY, Math.max(1, Math.floor(q) || 1))),
    needsAddress,
    address,
    editingAddress,
    draft,
    setDraft: (field, value) => setDraftState((d) => ({ ...d, [field]: value })),
    editAddress: () => {
      if (isWeapp) {
        void chooseWechatAddress().then((a) => {
          if (a) {
            setAddress(a)
            rememberAddress(a)
          }
        })
        return
      }
      setDraftState(address ?? EMPTY)
      setEditing(true)
    },
    saveAddress: () => {
      if (draftProblem) return
      const a = { name: draft.name.trim(), phone: draft.phone.replace(/\s/g, ''), region: draft.region.trim(), detail: draft.detail.trim() }
      setAddress(a)
      rememberAddress(a)
      setEditing(false)
    },
    draftProblem,
    usePoints,
    setUsePoints,
    useLove,
    setUseLove,
    remark,
    setRemark,
    preview,
    blocked,
    submit,
    placeOrder,
  }
}
