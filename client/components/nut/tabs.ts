// NutUI React Taro, imported per component (its code and its CSS only).
import '@nutui/nutui-react-taro/dist/es/packages/tabs/style/css'

export { default as Tabs } from '@nutui/nutui-react-taro/dist/es/packages/tabs/index'
