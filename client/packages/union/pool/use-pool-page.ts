import Taro, { usePullDownRefresh } from '@tarojs/taro'
import { useSignedInLoad, type SignedInLoad } from '@/hooks/use-signed-in-load'
import { fetchUnionPoolDays, type UnionPoolDay } from '@/services/union'

/** 分红池: the union pool of the last 30 days paid out (SPEC §13.8). */
export function usePoolPage(): SignedInLoad<UnionPoolDay[]> {
  const page = useSignedInLoad(fetchUnionPoolDays)
  usePullDownRefresh(() => {
    void page.reload().finally(() => Taro.stopPullDownRefresh())
  })
  return page
}
