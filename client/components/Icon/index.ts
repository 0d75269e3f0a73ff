// The NutUI icons the app uses, one module each (SVG masks, no icon font).
import '@nutui/icons-react-taro/dist/style_icon.css'

export { default as CartIcon } from '@nutui/icons-react-taro/dist/es/icons/Cart.js'
export { default as ScanIcon } from '@nutui/icons-react-taro/dist/es/icons/Scan.js'
export { default as WalletIcon } from '@nutui/icons-react-taro/dist/es/icons/Wallet.js'
export { default as OrderIcon } from '@nutui/icons-react-taro/dist/es/icons/Order.js'
export { default as ShareIcon } from '@nutui/icons-react-taro/dist/es/icons/Share.js'
export { default as MessageIcon } from '@nutui/icons-react-taro/dist/es/icons/Message.js'
