export default definePageConfig({
  navigationBarTitleText: '排队返利',
  enablePullDownRefresh: true,
})
