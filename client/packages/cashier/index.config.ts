export default definePageConfig({
  navigationBarTitleText: '门店买单',
})
