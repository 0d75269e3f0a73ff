import Taro, { useRouter } from '@tarojs/taro'
import { useCallback, useRef, useState } from 'react'
import { useSignedInLoad, type SignedInLoad } from '@/hooks/use-signed-in-load'
import { userMessage } from '@/hooks/user-message'
import { TAB, routes } from '@/lib/routes'
import { buildScene, parseScene, type Scene } from '@/lib/scene'
import { bindReferrer, submitMerchantApplication, type BindResult, type MerchantApplication } from '@/services/referral'

/** What the scanned code led to, once the member is signed in. */
export type JoinData =
  | { kind: 'invite'; code: string; result: BindResult }
  | { kind: 'merchant'; code: string }
  | { kind: 'invalid' }

export interface MerchantForm {
  storeName: string
  contactName: string
  contactPhone: string
  address: string
}

export type ApplyState = { kind: 'idle' } | { kind: 'submitting' } | { kind: 'done'; application: MerchantApplication } | { kind: 'failed'; message: string }

export interface JoinPage extends SignedInLoad<JoinData> {
  scene: Scene
  form: MerchantForm
  setField: (field: keyof MerchantForm, value: string) => void
  formProblem: string | null
  apply: ApplyState
  submitApplication: () => Promise<void>
  goHome: () => void
}

const PHONE = /^1\d{10}$/

export function merchantFormProblem(form: MerchantForm): string | null {
  if (form.storeName.trim().length < 2) return '请填写门店名称'
  if (form.contactName.trim() === '') return '请填写联系人'
  if (!PHONE.test(form.contactPhone.trim())) return '请填写 11 位手机号'
  if (form.address.trim() === '') return '请填写门店地址'
  return null
}

/**
 * The page a scanned code opens (scene i=… invite, m=… merchant invite, c=… cashier).
 * After login: an invite binds the referrer; a merchant invite opens the application form;
 * a cashier code goes to the cashier page.
 */
export function useJoinPage(): JoinPage {
  const rawScene = useRouter().params.scene
  const scene = parseScene(rawScene)
  // Binding is idempotent, but its answer changes after the first call ("already bound"):
  // keep the first answer for the life of the page.
  const bound = useRef<BindResult | null>(null)
  const load = useCallback(async (): Promise<JoinData> => {
    const s = parseScene(rawScene)
    if (s.kind === 'invite') {
      bound.current = bound.current ?? (await bindReferrer(s.code))
      return { kind: 'invite', code: s.code, result: bound.current }
    }
    if (s.kind === 'merchant') return { kind: 'merchant', code: s.code }
    if (s.kind === 'cashier') {
      void Taro.redirectTo({ url: routes.cashier(buildScene('cashier', s.code)) })
      return { kind: 'invalid' }
    }
    return { kind: 'invalid' }
  }, [rawScene])
  const page = useSignedInLoad(load)
  const [form, setForm] = useState<MerchantForm>({ storeName: '', contactName: '', contactPhone: '', address: '' })
  const [apply, setApply] = useState<ApplyState>({ kind: 'idle' })
  const formProblem = merchantFormProblem(form)

  const submitApplication = useCallback(async (): Promise<void> => {
    if (scene.kind !== 'merchant' || formProblem !== null || apply.kind === 'submitting') return
    setApply({ kind: 'submitting' })
    try {
      const application = await submitMerchantApplication({
        inviteCode: scene.code,
        storeName: form.storeName.trim(),
        contactName: form.contactName.trim(),
        contactPhone: form.contactPhone.trim(),
        address: form.address.trim(),
      })
      setApply({ kind: 'done', application })
    } catch (error) {
      setApply({ kind: 'failed', message: userMessage(error) })
    }
  }, [scene, formProblem, apply.kind, form])

  return {
    ...page,
    scene,
    form,
    setField: (field, value) => setForm((f) => ({ ...f, [field]: value })),
    formProblem,
    apply,
    submitApplication,
    goHome: () => void Taro.switchTab({ url: TAB.queue }),
  }
}
