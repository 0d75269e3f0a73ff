import { merchantFormProblem, normalizeLicence, normalizePhone, type MerchantForm } from '../../client/lib/merchant-form'

const ok: MerchantForm = {
  storeName: '街角面包',
  contactName: '王小明',
  contactPhone: '138 0013 8000',
  address: '上海市黄浦区中山东一路 1 号',
  licenceNo: '91310000ma1k3xyz7q',
}

describe('merchant application form (the backend checks of submit_merchant_application)', () => {
  it('accepts a complete form; phone and licence are normalised as the backend stores them', () => {
    expect(merchantFormProblem(ok)).toBeNull()
    expect(normalizePhone(ok.contactPhone)).toBe('13800138000')
    expect(normalizeLicence(' 91310000 ma1k3xyz7q ')).toBe('91310000MA1K3XYZ7Q')
    expect(merchantFormProblem({ ...ok, licenceNo: '110108000000016' })).toBeNull() // 15-character registration number
    expect(merchantFormProblem({ ...ok, contactPhone: '021-63211234' })).toBeNull()  // a landline
  })

  it.each<[Partial<MerchantForm>, RegExp]>([
    [{ storeName: ' ' }, /门店名称/],
    [{ storeName: '店'.repeat(41) }, /门店名称/],
    [{ contactName: '' }, /联系人/],
    [{ contactPhone: '12800138000' }, /手机号或座机号/],
    [{ address: '' }, /门店地址/],
    [{ licenceNo: '' }, /营业执照号/],
    [{ licenceNo: '91310000MA1K3' }, /营业执照号/],
    [{ licenceNo: '91310000MA1K3XYZ7Q9' }, /营业执照号/],
    [{ licenceNo: '91310000MA1K3XYZ-Q' }, /营业执照号/],
  ])('refuses %o in Chinese', (patch, message) => {
    expect(merchantFormProblem({ ...ok, ...patch })).toMatch(message)
  })
})
