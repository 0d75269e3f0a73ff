// NutUI React Taro, imported per component (its code and its CSS only).
import '@nutui/nutui-react-taro/dist/es/packages/skeleton/style/css'

export { default as Skeleton } from '@nutui/nutui-react-taro/dist/es/packages/skeleton/index'
