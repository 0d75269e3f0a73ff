import { invokeFunction } from './functions'
import { rpc } from './supabase'

/**
 * (assumed) Referral and merchant onboarding (SPEC §11):
 *   public.my_invite() → jsonb                                  my invite codes
 *   POST /functions/v1/invite-qrcode {kind}                     the code image
 *   public.bind_referrer(p_invite_code text) → jsonb            after scanning an invite
 *   public.submit_merchant_application(p_invite_code, p_store_name, p_contact_name,
 *                                      p_contact_phone, p_address) → jsonb
 */

export interface MyInvite {
  member_code: string
  /** the code an invite scene carries (i=<invite_code>) */
  invite_code: string
  /** the page scanned codes open */
  page: string
  /** promoters may invite merchants */
  is_promoter: boolean
  /** the merchant invite code (m=<code>), null unless a promoter */
  merchant_invite_code: string | null
  /** my referrer's masked nickname, null if none */
  referrer_nickname: string | null
  invited_count: number
}

export type QrKind = 'member' | 'merchant'

/**
 * What invite-qrcode returns: the image as base64 (a WeChat mini-program code where WeChat
 * is configured, a standard QR code encoding the same scene locally).
 */
export interface InviteQrCode {
  kind: QrKind
  scene: string
  page: string
  mime: 'image/png' | 'image/jpeg'
  image_base64: string
  /** true: a WeChat mini-program code; false: a plain QR code of the scene */
  wxacode: boolean
}

export interface BindResult {
  bound: boolean
  /** already bound before this call (to this referrer or another) */
  already_bound: boolean
  referrer_nickname: string | null
}

export interface MerchantApplicationInput {
  inviteCode: string
  storeName: string
  contactName: string
  contactPhone: string
  address: string
}

export interface MerchantApplication {
  application_id: number
  status: 'pending' | 'approved' | 'rejected'
  store_name: string
  created_at: string
}

export async function fetchMyInvite(): Promise<MyInvite> {
  return rpc<MyInvite>('my_invite')
}

export function fetchInviteQrCode(kind: QrKind): Promise<InviteQrCode> {
  return invokeFunction<InviteQrCode>('invite-qrcode', { kind })
}

export function bindReferrer(inviteCode: string): Promise<BindResult> {
  return rpc<BindResult>('bind_referrer', { p_invite_code: inviteCode })
}

export function submitMerchantApplication(input: MerchantApplicationInput): Promise<MerchantApplication> {
  return rpc<MerchantApplication>('submit_merchant_application', {
    p_invite_code: input.inviteCode,
    p_store_name: input.storeName,
    p_contact_name: input.contactName,
    p_contact_phone: input.contactPhone,
    p_address: input.address,
  })
}
