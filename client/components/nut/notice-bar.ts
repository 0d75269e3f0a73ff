// NutUI React Taro, imported per component (its code and its CSS only).
import '@nutui/nutui-react-taro/dist/es/packages/noticebar/style/css'

export { default as NoticeBar } from '@nutui/nutui-react-taro/dist/es/packages/noticebar/index'
