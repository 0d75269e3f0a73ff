// NutUI React Taro, imported per component (its code and its CSS only).
import '@nutui/nutui-react-taro/dist/es/packages/resultpage/style/css'

export { default as ResultPage } from '@nutui/nutui-react-taro/dist/es/packages/resultpage/index'
