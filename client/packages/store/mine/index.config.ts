export default definePageConfig({
  navigationBarTitleText: '我的门店',
  enablePullDownRefresh: true,
})
