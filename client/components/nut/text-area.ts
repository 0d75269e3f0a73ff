// NutUI React Taro, imported per component (its code and its CSS only).
import '@nutui/nutui-react-taro/dist/es/packages/textarea/style/css'

export { default as TextArea } from '@nutui/nutui-react-taro/dist/es/packages/textarea/index'
