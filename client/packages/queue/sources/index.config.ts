export default definePageConfig({
  navigationBarTitleText: '谁给我返的',
  enablePullDownRefresh: true,
})
