/// <reference types="@tarojs/taro" />

declare module '*.png';
declare module '*.gif';
declare module '*.jpg';
declare module '*.jpeg';
declare module '*.svg';
declare module '*.css';
declare module '*.less';
declare module '*.scss';
declare module '*.sass';
declare module '*.styl';

declare namespace NodeJS {
  interface ProcessEnv {
    /** NODE 内置环境变量, 会影响到最终构建生成产物 */
    NODE_ENV: 'development' | 'production',
    /** 当前构建的平台 */
    TARO_ENV: 'weapp' | 'swan' | 'alipay' | 'h5' | 'rn' | 'tt' | 'qq' | 'jd' | 'harmony' | 'jdrn'
    /**
     * 当前构建的小程序 appid
     * @description 若不同环境有不同的小程序，可通过在 env 文件中配置环境变量`TARO_APP_ID`来方便快速切换 appid， 而不必手动去修改 dist/project.config.json 文件
     * @see https://taro-docs.jd.com/docs/next/env-mode-config#特殊环境变量-taro_app_id
     */
    TARO_APP_ID: string
  }
}



/** Compile-time constants from config/index.ts (defineConstants). */
declare const SUPABASE_URL: string
declare const SUPABASE_ANON_KEY: string
/** True when the backend is the local stack, which offers dev login for H5. */
declare const LOCAL_DEV: boolean

/** NutUI icons imported one file at a time (the package's index keeps every icon). */
declare module '@nutui/icons-react-taro/dist/es/icons/*.js' {
  import type { FC } from 'react'
  const Icon: FC<{ size?: string | number; color?: string; className?: string }>
  export default Icon
}
