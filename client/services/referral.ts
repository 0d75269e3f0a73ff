import { invokeFunction, rpc, type Composite, type Filled, type Refine } from './api'

/** public.my_invite() → public.invite_details: my invite codes (scenes i=…, m=…), referrer and team. */
export type MyInvite = Refine<
  Filled<Composite<'invite_details'>, 'referrer_nickname' | 'merchant_invite_code' | 'merchant_scene' | 'merchant_page'>,
  {
    referrer: Filled<Composite<'invite_referrer'>, 'nickname_masked'> | null
    team_level: Filled<Composite<'invite_team_level'>> | null
  }
>

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

/** public.bind_referrer → public.referrer_binding */
export type BindResult = Filled<Composite<'referrer_binding'>, 'referrer_nickname_masked' | 'referrer_nickname' | 'bound_at' | 'source'>

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

/** public.submit_merchant_application → public.merchant_application_details */
export type MerchantApplication = Refine<
  Filled<Composite<'merchant_application_details'>, 'reject_reason' | 'store_id' | 'decided_at'>,
  { status: 'pending' | 'approved' | 'rejected' }
>

export async function fetchMyInvite(): Promise<MyInvite> {
  return rpc('my_invite') as Promise<MyInvite>
}

export function fetchInviteQrCode(kind: QrKind): Promise<InviteQrCode> {
  return invokeFunction<InviteQrCode>('invite-qrcode', { kind })
}

/** source: 'scan' (a scanned code, the join page) or 'share' (a shared page or timeline post carrying ?inv=) */
export function bindReferrer(inviteCode: string, source: 'scan' | 'share' = 'scan'): Promise<BindResult> {
  return rpc('bind_referrer', { p_invite_code: inviteCode, p_source: source }) as Promise<BindResult>
}

export function submitMerchantApplication(input: MerchantApplicationInput): Promise<MerchantApplication> {
  return rpc('submit_merchant_application', {
    p_invite_code: input.inviteCode,
    p_store_name: input.storeName,
    p_contact_name: input.contactName,
    p_contact_phone: input.contactPhone,
    p_address: input.address,
    p_licence_no: input.licenceNo,
  }) as Promise<MerchantApplication>
}

/** public.merchant_invite_info (jsonb): whose 招商码 this is, and my latest application (any status). */
export interface MerchantInviteInfo {
  invite_code: string
  /** a platform code (no recruiter) */
  platform: boolean
  recruiter_nickname_masked: string | null
  /** the application under review, if any */
  pending_application: MerchantApplication | null
  /** my latest application, whatever its status: a re-scanned code shows where it stands */
  latest_application: MerchantApplication | null
}

/** Refusals of merchant_invite_info that are answers (shown as a card), not failures. */
export const MERCHANT_INVITE_REFUSALS: ReadonlySet<string> = new Set(['invalid_merchant_invite', 'self_invite'])

export function fetchMerchantInviteInfo(inviteCode: string): Promise<MerchantInviteInfo> {
  return rpc('merchant_invite_info', { p_invite_code: inviteCode }) as unknown as Promise<MerchantInviteInfo>
}
