// NutUI React Taro, imported per component (its code and its CSS only).
import '@nutui/nutui-react-taro/dist/es/packages/radio/style/css'

export { default as Radio } from '@nutui/nutui-react-taro/dist/es/packages/radio/index'
