import { Image, Text, View } from '@tarojs/components'
import { Button } from '@/components/nut/button'
import { Tabs } from '@/components/nut/tabs'
import PageState, { ErrorState } from '@/components/PageState'
import type { MyInvite, QrKind } from '@/services/referral'
import { useInvitePage, type InvitePage } from './use-invite-page'
import './index.scss'

/** 邀请好友 (and 邀请商家 for promoters) */
export default function InvitePageView() {
  const page = useInvitePage()
  return (
    <View className='invite-page' data-testid='invite-page'>
      <PageState state={page.state} login={page.login} onRetry={() => void page.reload(true)}>
        {(invite) => <Invite page={page} invite={invite} />}
      </PageState>
    </View>
  )
}

/** NutUI's Button passes open-type through to the native button; its types do not list it. */
const SHARE = { openType: 'share' } as Record<string, unknown>

function Invite({ page, invite }: { page: InvitePage; invite: MyInvite }) {
  const merchant = page.kind === 'merchant'
  return (
    <View>
      {invite.can_invite_merchants && invite.merchant_invite_code && (
        <Tabs value={page.kind} onChange={(v) => page.setKind(v as QrKind)}>
          <Tabs.TabPane title='邀请好友' value='member' />
          <Tabs.TabPane title='邀请商家' value='merchant' />
        </Tabs>
      )}
      <View className='invite-page__card'>
        <Text className='invite-page__title'>{merchant ? '邀请商家入驻' : '邀请好友一起排队返利'}</Text>
        <Text className='invite-page__muted'>
          {merchant ? '商家扫码后填写入驻申请，审核通过后你将获得招商奖励' : '好友扫码登录后成为你的直推会员，消费后你可获得推荐奖励'}
        </Text>
        <View className='invite-page__qr'>
          {page.qr.kind === 'loading' && <Text className='invite-page__muted'>二维码生成中…</Text>}
          {page.qr.kind === 'error' && <ErrorState message={page.qr.message} onRetry={page.retryQr} />}
          {page.qr.kind === 'ready' && (
            <Image
              className='invite-page__image'
              src={`data:${page.qr.code.mime};base64,${page.qr.code.image_base64}`}
              mode='aspectFit'
              showMenuByLongpress
              data-testid='invite-qr'
            />
          )}
        </View>
        <Text className='invite-page__code'>
          {merchant ? '招商码' : '我的邀请码'}{' '}
          <Text data-testid='invite-code'>{merchant ? invite.merchant_invite_code : invite.invite_code}</Text>
        </Text>
        {!merchant && (
          <Text className='invite-page__muted' data-testid='invited-count'>
            已邀请 {invite.invited_count} 人{invite.referrer_nickname ? ` · 我的推荐人 ${invite.referrer_nickname}` : ''}
          </Text>
        )}
      </View>
      <View className='invite-page__actions'>
        <Button type='primary' block data-testid='open-poster' onClick={page.openPoster}>
          生成分享海报
        </Button>
        <Button block disabled={page.qr.kind !== 'ready'} loading={page.saving} data-testid='save-qr' onClick={() => void page.save()}>
          保存二维码
        </Button>
        {page.canShare ? (
          <Button block {...SHARE} data-testid='share'>
            分享给微信好友
          </Button>
        ) : (
          <Button block data-testid='copy-link' onClick={() => void page.copyLink()}>
            复制邀请链接
          </Button>
        )}
      </View>
    </View>
  )
}
