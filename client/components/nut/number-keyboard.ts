// NutUI React Taro, imported per component (its code and its CSS only).
import '@nutui/nutui-react-taro/dist/es/packages/numberkeyboard/style/css'

export { default as NumberKeyboard } from '@nutui/nutui-react-taro/dist/es/packages/numberkeyboard/index'
