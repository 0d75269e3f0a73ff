export default definePageConfig({
  navigationBarTitleText: '队列进程',
  enablePullDownRefresh: true,
})
