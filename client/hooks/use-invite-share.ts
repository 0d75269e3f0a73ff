import Taro, { useRouter, useShareAppMessage, useShareTimeline } from '@tarojs/taro'
import { useEffect, useRef } from 'react'
import { ApiError } from '@/services/errors'
import { BIND_REFUSALS, bindReferrer } from '@/services/referral'
import { readSession } from '@/services/session'
import { INVITE_PARAM, inviteParam, timelineQuery, withInvite } from '@/lib/share'
import { userMessage } from './user-message'

/**
 * Sharing that carries the sharer's invite (WeChat 转发 and 分享到朋友圈), and its other end.
 *
 * The page's share (useShareAppMessage: the ··· menu and open-type="share" buttons) opens the
 * given page for the friend with `inv=<my invite code>` added (the invite code is the member
 * code, which the session holds); a timeline post (useShareTimeline) opens the same page with
 * that query. A page that registers this hook also takes the `inv` it was opened with: once the
 * member is signed in it binds them to that referrer (bind_referrer, source 'share'), exactly
 * as scanning the invite code would; the refusals (already bound, own code, a cycle) are quiet.
 * The page config must set enableShareAppMessage and enableShareTimeline on WeChat.
 */
export interface ShareContent {
  title: string
  /** the page to open, with its own query: '/packages/shop/detail/index?id=3' */
  path: string
  imageUrl?: string
}

/** My invite code (my member code), or null when signed out. */
export function myInviteCode(): string | null {
  return readSession()?.user.member_code ?? null
}

/** `signedIn`: the page has loaded its data for a member (its state is ready). */
export function useInviteShare(content: () => ShareContent, signedIn: boolean): void {
  useShareAppMessage(() => {
    const c = content()
    return { title: c.title, path: withInvite(c.path, myInviteCode()), ...(c.imageUrl ? { imageUrl: c.imageUrl } : {}) }
  })
  useShareTimeline(() => {
    const c = content()
    return { title: c.title, query: timelineQuery(c.path, myInviteCode()), ...(c.imageUrl ? { imageUrl: c.imageUrl } : {}) }
  })

  const invited = inviteParam(useRouter().params[INVITE_PARAM])
  const tried = useRef(false)
  useEffect(() => {
    if (!signedIn || tried.current || invited === null) return
    tried.current = true
    if (invited === myInviteCode()) return
    bindReferrer(invited, 'share').then(
      (result) => {
        if (result.bound && !result.already_bound) {
          void Taro.showToast({ title: `已接受 ${result.referrer_nickname_masked ?? '好友'} 的邀请`, icon: 'none' })
        }
      },
      (error: unknown) => {
        // already bound elsewhere, own code, a cycle, an unknown code: the page is still what was shared
        if (error instanceof ApiError && BIND_REFUSALS.has(error.code)) return
        void Taro.showToast({ title: userMessage(error), icon: 'none' })
      },
    )
  }, [signedIn, invited])
}
