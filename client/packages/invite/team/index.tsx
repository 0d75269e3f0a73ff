import { Text, View } from '@tarojs/components'
import LoadMore from '@/components/LoadMore'
import { Tabs } from '@/components/nut/tabs'
import PageState, { EmptyState } from '@/components/PageState'
import type { Paged } from '@/hooks/use-paged'
import { formatBps, formatFen } from '@/lib/money'
import { formatDateTime } from '@/lib/time'
import { REWARD_KIND_LABELS, type RecruitedMerchant, type Reward, type TeamMember } from '@/services/team'
import { recruits, useTeamPage, type TeamData, type TeamPage, type TeamTab } from './use-team-page'
import './index.scss'

const TABS: ReadonlyArray<{ value: TeamTab; label: string }> = [
  { value: 'direct', label: '直推成员' },
  { value: 'indirect', label: '间推成员' },
  { value: 'rewards', label: '佣金明细' },
  { value: 'merchants', label: '招商商家' },
]

/** 我的团队 */
export default function TeamPageView() {
  const page = useTeamPage()
  return (
    <View className='team-page' data-testid='team-page'>
      <PageState state={page.state} login={page.login} onRetry={() => void page.reload(true)}>
        {(data) => <Team page={page} data={data} />}
      </PageState>
    </View>
  )
}

function Team({ page, data }: { page: TeamPage; data: TeamData }) {
  const { summary, view } = data
  return (
    <View>
      <View className='team-page__head' data-testid='team-summary'>
        <View className='team-page__stat'>
          <Text className='team-page__value' data-testid='team-direct-count'>{String(summary.direct_count)}</Text>
          <Text className='team-page__label'>直推成员</Text>
        </View>
        <View className='team-page__stat'>
          <Text className='team-page__value' data-testid='team-indirect-count'>{String(summary.indirect_count)}</Text>
          <Text className='team-page__label'>间推成员</Text>
        </View>
        <View className='team-page__stat'>
          <Text className='team-page__value' data-testid='team-earned'>{formatFen(summary.rewards.total_fen)}</Text>
          <Text className='team-page__label'>累计佣金</Text>
        </View>
      </View>
      <View className='team-page__level'>
        <Text data-testid='team-level'>
          团队等级：{summary.team_level ? summary.team_level.name : '暂无'}
          {summary.team_level && summary.team_level.diff_bps > 0 ? `（级差 ${formatBps(summary.team_level.diff_bps)}）` : ''}
        </Text>
        <Text className='team-page__muted'>
          直推 {formatFen(summary.rewards.direct_fen)} · 间推 {formatFen(summary.rewards.indirect_fen)} · 级差{' '}
          {formatFen(summary.rewards.level_diff_fen)} · 招商 {formatFen(summary.rewards.merchant_recruit_fen)} · 分红{' '}
          {formatFen(summary.rewards.dividend_fen)}
        </Text>
      </View>
      <Tabs value={page.tab} onChange={(v) => page.setTab(v as TeamTab)}>
        {TABS.filter((t) => t.value !== 'merchants' || recruits(summary) || page.tab === 'merchants').map((t) => (
          <Tabs.TabPane key={t.value} title={t.label} value={t.value} />
        ))}
      </Tabs>
      {view.kind === 'members' ? (
        <Members list={view.list} indirect={page.tab === 'indirect'} onMore={() => void page.loadMore()} />
      ) : view.kind === 'merchants' ? (
        <Merchants list={view.list} totalFen={summary.rewards.merchant_recruit_fen} onMore={() => void page.loadMore()} />
      ) : (
        <Rewards list={view.list} onMore={() => void page.loadMore()} />
      )}
    </View>
  )
}

function Members({ list, indirect, onMore }: { list: Paged<TeamMember>; indirect: boolean; onMore: () => void }) {
  if (list.items.length === 0) return <EmptyState title='还没有成员' description='分享邀请码，好友扫码后即成为你的团队成员' />
  return (
    <View className='team-page__list' data-testid='team-list'>
      {list.items.map((m) => (
        <View key={m.referral_id} className='team-page__row' data-testid='team-member'>
          <View className='team-page__grow'>
            <Text data-testid='team-member-name'>
              {m.nickname_masked}
              {m.team_level_name ? ` · ${m.team_level_name}` : ''}
            </Text>
            <Text className='team-page__muted'>
              {formatDateTime(m.bound_at)} 加入{indirect && m.via_nickname_masked ? ` · 经 ${m.via_nickname_masked} 邀请` : ''}
            </Text>
          </View>
          <Text className='team-page__amount'>贡献 {formatFen(m.reward_fen)}</Text>
        </View>
      ))}
      <LoadMore list={list} onMore={onMore} />
    </View>
  )
}

function Rewards({ list, onMore }: { list: Paged<Reward>; onMore: () => void }) {
  if (list.items.length === 0) return <EmptyState title='暂无佣金' description='团队成员下单后，奖励会显示在这里' />
  return (
    <View className='team-page__list' data-testid='reward-list'>
      {list.items.map((r) => (
        <View key={r.reward_id} className='team-page__row' data-testid='reward-row'>
          <View className='team-page__grow'>
            <Text data-testid='reward-kind'>{REWARD_KIND_LABELS[r.kind] ?? r.kind_label}</Text>
            <Text className='team-page__muted'>
              {r.kind === 'dividend'
                ? `分红周期 ${r.period_key ?? ''}`
                : `订单 ${r.order_no_masked ?? ''}${r.source_nickname_masked ? ` · ${r.source_nickname_masked}` : ''}`}
            </Text>
            <Text className='team-page__muted'>
              {r.rule_label ? `${r.rule_label} · ` : ''}
              {r.rate_bps > 0 ? `${formatBps(r.rate_bps)} × ${formatFen(r.base_fen)}` : ''}
              {r.capped ? '（已封顶）' : ''} · {formatDateTime(r.created_at)}
            </Text>
          </View>
          <View className='team-page__right'>
            <Text className='team-page__amount' data-testid='reward-amount'>+{formatFen(r.amount_fen)}</Text>
            {r.status === 'reversed' && <Text className='team-page__reversed'>已退回 {formatFen(r.reversed_fen)}</Text>}
          </View>
        </View>
      ))}
      <LoadMore list={list} onMore={onMore} />
    </View>
  )
}

const STORE_STATUS_LABELS: Readonly<Record<string, string>> = { approved: '营业中', suspended: '已暂停', pending: '待开业' }

/** 招商商家: the merchants who applied with my 招商码, their application's state and the 招商奖励 each store paid me. */
function Merchants({ list, totalFen, onMore }: { list: Paged<RecruitedMerchant>; totalFen: number; onMore: () => void }) {
  if (list.items.length === 0) return <EmptyState title='还没有招商商家' description='商家扫描你的招商码提交入驻申请后，会显示在这里' />
  return (
    <View className='team-page__list' data-testid='merchant-list'>
      <View className='team-page__row'>
        <Text className='team-page__grow'>招商奖励合计</Text>
        <Text className='team-page__amount' data-testid='recruit-total'>{formatFen(totalFen)}</Text>
      </View>
      {list.items.map((m) => (
        <View key={m.application_id} className='team-page__row' data-testid='recruited-merchant'>
          <View className='team-page__grow'>
            <Text data-testid='recruited-name'>{m.store_name}</Text>
            <Text className='team-page__muted'>
              {m.applicant_nickname_masked} · {formatDateTime(m.applied_at)} 申请
            </Text>
            <Text className={`team-page__status team-page__status--${m.status}`} data-testid='recruited-status'>
              {m.status === 'approved' && m.store_status ? `${m.status_label} · ${STORE_STATUS_LABELS[m.store_status] ?? ''}` : m.status_label}
            </Text>
          </View>
          <View className='team-page__right'>
            <Text className='team-page__amount' data-testid='recruited-reward'>
              {m.status === 'approved' ? formatFen(m.reward_fen) : '—'}
            </Text>
            {m.status === 'approved' && <Text className='team-page__muted'>{String(m.reward_count)} 笔招商奖励</Text>}
          </View>
        </View>
      ))}
      <LoadMore list={list} onMore={onMore} />
    </View>
  )
}
