// NutUI React Taro, imported per component (its code and its CSS only).
import '@nutui/nutui-react-taro/dist/es/packages/avatar/style/css'

export { default as Avatar } from '@nutui/nutui-react-taro/dist/es/packages/avatar/index'
