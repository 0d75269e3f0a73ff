// NutUI React Taro, imported per component (its code and its CSS only).
import '@nutui/nutui-react-taro/dist/es/packages/badge/style/css'

export { default as Badge } from '@nutui/nutui-react-taro/dist/es/packages/badge/index'
