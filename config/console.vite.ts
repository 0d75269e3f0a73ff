// The operators' console (client/console): React 18 + Ant Design + ECharts, built by Vite into
// dist/console and served at /console/ (the local stack's H5 server; in production any static host
// in front of the project). `npm run build:console`.
//   CONSOLE_SUPABASE_URL      the API ('same-origin' by default: the host forwards /rest and /functions)
//   CONSOLE_SUPABASE_ANON_KEY the project's anon key (default: the local stack's demo key)
//   CONSOLE_LOCAL_DEV=0       hide the demo members' dev login (production)
import path from 'node:path'
import { defineConfig } from 'vite'
import { LOCAL_ANON_KEY } from '../client/services/local-stack'

const root = path.resolve(__dirname, '../client/console')

export default defineConfig({
  root,
  base: '/console/',
  publicDir: false,
  logLevel: 'warn',
  esbuild: { jsx: 'automatic' },
  define: {
    __CONSOLE_SUPABASE_URL__: JSON.stringify(process.env.CONSOLE_SUPABASE_URL || 'same-origin'),
    __CONSOLE_ANON_KEY__: JSON.stringify(process.env.CONSOLE_SUPABASE_ANON_KEY || process.env.TARO_APP_SUPABASE_ANON_KEY || LOCAL_ANON_KEY),
    __CONSOLE_LOCAL_DEV__: JSON.stringify(process.env.CONSOLE_LOCAL_DEV !== '0'),
  },
  resolve: { alias: { '@': path.resolve(__dirname, '../client') } },
  build: {
    outDir: path.resolve(__dirname, '../dist/console'),
    emptyOutDir: true,
    target: 'es2020',
    chunkSizeWarningLimit: 1500,
    manifest: true,
    rollupOptions: {
      // antd's modules start with "use client" (for React Server Components); irrelevant here
      onwarn(warning, warn) {
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return
        warn(warning)
      },
      output: {
        // libraries every page shares, apart from the pages' own code
        manualChunks: (id) => {
          if (id.includes('node_modules/echarts') || id.includes('node_modules/zrender')) return 'echarts'
          if (id.includes('node_modules/@supabase')) return 'supabase'
          return undefined
        },
      },
    },
  },
})
