import Taro, { usePullDownRefresh, useReachBottom } from '@tarojs/taro'
import { useCallback, useRef, useState } from 'react'
import { firstPage, useLoadMore, type Paged } from '@/hooks/use-paged'
import { useSignedInLoad, type SignedInLoad } from '@/hooks/use-signed-in-load'
import {
  fetchMyRewards,
  fetchMyTeam,
  fetchRecruitedMerchants,
  fetchTeamSummary,
  type RecruitedMerchant,
  type Reward,
  type TeamMember,
  type TeamSummary,
} from '@/services/team'

const PAGE = 20

/** 直推 / 间推 (invite records, newest first) / 佣金明细 / 招商商家 (merchants recruited with my 招商码) */
export type TeamTab = 'direct' | 'indirect' | 'rewards' | 'merchants'

const TAB_VALUES: readonly TeamTab[] = ['direct', 'indirect', 'rewards', 'merchants']

export type TeamList =
  | { kind: 'members'; list: Paged<TeamMember> }
  | { kind: 'rewards'; list: Paged<Reward> }
  | { kind: 'merchants'; list: Paged<RecruitedMerchant> }

type TeamItem = TeamMember | Reward | RecruitedMerchant

/** Whether I recruit merchants (my team level may) or have recruited some: the 招商 tab and card show. */
export function recruits(summary: TeamSummary): boolean {
  return Boolean(summary.team_level?.can_recruit_merchants) || summary.rewards.merchant_recruit_fen > 0
}

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
  if (tab === 'merchants') return { kind: 'merchants', list: firstPage(await fetchRecruitedMerchants(before, PAGE), PAGE) }
  return { kind: 'members', list: firstPage(await fetchMyTeam(tab === 'direct' ? 1 : 2, before, PAGE), PAGE) }
}

/** 我的团队 (?tab=rewards for 佣金明细, ?tab=merchants for 招商商家): counts and earnings, my referees by depth, my rewards. */
export function useTeamPage(): TeamPage {
  const initial = Taro.getCurrentInstance().router?.params.tab
  const [tab, setTabState] = useState<TeamTab>(TAB_VALUES.find((t) => t === initial) ?? 'direct')
  const tabRef = useRef(tab)
  tabRef.current = tab
  const load = useCallback(async (): Promise<TeamData> => {
    const [summary, view] = await Promise.all([fetchTeamSummary(), listOf(tabRef.current, null)])
    return { summary, view }
  }, [])
  const page = useSignedInLoad(load)

  const stateRef = useRef(page.state)
  stateRef.current = page.state
  const loadMore = useLoadMore<TeamItem>(
    () => (stateRef.current.kind === 'ready' ? (stateRef.current.data.view.list as Paged<TeamItem>) : null),
    (change) => page.update((d) => ({ ...d, view: { ...d.view, list: change(d.view.list as Paged<TeamItem>) } as TeamList })),
    (last) =>
      'reward_id' in last
        ? fetchMyRewards(null, last.reward_id, PAGE)
        : 'application_id' in last
          ? fetchRecruitedMerchants(last.application_id, PAGE)
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
