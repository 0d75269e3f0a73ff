export default definePageConfig({
  navigationBarTitleText: '邀请好友',
  // useShareAppMessage (the share button and the ··· menu) needs this on WeChat.
  enableShareAppMessage: true,
})
