/**
 * Pages. The main package holds only the three tab pages (队列进度 is the home); every
 * secondary page lives in a subpackage, so the main package stays small (WeChat: 2 MB
 * limit, our budget 1 MB) and a page's code loads when it is first opened.
 *
 * Scanned codes open subpackage pages directly (getwxacodeunlimit `page`):
 *   packages/invite/join/index   invite and merchant invite codes (scene i=… / m=…)
 *   packages/cashier/index       store cashier codes (scene c=…)
 *   packages/console-login/index the operators' console's scan login (?ticket=…, or scanned there)
 */
export default defineAppConfig({
  pages: ['pages/index/index', 'pages/mall/index', 'pages/member/index'],
  subPackages: [
    { root: 'packages/queue', pages: ['process/index', 'sources/index', 'lottery/index', 'exchange/index'] },
    { root: 'packages/shop', pages: ['detail/index', 'checkout/index', 'orders/index', 'order/index', 'refund/index', 'stores/index', 'store/index'] },
    { root: 'packages/cashier', pages: ['index'] },
    { root: 'packages/wallet', pages: ['index', 'transfer/index', 'withdraw/index'] },
    { root: 'packages/invite', pages: ['index', 'join/index', 'team/index', 'poster/index'] },
    { root: 'packages/messages', pages: ['index'] },
    { root: 'packages/union', pages: ['pool/index'] },
    { root: 'packages/store', pages: ['mine/index'] },
    { root: 'packages/console-login', pages: ['index'] },
  ],
  window: {
    backgroundTextStyle: 'dark',
    navigationBarBackgroundColor: '#fff',
    navigationBarTitleText: '排队返利',
    navigationBarTextStyle: 'black',
    backgroundColor: '#f5f6f7',
    // H5: Taro's own title bar as WeChat draws it, the page title with 返回 on sub-pages (or 首页
    // when a sub-page was opened directly); WeChat draws its bar itself ('default' is its default).
    ...(process.env.TARO_ENV === 'h5' ? { navigationStyle: 'default' as const } : {}),
  },
  // H5 only (WeChat does not know the key): no page slide, so a page is in place as soon as it renders.
  ...(process.env.TARO_ENV === 'h5' ? { animation: false } : {}),
  tabBar: {
    color: '#666666',
    selectedColor: '#e4393c',
    backgroundColor: '#ffffff',
    borderStyle: 'black',
    // local 81 × 81 PNGs drawn by config/tabbar-icons.mjs (npm run icons:tabbar); WeChat takes no network icons
    list: [
      { pagePath: 'pages/index/index', text: '排队', iconPath: 'assets/tabbar/queue.png', selectedIconPath: 'assets/tabbar/queue-active.png' },
      { pagePath: 'pages/mall/index', text: '商城', iconPath: 'assets/tabbar/mall.png', selectedIconPath: 'assets/tabbar/mall-active.png' },
      { pagePath: 'pages/member/index', text: '我的', iconPath: 'assets/tabbar/member.png', selectedIconPath: 'assets/tabbar/member-active.png' },
    ],
  },
})
