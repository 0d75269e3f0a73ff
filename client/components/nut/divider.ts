// NutUI React Taro, imported per component (its code and its CSS only).
import '@nutui/nutui-react-taro/dist/es/packages/divider/style/css'

export { default as Divider } from '@nutui/nutui-react-taro/dist/es/packages/divider/index'
