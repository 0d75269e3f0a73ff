// client/services is shared by the mini-program and the operators' console: the data
// services reach the backend only through api.ts, which is given its supabase client by the
// front-end (client/services/supabase.ts builds the mini-program's on Taro.request). This
// follows their imports and fails if any of them pulls in Taro or the mini-program's client.
import fs from 'node:fs'
import path from 'node:path'

const DIR = path.join(__dirname, '../../client/services')
const SHARED = ['api', 'catalog', 'errors', 'exchange', 'lottery', 'member', 'messages', 'orders', 'queue', 'referral', 'wallet']
const PLATFORM = ['supabase', 'auth', 'session', 'album', 'payment', 'adapters/']

function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8')
  return [...text.matchAll(/^import[^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1])
}

function closure(start: string): Map<string, string[]> {
  const seen = new Map<string, string[]>()
  const visit = (file: string) => {
    if (seen.has(file)) return
    const specs = importsOf(file)
    seen.set(file, specs)
    for (const s of specs) {
      if (!s.startsWith('.')) continue
      const next = path.resolve(path.dirname(file), s)
      const candidates = [`${next}.ts`, `${next}.tsx`, path.join(next, 'index.ts')]
      const found = candidates.find((c) => fs.existsSync(c))
      if (found && found.startsWith(DIR)) visit(found)
    }
  }
  visit(start)
  return seen
}

test.each(SHARED)('services/%s reaches the backend without Taro or the mini-program client', (name) => {
  const graph = closure(path.join(DIR, `${name}.ts`))
  expect(graph.size).toBeGreaterThan(0)
  const offenders: string[] = []
  for (const [file, specs] of graph) {
    for (const s of specs) {
      if (s.startsWith('@tarojs/')) offenders.push(`${path.relative(DIR, file)} imports ${s}`)
      if (s.startsWith('.') && PLATFORM.some((p) => path.resolve(path.dirname(file), s).startsWith(path.join(DIR, p)))) {
        offenders.push(`${path.relative(DIR, file)} imports ${s}`)
      }
    }
  }
  expect(offenders).toEqual([])
})
