// NutUI React Taro, imported per component (its code and its CSS only).
import '@nutui/nutui-react-taro/dist/es/packages/input/style/css'

export { default as Input } from '@nutui/nutui-react-taro/dist/es/packages/input/index'
