import Taro, { useRouter } from '@tarojs/taro'
import { useCallback, useRef, useState } from 'react'
import { useSignedInLoad, type SignedInLoad } from '@/hooks/use-signed-in-load'
import { userMessage } from '@/hooks/user-message'
import { TAB, routes } from '@/lib/routes'
import { merchantFormProblem, normalizeLicence, normalizePhone, type MerchantForm } from '@/lib/merchant-form'
import { buildScene, parseScene, type Scene } from '@/lib/scene'
import { ApiError } from '@/services/errors'
import {
  BIND_REFUSALS,
  MERCHANT_INVITE_REFUSALS,
  bindReferrer,
  fetchMerchantInviteInfo,
  submitMerchantApplication,
  type BindResult,
  type MerchantApplication,
  type MerchantInviteInfo,
} from '@/services/referral'

/** What the scanned code led to, once the member is signed in. */
export type JoinData =
  | { kind: 'invite'; code: string; result: BindResult }
  /** the backend refused the binding (already bound elsewhere, own code, a cycle): its Chinese text */
  | { kind: 'refused'; code: string; reason: string; message: string }
  /** a valid 招商码 (checked before the form shows): whose it is and my latest application */
  | { kind: 'merchant'; code: string; info: MerchantInviteInfo }
  | { kind: 'invalid' }

export type { MerchantForm }

export type ApplyState = { kind: 'idle' } | { kind: 'submitting' } | { kind: 'done'; application: MerchantApplication } | { kind: 'failed'; message: string }

export interface JoinPage extends SignedInLoad<JoinData> {
  scene: Scene
  form: MerchantForm
  setField: (field: keyof MerchantForm, value: string) => void
  formProblem: string | null
  apply: ApplyState
  submitApplication: () => Promise<void>
  /** after an approved or rejected application: fill in a new one */
  applyAgain: () => void
  /** the form is shown (no application, or applyAgain after a decided one) */
  formOpen: boolean
  goHome: () => void
  goMyStore: () => void
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
      try {
        bound.current = bound.current ?? (await bindReferrer(s.code))
      } catch (error) {
        // A refusal is an answer to show (its Chinese text), not a failure to retry.
        if (error instanceof ApiError && BIND_REFUSALS.has(error.code)) {
          return { kind: 'refused', code: s.code, reason: error.code, message: error.message }
        }
        throw error
      }
      return { kind: 'invite', code: s.code, result: bound.current }
    }
    if (s.kind === 'merchant') {
      try {
        return { kind: 'merchant', code: s.code, info: await fetchMerchantInviteInfo(s.code) }
      } catch (error) {
        if (error instanceof ApiError && MERCHANT_INVITE_REFUSALS.has(error.code)) {
          return { kind: 'refused', code: s.code, reason: error.code, message: error.message }
        }
        throw error
      }
    }
    if (s.kind === 'cashier') {
      void Taro.redirectTo({ url: routes.cashier(buildScene('cashier', s.code)) })
      return { kind: 'invalid' }
    }
    return { kind: 'invalid' }
  }, [rawScene])
  const page = useSignedInLoad(load)
  const [form, setForm] = useState<MerchantForm>({
    storeName: '',
    contactName: '',
    contactPhone: '',
    address: '',
    licenceNo: '',
  })
  const [apply, setApply] = useState<ApplyState>({ kind: 'idle' })
  const [again, setAgain] = useState(false)
  const formProblem = merchantFormProblem(form)
  const data = page.state.kind === 'ready' ? page.state.data : null
  const formOpen = data?.kind === 'merchant' && (data.info.latest_application === null || (again && data.info.latest_application.status !== 'pending'))

  const submitApplication = useCallback(async (): Promise<void> => {
    if (scene.kind !== 'merchant' || formProblem !== null || apply.kind === 'submitting') return
    setApply({ kind: 'submitting' })
    try {
      const application = await submitMerchantApplication({
        inviteCode: scene.code,
        storeName: form.storeName.trim(),
        contactName: form.contactName.trim(),
        contactPhone: normalizePhone(form.contactPhone),
        address: form.address.trim(),
        licenceNo: normalizeLicence(form.licenceNo),
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
    formOpen,
    applyAgain: () => {
      const last = data?.kind === 'merchant' ? data.info.latest_application : null
      // a rejected application's details come back to correct; an approved one's only the contact
      if (last) {
        setForm({
          storeName: last.status === 'rejected' ? last.store_name : '',
          contactName: last.contact_name,
          contactPhone: last.contact_phone,
          address: last.status === 'rejected' ? last.address : '',
          licenceNo: last.status === 'rejected' ? last.licence_no : '',
        })
      }
      setAgain(true)
    },
    goHome: () => void Taro.switchTab({ url: TAB.queue }),
    goMyStore: () => void Taro.navigateTo({ url: routes.myStore() }),
  }
}
