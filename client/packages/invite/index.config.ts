export default definePageConfig({
  navigationBarTitleText: '邀请好友',
  // useInviteShare (转发 and 分享到朋友圈, hooks/use-invite-share.ts) needs both on WeChat.
  enableShareAppMessage: true,
  enableShareTimeline: true,
})
