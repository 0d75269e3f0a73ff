// NutUI React Taro, imported per component (its code and its CSS only).
import '@nutui/nutui-react-taro/dist/es/packages/cell/style/css'

export { default as Cell } from '@nutui/nutui-react-taro/dist/es/packages/cell/index'
