import Taro, { usePullDownRefresh, useReachBottom } from '@tarojs/taro'
import { useCallback, useRef, useState } from 'react'
import { firstPage, useLoadMore, type Paged } from '@/hooks/use-paged'
import { useSignedInLoad, type SignedInLoad } from '@/hooks/use-signed-in-load'
import { fetchMyRewards, fetchMyTeam, fetchTeamSummary, type Reward, type TeamMember, type TeamSummary } from '@/services/team'

const PAGE = 20

/** 直推 / 间推 (invite records, newest first) / 佣金明细 */
export type TeamTab = 'direct' | 'indirect' | 'rewards'

export type TeamList = { kind: 'members'; list: Paged<TeamMember> } | { kind: 'rewards'; list: Paged<Reward> }

export interface TeamData {
  summary: TeamSummary
  view: TeamList
}

export interface TeamPage extends SignedInLoad<TeamData> {
  tab: TeamTab
  setTab: (tab: TeamTab) => void
  loadMore: () => Promise<void>
}

async function listOf(tab: TeamTab, before: number | null): Promise<TeamList> {
  if (tab === 'rewards') return { kind: 'rewards', list: firstPage(await fetchMyRewards(null, before, PAGE), PAGE) }
  return { kind: 'members', list: firstPage(await fetchMyTeam(tab === 'direct' ? 1 : 2, before, PAGE), PAGE) }
}

/** 我的团队 (?tab=rewards for 佣金明细): counts and earnings, my referees by depth, my rewards. */
export function useTeamPage(): TeamPage {
  const initial = Taro.getCurrentInstance().router?.params.tab
  const [tab, setTabState] = useState<TeamTab>(initial === 'rewards' || initial === 'indirect' ? initial : 'direct')
  const tabRef = useRef(tab)
  tabRef.current = tab
  const load = useCallback(async (): Promise<TeamData> => {
    const [summary, view] = await Promise.all([fetchTeamSummary(), listOf(tabRef.current, null)])
    return { summary, view }
  }, [])
  const page = useSignedInLoad(load)

  const stateRef = useRef(page.state)
  stateRef.current = page.state
  const loadMore = useLoadMore<TeamMember | Reward>(
    () => (stateRef.current.kind === 'ready' ? (stateRef.current.data.view.list as Paged<TeamMember | Reward>) : null),
    (change) => page.update((d) => ({ ...d, view: { ...d.view, list: change(d.view.list as Paged<TeamMember | Reward>) } as TeamList })),
    (last) =>
      'reward_id' in last
        ? fetchMyRewards(null, last.reward_id, PAGE)
        : fetchMyTeam(tabRef.current === 'indirect' ? 2 : 1, last.referral_id, PAGE),
    PAGE,
  )
  usePullDownRefresh(() => {
    void page.reload().finally(() => Taro.stopPullDownRefresh())
  })
  useReachBottom(() => void loadMore())

  return {
    ...page,
    tab,
    setTab: (next) => {
      if (next === tabRef.current) return
      tabRef.current = next
      setTabState(next)
      void page.reload(true)
    },
    loadMore,
  }
}
