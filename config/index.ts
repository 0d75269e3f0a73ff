import path from 'node:path'
import { defineConfig, type UserConfigExport } from '@tarojs/cli'
import { LOCAL_ANON_KEY, LOCAL_SUPABASE_URL } from '../client/services/local-stack'
import devConfig from './dev'
import prodConfig from './prod'

const clientRoot = path.resolve(__dirname, '..', 'client')

/** Adapters that fill the holes of the WeChat runtime (PLATFORM-NOTES.md, "supabase-js in the WeChat runtime"). */
const weappGlobals = path.join(clientRoot, 'services', 'adapters', 'weapp-globals.ts')

/**
 * Values compiled into the client, read from the environment at build time. Unset means
 * the local stack; ANON_KEY is the name `supabase status` prints, honoured as a fallback.
 */
function buildConstants(): Record<string, string> {
  const url = process.env.TARO_APP_SUPABASE_URL || LOCAL_SUPABASE_URL
  const anonKey = process.env.TARO_APP_SUPABASE_ANON_KEY || process.env.ANON_KEY || LOCAL_ANON_KEY
  const localDev = process.env.TARO_APP_LOCAL_DEV !== '0'
  return {
    SUPABASE_URL: JSON.stringify(url.replace(/\/+$/, '')),
    SUPABASE_ANON_KEY: JSON.stringify(anonKey),
    LOCAL_DEV: JSON.stringify(localDev),
  }
}

// https://taro-docs.jd.com/docs/next/config#defineconfig-辅助函数
export default defineConfig<'webpack5'>(async (merge) => {
  const baseConfig: UserConfigExport<'webpack5'> = {
    projectName: 'queue-rebate',
    date: '2026-11-25',
    // NutUI React Taro is drawn at 375 px; our own styles at 750 (its quick-start setting).
    designWidth(input?: string | number | { file?: string }) {
      const file = typeof input === 'object' ? input.file?.replace(/\\+/g, '/') ?? '' : ''
      return file.includes('/@nutui/') ? 375 : 750
    },
    deviceRatio: {
      640: 2.34 / 2,
      750: 1,
      375: 2,
      828: 1.81 / 2,
    },
    sourceRoot: 'client',
    outputRoot: `dist/${process.env.TARO_ENV}`,
    // The weapp and h5 platform plugins are found automatically once installed.
    plugins: [],
    defineConstants: buildConstants(),
    alias: {
      '@': clientRoot,
    },
    // the demo catalogue's pictures (products.image_path = /assets/products/…); the tab bar
    // icons (app.config.ts) are copied by Taro itself
    copy: {
      patterns: [{ from: 'client/assets/products/', to: `dist/${process.env.TARO_ENV}/assets/products/` }],
      options: {},
    },
    framework: 'react',
    compiler: {
      type: 'webpack5',
      // Prebundling (esbuild, on by default in watch mode) would bundle supabase-js outside
      // webpack, where the ProvidePlugin below cannot reach it: dev builds would then
      // crash in WeChat with "Headers is not defined". One bundling path for all modes.
      prebundle: { enable: false },
    },
    cache: {
      enable: false,
    },
    // Keep Chinese text as UTF-8 in the minified code: Taro's mini default (ascii_only) writes
    // every character as a 6-byte \uXXXX escape, twice the size, and most of our text is
    // Chinese (error messages, labels). U+2028/U+2029 are still escaped by terser.
    terser: {
      enable: true,
      config: { output: { ascii_only: false } },
    },
    mini: {
      // NutUI's per-component CSS is imported from many pages in different orders; the
      // rules do not overlap, so the order between those files does not matter.
      miniCssExtractPluginOption: {
        ignoreOrder: true,
      },
      postcss: {
        pxtransform: {
          enable: true,
          config: {},
        },
        cssModules: {
          enable: false,
          config: {
            namingPattern: 'module',
            generateScopedName: '[name]__[local]___[hash:base64:5]',
          },
        },
      },
      webpackChain(chain) {
        // Sizes are budgeted by package (test/weapp/size.test.ts), not by webpack's per-asset hint.
        chain.performance.hints(false)
        // Taro already provides window, document, URL … from @tarojs/runtime through this
        // plugin; we add Headers and replace URL with one that also parses ws(s):// URLs
        // (realtime-js builds one while createClient() runs, Taro's URL throws on it).
        chain.plugin('providerPlugin').tap((args: Array<Record<string, unknown>>) => [
          {
            ...args[0],
            Headers: [weappGlobals, 'Headers'],
            URL: [weappGlobals, 'URL'],
          },
        ])
      },
    },
    h5: {
      publicPath: '/',
      staticDirectory: 'static',
      // Hash routing: any plain static file server can serve dist/h5 at '/'.
      router: {
        mode: 'hash',
      },
      output: {
        filename: 'js/[name].[contenthash:8].js',
        chunkFilename: 'js/[name].[contenthash:8].js',
      },
      miniCssExtractPluginOption: {
        ignoreOrder: true,
        filename: 'css/[name].[contenthash:8].css',
        chunkFilename: 'css/[name].[contenthash:8].css',
      },
      webpackChain(chain) {
        // supabase-js alone is near webpack's 244 KiB hint; the warning would only add noise.
        chain.performance.hints(false)
      },
      postcss: {
        autoprefixer: {
          enable: true,
          config: {},
        },
        cssModules: {
          enable: false,
          config: {
            namingPattern: 'module',
            generateScopedName: '[name]__[local]___[hash:base64:5]',
          },
        },
      },
    },
  }

  if (process.env.NODE_ENV === 'development') {
    // 本地开发构建配置（不混淆压缩）
    return merge({}, baseConfig, devConfig)
  }
  // 生产构建配置（默认开启压缩混淆等）
  return merge({}, baseConfig, prodConfig)
})
