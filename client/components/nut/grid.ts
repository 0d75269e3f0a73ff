// NutUI React Taro, imported per component (its code and its CSS only).
import '@nutui/nutui-react-taro/dist/es/packages/grid/style/css'

export { default as Grid } from '@nutui/nutui-react-taro/dist/es/packages/grid/index'
