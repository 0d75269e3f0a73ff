export default definePageConfig({
  navigationBarTitleText: '排队返利',
  enablePullDownRefresh: true,
  // useInviteShare (转发 and 分享到朋友圈, hooks/use-invite-share.ts) needs both on WeChat.
  enableShareAppMessage: true,
  enableShareTimeline: true,
})
