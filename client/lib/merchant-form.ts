/** The merchant application form (商家入驻申请) and its checks, as the backend applies them. */
export interface MerchantForm {
  storeName: string
  contactName: string
  contactPhone: string
  address: string
  /** 营业执照号 / 统一社会信用代码 */
  licenceNo: string
}

const PHONE = /^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$/
const LICENCE = /^([0-9A-Z]{15}|[0-9A-Z]{18})$/

/** 营业执照号 as the backend stores it: no spaces, upper case. */
export function normalizeLicence(value: string): string {
  return value.replace(/\s+/g, '').toUpperCase()
}

/** A phone number without spaces. */
export function normalizePhone(value: string): string {
  return value.replace(/\s+/g, '')
}

/** What is still wrong with the form (Chinese), or null when it may be submitted. */
export function merchantFormProblem(form: MerchantForm): string | null {
  const storeName = form.storeName.trim()
  if (storeName === '') return '请填写门店名称'
  if ([...storeName].length > 40) return '门店名称最多 40 个字'
  const contact = form.contactName.trim()
  if (contact === '') return '请填写联系人'
  if ([...contact].length > 20) return '联系人最多 20 个字'
  if (!PHONE.test(normalizePhone(form.contactPhone))) return '请填写正确的手机号或座机号'
  const address = form.address.trim()
  if (address === '') return '请填写门店地址'
  if ([...address].length > 120) return '门店地址最多 120 个字'
  if (!LICENCE.test(normalizeLicence(form.licenceNo))) return '请填写 15 或 18 位营业执照号（统一社会信用代码）'
  return null
}
