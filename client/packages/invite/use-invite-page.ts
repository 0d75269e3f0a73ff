import Taro, { useRouter } from '@tarojs/taro'
import { useCallback, useEffect, useRef, useState } from 'react'
import { useInviteShare } from '@/hooks/use-invite-share'
import { useSignedInLoad, type SignedInLoad } from '@/hooks/use-signed-in-load'
import { userMessage } from '@/hooks/user-message'
import { routes } from '@/lib/routes'
import { buildScene, parseScene } from '@/lib/scene'
import { saveBase64Image } from '@/services/album'
import { isWeapp } from '@/services/env'
import { fetchInviteQrCode, fetchMyInvite, type InviteQrCode, type MyInvite, type QrKind } from '@/services/referral'

export type QrState = { kind: 'loading' } | { kind: 'error'; message: string } | { kind: 'ready'; code: InviteQrCode }

export interface InvitePage extends SignedInLoad<MyInvite> {
  kind: QrKind
  setKind: (kind: QrKind) => void
  qr: QrState
  retryQr: () => void
  save: () => Promise<void>
  saving: boolean
  /** WeChat shares through the page's share menu / an open-type="share" button */
  canShare: boolean
  copyLink: () => Promise<void>
  /** 分享海报: the poster page for the code shown */
  openPoster: () => void
}

/** 邀请: my referral code (and, for promoters, the merchant invite code) with its QR image. */
export function useInvitePage(): InvitePage {
  // A timeline post opens this page with the shared join scene: hand it to the join page.
  const sharedScene = useRouter().params.scene
  useEffect(() => {
    const shared = parseScene(sharedScene)
    if (shared.kind === 'invite' || shared.kind === 'merchant') void Taro.redirectTo({ url: routes.join(buildScene(shared.kind, shared.code)) })
  }, [sharedScene])
  const load = useCallback(() => fetchMyInvite(), [])
  const page = useSignedInLoad(load)
  const [kind, setKindState] = useState<QrKind>('member')
  const [qr, setQr] = useState<QrState>({ kind: 'loading' })
  const [saving, setSaving] = useState(false)
  const ticket = useRef(0)

  const invite = page.state.kind === 'ready' ? page.state.data : null
  const loadQr = useCallback((which: QrKind): void => {
    const mine = ++ticket.current
    setQr({ kind: 'loading' })
    fetchInviteQrCode(which).then(
      (code) => {
        if (mine === ticket.current) setQr({ kind: 'ready', code })
      },
      (error: unknown) => {
        if (mine === ticket.current) setQr({ kind: 'error', message: userMessage(error) })
      },
    )
  }, [])

  const loaded = invite !== null
  useEffect(() => {
    if (loaded) loadQr(kind)
  }, [loaded, kind, loadQr])

  const shareScene = invite
    ? kind === 'merchant' && invite.merchant_invite_code
      ? buildScene('merchant', invite.merchant_invite_code)
      : buildScene('invite', invite.invite_code)
    : null

  // 转发 opens the join page with my scene (binding as a scan does); 朋友圈 opens this page with it
  useInviteShare(
    () => ({
      title: kind === 'merchant' ? '邀请你入驻开店，顾客扫码买单即可加入返利队列' : '邀请你一起排队返利：购物加入返利队列，后续订单按顺序返现',
      path: shareScene ? routes.join(shareScene) : routes.invite(),
    }),
    page.state.kind === 'ready',
  )

  return {
    ...page,
    kind,
    setKind: setKindState,
    qr,
    retryQr: () => loadQr(kind),
    saving,
    save: async () => {
      if (qr.kind !== 'ready' || saving) return
      setSaving(true)
      try {
        await saveBase64Image(qr.code.image_base64, qr.code.mime, `invite-${qr.code.kind}`)
        void Taro.showToast({ title: isWeapp ? '已保存到相册' : '图片已下载', icon: 'success' })
      } catch (error) {
        void Taro.showToast({ title: userMessage(error), icon: 'none' })
      } finally {
        setSaving(false)
      }
    },
    canShare: isWeapp,
    openPoster: () => void Taro.navigateTo({ url: routes.poster(kind) }),
    copyLink: async () => {
      if (!shareScene) return
      const text = isWeapp ? routes.join(shareScene) : `${window.location.origin}${window.location.pathname}#${routes.join(shareScene)}`
      try {
        await Taro.setClipboardData({ data: text })
        void Taro.showToast({ title: '邀请链接已复制', icon: 'success' })
      } catch {
        void Taro.showToast({ title: '复制失败，请长按二维码保存', icon: 'none' })
      }
    },
  }
}
