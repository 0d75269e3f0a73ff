/**
 * Package sizes of the WeChat build (dist/weapp), as WeChat counts them: the main package
 * is every file outside the subpackage roots; each subpackage is its root folder.
 * WeChat's limits are 2 MB per package; our budget for the main package is 700 KB (issue 14): new pages go into subpackages.
 * The sizes are printed, so a growing package shows up in every run.
 */
import fs from 'node:fs'
import path from 'node:path'

const DIST = path.resolve(__dirname, '../../dist/weapp')
const built = fs.existsSync(path.join(DIST, 'app.json'))
const describeBuilt = built || process.env.WEAPP_REQUIRED ? describe : describe.skip

const MAIN_BUDGET = 700 * 1024
const WECHAT_LIMIT = 2 * 1024 * 1024

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name)
    return e.isDirectory() ? filesUnder(full) : [full]
  })
}

describeBuilt('weapp package sizes', () => {
  const app = built ? (JSON.parse(fs.readFileSync(path.join(DIST, 'app.json'), 'utf8')) as { pages: string[]; subPackages?: Array<{ root: string; pages: string[] }> }) : { pages: [] }
  const roots = (app.subPackages ?? []).map((p) => p.root.replace(/\/$/, ''))
  const sizeOf = (files: string[]): number => files.reduce((sum, f) => sum + fs.statSync(f).size, 0)
  const all = built ? filesUnder(DIST) : []
  const inRoot = (file: string, root: string): boolean => path.relative(DIST, file).split(path.sep).join('/').startsWith(`${root}/`)
  const main = all.filter((f) => !roots.some((r) => inRoot(f, r)))

  it('has secondary pages in subpackages and only the tab pages in the main package', () => {
    expect(app.pages).toEqual(['pages/index/index', 'pages/mall/index', 'pages/member/index'])
    expect(roots.length).toBeGreaterThanOrEqual(5)
  })

  it('has local tab bar icons WeChat accepts: PNG files in the package, 81 × 81, at most 40 KB', () => {
    const tabBar = (built ? JSON.parse(fs.readFileSync(path.join(DIST, 'app.json'), 'utf8')).tabBar : { list: [] }) as { list: Array<Record<string, string>> }
    const icons = tabBar.list.flatMap((t) => [t.iconPath, t.selectedIconPath])
    expect(icons).toHaveLength(6)
    for (const icon of icons) {
      expect(icon).toMatch(/^assets\/tabbar\/[a-z-]+\.png$/)
      const bytes = fs.readFileSync(path.join(DIST, icon))
      expect(bytes.length).toBeLessThanOrEqual(40 * 1024)
      expect(bytes.subarray(1, 4).toString('latin1')).toBe('PNG')
      expect([bytes.readUInt32BE(16), bytes.readUInt32BE(20)]).toEqual([81, 81])
    }
  })

  it(`keeps the main package under ${MAIN_BUDGET / 1024} KB and every subpackage under WeChat's 2 MB`, () => {
    const report = [`main ${(sizeOf(main) / 1024).toFixed(1)} KB`]
    for (const root of roots) {
      const size = sizeOf(all.filter((f) => inRoot(f, root)))
      report.push(`${root} ${(size / 1024).toFixed(1)} KB`)
      expect(size).toBeLessThan(WECHAT_LIMIT)
    }
    console.log(`weapp package sizes: ${report.join(', ')}`)
    expect(sizeOf(main)).toBeLessThan(MAIN_BUDGET)
  })
})
