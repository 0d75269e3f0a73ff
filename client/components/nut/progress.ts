// NutUI React Taro, imported per component (its code and its CSS only).
import '@nutui/nutui-react-taro/dist/es/packages/progress/style/css'

export { default as Progress } from '@nutui/nutui-react-taro/dist/es/packages/progress/index'
