// NutUI React Taro, imported per component (its code and its CSS only).
import '@nutui/nutui-react-taro/dist/es/packages/dialog/style/css'

export { default as Dialog } from '@nutui/nutui-react-taro/dist/es/packages/dialog/index'
