export default definePageConfig({
  navigationBarTitleText: '分享海报',
  // useInviteShare (转发 and 分享到朋友圈, hooks/use-invite-share.ts) needs both on WeChat.
  enableShareAppMessage: true,
  enableShareTimeline: true,
})
