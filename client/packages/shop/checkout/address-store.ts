import Taro from '@tarojs/taro'
import type { AddressFields } from '@/lib/checkout'
import { isWeapp } from '@/services/env'

/** The last delivery address used, remembered on this device (Taro storage). */
const KEY = 'rebate.delivery-address'

export function rememberedAddress(): AddressFields | null {
  try {
    const saved = Taro.getStorageSync(KEY) as Partial<AddressFields> | ''
    if (!saved || typeof saved !== 'object') return null
    const { name, phone, region, detail } = saved
    if ([name, phone, region, detail].some((v) => typeof v !== 'string')) return null
    return { name: name as string, phone: phone as string, region: region as string, detail: detail as string }
  } catch {
    return null
  }
}

export function rememberAddress(a: AddressFields): void {
  Taro.setStorageSync(KEY, a)
}

/** WeChat's own address book (Taro.chooseAddress); null when the member closes it. */
export async function chooseWechatAddress(): Promise<AddressFields | null> {
  if (!isWeapp) return null
  try {
    const r = await Taro.chooseAddress()
    return {
      name: r.userName,
      phone: r.telNumber,
      region: [r.provinceName, r.cityName, r.countyName].filter(Boolean).join(' '),
      detail: r.detailInfo,
    }
  } catch {
    return null
  }
}
