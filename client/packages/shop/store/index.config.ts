export default definePageConfig({
  navigationBarTitleText: '门店商品',
  enablePullDownRefresh: true,
})
