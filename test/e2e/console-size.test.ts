// The console's initial JavaScript (login page + dashboard) stays within 400 kB gzipped:
// every route is its own chunk and ECharts loads only when the dashboard's chart renders.
import fs from 'node:fs'
import path from 'node:path'
import { consoleInitialSize } from '../helpers/console-size'

const DIST = path.resolve(__dirname, '../../dist/console')
const built = fs.existsSync(path.join(DIST, 'manifest.json'))

;(built ? test : test.skip)('login + dashboard initial JS ≤ 400 kB gzipped (chart chunk reported)', () => {
  const r = consoleInitialSize(DIST)
  console.log(`console initial JS: ${(r.initialGzip / 1024).toFixed(1)} kB gzipped; with the dashboard chart (ECharts): ${(r.withChartGzip / 1024).toFixed(1)} kB`)
  expect(r.initialGzip).toBeLessThanOrEqual(400 * 1024)
  // a route that is not the login page or the dashboard is not in the initial set
  expect(r.files.some((f) => /Settings|Orders|Export/.test(f))).toBe(false)
})
