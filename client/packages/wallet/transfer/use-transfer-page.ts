import Taro from '@tarojs/taro'
import { useCallback, useState } from 'react'
import { useSignedInLoad, type SignedInLoad } from '@/hooks/use-signed-in-load'
import { userMessage } from '@/hooks/user-message'
import { routes } from '@/lib/routes'
import { fetchMyProfile, type MemberProfile } from '@/services/member'
import { fetchMyWallet, fetchTransferRecipient, transferPoints, type PointsTransfer, type TransferRecipient, type Wallet } from '@/services/wallet'

export interface TransferData {
  wallet: Wallet
  profile: MemberProfile
}

export type SubmitState =
  | { kind: 'idle' }
  /** asking the backend who the member code belongs to */
  | { kind: 'checking' }
  /** the confirmation names the recipient (masked nickname and member code) */
  | { kind: 'confirming'; recipient: TransferRecipient; points: number }
  | { kind: 'submitting' }
  | { kind: 'done'; result: PointsTransfer }
  | { kind: 'failed'; message: string }

export interface TransferPage extends SignedInLoad<TransferData> {
  code: string
  setCode: (code: string) => void
  points: string
  setPoints: (points: string) => void
  /** why the form cannot be sent yet (Chinese), or null */
  invalid: string | null
  submit: SubmitState
  askConfirm: () => Promise<void>
  cancelConfirm: () => void
  confirm: () => Promise<void>
  again: () => void
  openWallet: () => void
}

const MEMBER_CODE = /^[A-Z0-9]{8}$/

/** Validates the transfer form; null when it may be sent. */
export function transferProblem(code: string, points: string, balance: number, myCode: string): string | null {
  if (!MEMBER_CODE.test(code)) return '请输入对方的 8 位会员码'
  if (code === myCode) return '不能转赠给自己'
  if (/[.,。]/.test(points)) return '积分只能是整数，不能有小数点'
  if (!/^\d{1,12}$/.test(points) || Number(points) <= 0) return '请输入要转赠的积分（正整数）'
  if (Number(points) > balance) return '积分不足'
  return null
}

/** 积分转赠: send points to another member by member code (public.transfer_points). */
export function useTransferPage(): TransferPage {
  const load = useCallback(async (): Promise<TransferData> => {
    const [wallet, profile] = await Promise.all([fetchMyWallet(), fetchMyProfile()])
    return { wallet, profile }
  }, [])
  const page = useSignedInLoad(load)
  const [code, setCodeState] = useState('')
  const [points, setPointsState] = useState('')
  const [submit, setSubmit] = useState<SubmitState>({ kind: 'idle' })

  const data = page.state.kind === 'ready' ? page.state.data : null
  const invalid = data ? transferProblem(code, points, Number(data.wallet.points), data.profile.member_code) : '加载中'

  const confirm = useCallback(async (): Promise<void> => {
    if (submit.kind !== 'confirming') return
    const { recipient, points: amount } = submit
    const to = recipient.member_code
    setSubmit({ kind: 'submitting' })
    try {
      const result = await transferPoints(to, amount)
      setSubmit({ kind: 'done', result })
      page.update((d) => ({ ...d, wallet: { ...d.wallet, points: result.balance_after } }))
    } catch (error) {
      setSubmit({ kind: 'failed', message: userMessage(error) })
    }
  }, [submit, page])

  return {
    ...page,
    code,
    setCode: (value) => setCodeState(value.trim().toUpperCase()),
    points,
    setPoints: (value) => setPointsState(value.trim()),
    invalid,
    submit,
    askConfirm: async () => {
      if (invalid !== null || submit.kind === 'checking' || submit.kind === 'submitting') return
      const amount = Number(points)
      setSubmit({ kind: 'checking' })
      try {
        setSubmit({ kind: 'confirming', recipient: await fetchTransferRecipient(code), points: amount })
      } catch (error) {
        setSubmit({ kind: 'failed', message: userMessage(error) })
      }
    },
    cancelConfirm: () => setSubmit({ kind: 'idle' }),
    confirm,
    again: () => {
      setCodeState('')
      setPointsState('')
      setSubmit({ kind: 'idle' })
    },
    openWallet: () => void Taro.redirectTo({ url: routes.wallet() }),
  }
}
