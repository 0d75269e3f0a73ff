// NutUI React Taro, imported per component (its code and its CSS only).
import '@nutui/nutui-react-taro/dist/es/packages/switch/style/css'

export { default as Switch } from '@nutui/nutui-react-taro/dist/es/packages/switch/index'
