import Taro, { useRouter } from '@tarojs/taro'
import { useCallback, useEffect, useRef, useState } from 'react'
import { useInviteShare } from '@/hooks/use-invite-share'
import { useSignedInLoad, type SignedInLoad } from '@/hooks/use-signed-in-load'
import { userMessage } from '@/hooks/user-message'
import { posterContent, type PosterContent } from '@/lib/poster'
import { routes } from '@/lib/routes'
import { saveBase64Image, saveImageFile } from '@/services/album'
import { isWeapp } from '@/services/env'
import { fetchDisplaySettings } from '@/services/queue'
import { fetchInviteQrCode, fetchMyInvite, type InviteQrCode, type MyInvite, type QrKind } from '@/services/referral'
import { renderPoster } from './render'

export interface PosterData {
  invite: MyInvite
  kind: QrKind
  code: InviteQrCode
  content: PosterContent
}

export type PosterImage = { kind: 'drawing' } | { kind: 'ready'; src: string } | { kind: 'failed'; message: string }

export interface PosterPage extends SignedInLoad<PosterData> {
  image: PosterImage
  redraw: () => void
  saving: boolean
  save: () => Promise<void>
  /** WeChat shares through an open-type="share" button */
  canShare: boolean
}

/**
 * 分享海报 (?kind=member|merchant): the programme's name and pitch with my mini-program code
 * (invite-qrcode) and invite code, drawn on a canvas (lib/poster.ts); saved to the album on
 * WeChat, downloaded on H5; 转发 carries my invite scene.
 */
export function usePosterPage(): PosterPage {
  const wanted: QrKind = useRouter().params.kind === 'merchant' ? 'merchant' : 'member'
  const load = useCallback(async (): Promise<PosterData> => {
    const [invite, display] = await Promise.all([fetchMyInvite(), fetchDisplaySettings()])
    const kind: QrKind = wanted === 'merchant' && invite.can_invite_merchants && invite.merchant_invite_code ? 'merchant' : 'member'
    const code = await fetchInviteQrCode(kind)
    const shown = kind === 'merchant' ? invite.merchant_invite_code ?? invite.invite_code : invite.invite_code
    return { invite, kind, code, content: posterContent(kind, display.display_name, shown) }
  }, [wanted])
  const page = useSignedInLoad(load)
  const [image, setImage] = useState<PosterImage>({ kind: 'drawing' })
  const [saving, setSaving] = useState(false)
  const [round, setRound] = useState(0)
  const ticket = useRef(0)

  const data = page.state.kind === 'ready' ? page.state.data : null
  useEffect(() => {
    if (!data) return
    const mine = ++ticket.current
    setImage({ kind: 'drawing' })
    // after the render that put the canvas on the page
    Taro.nextTick(() => {
      renderPoster(data.content, { mime: data.code.mime, base64: data.code.image_base64 }).then(
        (src) => {
          if (mine === ticket.current) setImage({ kind: 'ready', src })
        },
        (error: unknown) => {
          console.warn('poster drawing failed', error)
          if (mine === ticket.current) setImage({ kind: 'failed', message: '海报生成失败，请重试' })
        },
      )
    })
  }, [data, round])

  const scene = data?.code.scene ?? null
  useInviteShare(
    () => ({
      title: data?.kind === 'merchant' ? '邀请你入驻开店，顾客扫码买单即可加入返利队列' : '邀请你一起排队返利：购物加入返利队列，后续订单按顺序返现',
      path: scene ? routes.join(scene) : routes.invite(),
    }),
    page.state.kind === 'ready',
  )

  return {
    ...page,
    image,
    redraw: () => setRound((r) => r + 1),
    saving,
    save: async () => {
      if (image.kind !== 'ready' || saving) return
      setSaving(true)
      try {
        if (isWeapp) await saveImageFile(image.src)
        else await saveBase64Image(image.src.replace(/^data:image\/png;base64,/, ''), 'image/png', `poster-${data?.kind ?? 'member'}`)
        void Taro.showToast({ title: isWeapp ? '已保存到相册' : '海报已下载', icon: 'success' })
      } catch (error) {
        void Taro.showToast({ title: userMessage(error), icon: 'none' })
      } finally {
        setSaving(false)
      }
    },
    canShare: isWeapp,
  }
}
