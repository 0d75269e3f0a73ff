// NutUI React Taro, imported per component (its code and its CSS only).
import '@nutui/nutui-react-taro/dist/es/packages/inputnumber/style/css'

export { default as InputNumber } from '@nutui/nutui-react-taro/dist/es/packages/inputnumber/index'
