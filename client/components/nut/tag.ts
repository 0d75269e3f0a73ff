// NutUI React Taro, imported per component (its code and its CSS only).
import '@nutui/nutui-react-taro/dist/es/packages/tag/style/css'

export { default as Tag } from '@nutui/nutui-react-taro/dist/es/packages/tag/index'
