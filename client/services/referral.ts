import { invokeFunction, rpcJson } from './api'

/**
 * Referral and merchant onboarding (SPEC §11, docs/referral.md):
 *   public.my_invite() → jsonb                                  my invite codes
 *   POST /functions/v1/invite-qrcode {kind}                     the code image
 *   public.bind_referrer(p_invite_code, p_source) → jsonb       after scanning an invite
 *   public.submit_merchant_application(p_invite_code, p_store_name, p_contact_name,
 *                                      p_contact_phone, p_address, p_licence_no) → jsonb
 */

export interface MyInvite {
  member_code: string
  /** the code an invite scene carries (i=<invite_code>) */
  invite_code: string
  /** the scene of my invite code (i=<invite_code>) */
  scene: string
  /** the page scanned codes open */
  page: string
  /** my referrer, null if none */
  referrer: { nickname_masked: string | null; bound_at: string } | null
  /** my referrer's masked nickname, null if none */
  referrer_nickname: string | null
  team_level: { id: number; name: string; diff_bps: number; shareholder: boolean } | null
  is_promoter: boolean
  /** my team level may recruit merchants (or I am an admin) */
  can_invite_merchants: boolean
  /** the merchant invite code (m=<code>), null unless I may invite merchants */
  merchant_invite_code: string | null
  merchant_scene: string | null
  merchant_page: string | null
  invited_count: number
  indirect_count: number
}

export type QrKind = 'member' | 'merchant'

/**
 * What invite-qrcode returns: the image as base64 (a WeChat mini-program code where WeChat
 * is configured, a standard QR code encoding the same scene otherwise).
 */
export interface InviteQrCode {
  kind: QrKind
  scene: string
  page: string
  mime: 'image/png' | 'image/jpeg'
  image_base64: string
  /** true: a WeChat mini-program code; false: a plain QR code of the scene */
  wxacode: boolean
  /** served from the server's image cache */
  cached: boolean
}

export interface BindResult {
  bound: boolean
  /** already bound to this referrer before this call */
  already_bound: boolean
  /** the referrer's masked nickname */
  referrer_nickname_masked: string | null
  bound_at: string | null
  source: string | null
}

/** Refusals of bind_referrer that are answers, not failures (the ApiError carries the Chinese text). */
export const BIND_REFUSALS: ReadonlySet<string> = new Set(['already_bound', 'self_referral', 'referral_cycle', 'invalid_invite_code'])

export interface MerchantApplicationInput {
  inviteCode: string
  storeName: string
  contactName: string
  contactPhone: string
  address: string
  /** 营业执照号 / 统一社会信用代码: 15 or 18 of [0-9A-Z] */
  licenceNo: string
}

export interface MerchantApplication {
  application_id: number
  status: 'pending' | 'approved' | 'rejected'
  status_label: string
  store_name: string
  contact_name: string
  contact_phone: string
  address: string
  licence_no: string
  invite_code: string
  platform_invite: boolean
  reject_reason: string | null
  store_id: number | null
  created_at: string
  decided_at: string | null
}

export async function fetchMyInvite(): Promise<MyInvite> {
  return rpcJson<MyInvite>('my_invite')
}

export function fetchInviteQrCode(kind: QrKind): Promise<InviteQrCode> {
  return invokeFunction<InviteQrCode>('invite-qrcode', { kind })
}

export function bindReferrer(inviteCode: string): Promise<BindResult> {
  return rpcJson<BindResult>('bind_referrer', { p_invite_code: inviteCode, p_source: 'scan' })
}

export function submitMerchantApplication(input: MerchantApplicationInput): Promise<MerchantApplication> {
  return rpcJson<MerchantApplication>('submit_merchant_application', {
    p_invite_code: input.inviteCode,
    p_store_name: input.storeName,
    p_contact_name: input.contactName,
    p_contact_phone: input.contactPhone,
    p_address: input.address,
    p_licence_no: input.licenceNo,
  })
}
