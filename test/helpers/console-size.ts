// The console's initial JavaScript, from Vite's manifest: what the browser loads for the login
// page and the dashboard (entry, their route chunks and every chunk they import statically),
// gzipped — and the same with the dashboard's lazily loaded chart (ECharts).
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'

interface Chunk { file: string; src?: string; isEntry?: boolean; imports?: string[]; dynamicImports?: string[] }

export function consoleInitialSize(dist: string) {
  const manifest = JSON.parse(fs.readFileSync(path.join(dist, 'manifest.json'), 'utf8')) as Record<string, Chunk>
  const files = new Set<string>()
  const add = (key: string) => {
    const c = manifest[key]
    if (!c || files.has(c.file)) return
    files.add(c.file)
    for (const i of c.imports ?? []) add(i)
  }
  const entry = Object.keys(manifest).find((k) => manifest[k].isEntry)!
  add(entry)
  const route = (name: string) => Object.keys(manifest).find((k) => k.endsWith(`pages/${name}.tsx`))!
  add(route('Login'))
  add(route('Dashboard'))
  const gz = (f: string) => zlib.gzipSync(fs.readFileSync(path.join(dist, f)), { level: 9 }).length
  const initial = [...files].filter((f) => f.endsWith('.js')).reduce((s, f) => s + gz(f), 0)
  const chart = Object.keys(manifest).find((k) => k.endsWith('components/TrendChart.tsx'))!
  const before = new Set(files)
  add(chart)
  const withChart = initial + [...files].filter((f) => !before.has(f) && f.endsWith('.js')).reduce((s, f) => s + gz(f), 0)
  return { initialGzip: initial, withChartGzip: withChart, files: [...before] }
}
