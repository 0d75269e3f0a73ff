import Taro from '@tarojs/taro'
import { useCallback } from 'react'
import { useSignedInLoad, type SignedInLoad } from '@/hooks/use-signed-in-load'
import { routes } from '@/lib/routes'
import { fetchMyProfile, type MemberProfile } from '@/services/member'
import { fetchMyWallet, type Wallet } from '@/services/wallet'

export interface MemberData {
  profile: MemberProfile
  wallet: Wallet
}

export interface MemberPage extends SignedInLoad<MemberData> {
  go: (url: string) => void
}

/** 我的: who I am, my balances at a glance, and the way to every personal page. */
export function useMemberPage(): MemberPage {
  const load = useCallback(async (): Promise<MemberData> => {
    const [profile, wallet] = await Promise.all([fetchMyProfile(), fetchMyWallet()])
    return { profile, wallet }
  }, [])
  const page = useSignedInLoad(load)
  return { ...page, go: (url) => void Taro.navigateTo({ url }) }
}

export const MEMBER_LINKS = [
  { key: 'wallet', title: '我的钱包', url: routes.wallet() },
  { key: 'orders', title: '我的订单', url: routes.orders() },
  { key: 'invite', title: '邀请好友', url: routes.invite() },
  { key: 'team', title: '我的团队 / 佣金明细', url: routes.team() },
  { key: 'messages', title: '消息通知', url: routes.messages() },
  { key: 'cashier', title: '门店买单', url: routes.cashier() },
  { key: 'my-store', title: '我的门店', url: routes.myStore(), ownersOnly: true },
  { key: 'console-login', title: '扫码登录后台', url: routes.consoleLogin() },
] as const
