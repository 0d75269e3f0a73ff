// NutUI React Taro, imported per component (its code and its CSS only).
import '@nutui/nutui-react-taro/dist/es/packages/loading/style/css'

export { default as Loading } from '@nutui/nutui-react-taro/dist/es/packages/loading/index'
