import { Text, View } from '@tarojs/components'
import { Avatar } from '@/components/nut/avatar'
import { Button } from '@/components/nut/button'
import { Cell } from '@/components/nut/cell'
import PageState from '@/components/PageState'
import { formatFen, formatLove, formatPoints } from '@/lib/money'
import { MEMBER_LINKS, useMemberPage, type MemberData, type MemberPage } from './use-member-page'
import './index.scss'

/** 我的: profile, balances, links; login and logout. */
export default function MemberIndex() {
  const page = useMemberPage()
  return (
    <View className='member-page' data-testid='member-page'>
      <PageState state={page.state} login={page.login} onRetry={() => void page.reload(true)}>
        {(data) => <Profile page={page} data={data} />}
      </PageState>
    </View>
  )
}

function Profile({ page, data }: { page: MemberPage; data: MemberData }) {
  const { profile, wallet } = data
  return (
    <View data-testid='profile'>
      <View className='member-page__card'>
        <Avatar size='large' src={profile.avatar_url ?? ''} background='#fde2e2' color='#e4393c'>
          {profile.nickname ? profile.nickname.slice(0, 1) : '我'}
        </Avatar>
        <View className='member-page__who'>
          <Text className='member-page__name' data-testid='nickname'>
            {profile.nickname || '未设置'}
          </Text>
          <Text className='member-page__meta'>
            会员码 <Text data-testid='member-code'>{profile.member_code}</Text>
          </Text>
          <Text className='member-page__meta'>
            等级 <Text data-testid='level-name'>{profile.level_name || '暂无等级'}</Text>
          </Text>
        </View>
      </View>
      <View className='member-page__balances' onClick={() => page.go('/packages/wallet/index')}>
        <Balance label='返现' value={formatFen(wallet.cash_fen)} testId='balance-cash' />
        <Balance label='佣金' value={formatFen(wallet.commission_fen)} testId='balance-commission' />
        <Balance label='积分' value={formatPoints(wallet.points)} testId='balance-points' />
        <Balance label='爱心值' value={formatLove(wallet.love_fen)} testId='balance-love' />
      </View>
      <Cell.Group>
        {MEMBER_LINKS.filter((link) => !('ownersOnly' in link) || Number(profile.store_count) > 0).map((link) => (
          <Cell
            key={link.key}
            title={<Text data-testid={`link-${link.key}`}>{link.title}</Text>}
            clickable
            onClick={() => page.go(link.url)}
            extra='›'
          />
        ))}
      </Cell.Group>
      <View className='member-page__footer'>
        <Button block data-testid='logout' onClick={page.signOut}>
          退出登录
        </Button>
      </View>
    </View>
  )
}

function Balance({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <View className='member-page__balance'>
      <Text className='member-page__balance-value' data-testid={testId}>
        {value}
      </Text>
      <Text className='member-page__balance-label'>{label}</Text>
    </View>
  )
}
