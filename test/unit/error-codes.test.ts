/**
 * Every error code the backend raises has a row in docs/errors.md and a Chinese message in
 * client/services/errors.ts. Scans the SQL (supabase/migrations and supabase/schemas, whichever
 * exist), the local gateway, H5 server and functions host, and the edge functions.
 */
import fs from 'node:fs'
import path from 'node:path'
import { BACKEND_MESSAGES, FALLBACK_MESSAGES, GATEWAY_CODES, messageFor } from '../../client/services/errors'

const ROOT = path.resolve(__dirname, '../..')
const read = (rel: string): string => fs.readFileSync(path.join(ROOT, rel), 'utf8')

function filesUnder(rel: string, ext: string): string[] {
  const dir = path.join(ROOT, rel)
  if (!fs.existsSync(dir)) return []
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const child = path.join(rel, e.name)
    if (e.isDirectory()) return filesUnder(child, ext)
    return e.name.endsWith(ext) ? [child] : []
  })
}

/**
 * Codes built at run time: `message = '<prefix>' || <expr>`. Each prefix must be listed here
 * with every value the expression can take (a new dynamic raise fails until it is).
 */
const DYNAMIC_CODES: Record<string, string[]> = {
  // rebate.wallet_apply: p_asset is one of the wallet's assets
  insufficient_: ['cash', 'commission', 'points', 'love', 'love_frozen'],
}

interface SqlCodes {
  codes: Map<string, Set<string>> // code → files
  invariants: Set<string>
  problems: string[]
}

/** The codes raised in SQL: `raise exception using errcode = …, message = …` and invariant_failed('…'). */
function scanSql(): SqlCodes {
  const files = [...filesUnder('supabase/migrations', '.sql'), ...filesUnder('supabase/schemas', '.sql')]
  const result: SqlCodes = { codes: new Map(), invariants: new Set(), problems: [] }
  const add = (code: string, file: string) => {
    if (!result.codes.has(code)) result.codes.set(code, new Set())
    result.codes.get(code)!.add(file)
  }
  for (const file of files) {
    const sql = read(file).replace(/--[^\n]*/g, '').replace(/\/\*[\s\S]*?\*\//g, '')
    const functions = [...sql.matchAll(/create\s+(?:or\s+replace\s+)?function\s+([a-z_0-9.]+)\s*\(/gi)]
    const enclosing = (at: number) => functions.filter((f) => f.index! < at).pop()?.[1] ?? ''
    for (const m of sql.matchAll(/\braise\b([\s\S]*?);/gi)) {
      const stmt = m[1].replace(/\s+/g, ' ').trim()
      if (stmt === '' || /^(notice|warning|info|log|debug)\b/i.test(stmt)) continue // a re-raise, or not an error
      const using = /^exception using errcode = '([^']+)', message = ([^,]+?)(?:,|$)/i.exec(stmt)
      if (!using) {
        result.problems.push(`${file}: unrecognised raise (give it errcode and a stable message): raise ${stmt.slice(0, 120)}`)
        continue
      }
      const message = using[2].trim()
      let literal: RegExpExecArray | null
      if ((literal = /^'([a-z][a-z0-9_]*)'$/.exec(message))) add(literal[1], file)
      else if ((literal = /^'([a-z][a-z0-9_]*)' \|\| .+$/.exec(message))) {
        const values = DYNAMIC_CODES[literal[1]]
        if (!values) result.problems.push(`${file}: dynamic code '${literal[1]}' || …: list its values in DYNAMIC_CODES`)
        else for (const v of values) add(literal[1] + v, file)
      } else if (/^[a-z_][a-z0-9_]*$/.test(message) && /(^|\.)invariant_failed$/.test(enclosing(m.index!))) {
        // the data checks: their names are the arguments of invariant_failed('…')
      } else {
        result.problems.push(`${file}: raise with a message that is not a stable code: ${stmt.slice(0, 120)}`)
      }
    }
    for (const m of sql.matchAll(/invariant_failed\('([a-z][a-z0-9_]*)'\)/g)) result.invariants.add(m[1])
    // the row-invariant functions (*_ok) name the broken rule in one CASE: `then '<name>'`
    for (const [i, f] of functions.entries()) {
      if (!/_ok$/.test(f[1])) continue
      const body = sql.slice(f.index!, functions[i + 1]?.index ?? sql.length)
      for (const m of body.matchAll(/\bthen\s+'([a-z][a-z0-9_]*)'/g)) result.invariants.add(m[1])
    }
  }
  return result
}

/** The codes of the local stack and the edge functions, from their source. */
function scanSources(): { gateway: Set<string>; kong: Set<string>; functions: Set<string> } {
  const gatewaySrc = read('supabase/local/gateway.cjs')
  const gateway = new Set<string>()
  for (const m of gatewaySrc.matchAll(/GatewayError\(\s*\d{3},\s*'([^']+)'/g)) gateway.add(m[1])
  for (const m of gatewaySrc.matchAll(/jwtError\(\s*'([^']+)'/g)) gateway.add(m[1])
  for (const file of ['supabase/local/gateway.cjs', 'supabase/local/h5-server.cjs', 'supabase/local/functions-host.ts']) {
    const src = read(file)
    for (const m of src.matchAll(/\bcode: '([a-z][a-z0-9_]*)'/g)) gateway.add(m[1])
    for (const m of src.matchAll(/RequestError\(\s*\d{3},\s*'([a-z][a-z0-9_]*)'/g)) gateway.add(m[1])
  }
  const kong = new Set([...gatewaySrc.matchAll(/kongError\(\s*\d{3},\s*'([^']+)'/g)].map((m) => m[1]))
  const functions = new Set<string>()
  for (const file of filesUnder('supabase/functions', '.ts')) {
    const src = read(file)
    // HttpError(400, 'code', …), WechatError(502, 'code', …), [409, 'code', '…'] mappings, json(…, { code: 'code' })
    for (const m of src.matchAll(/[([]\s*\d{3},\s*'([a-z][a-z0-9_]*)',/g)) functions.add(m[1])
    for (const m of src.matchAll(/\bcode: '([a-z][a-z0-9_]*)'/g)) functions.add(m[1])
  }
  return { gateway, kong, functions }
}

/** The codes with a row in docs/errors.md: every `code` in the first cell of a table row. */
function documentedCodes(): { codes: Set<string>; text: string } {
  const text = read('docs/errors.md')
  const codes = new Set<string>()
  for (const line of text.split('\n')) {
    if (!line.startsWith('|')) continue
    const first = line.split('|')[1] ?? ''
    for (const m of first.matchAll(/`([^`]+)`/g)) codes.add(m[1])
  }
  return { codes, text }
}

const hasChinese = (s: string): boolean => /[\u4e00-\u9fff]/.test(s)
const clientMessage = (code: string): string | undefined =>
  BACKEND_MESSAGES[code] ?? FALLBACK_MESSAGES[code] ?? (GATEWAY_CODES[code] ? FALLBACK_MESSAGES[GATEWAY_CODES[code]] : undefined)

describe('error codes', () => {
  const sql = scanSql()
  const sources = scanSources()
  const docs = documentedCodes()

  it('finds the SQL raises, including the ones that were undocumented', () => {
    expect(sql.problems).toEqual([])
    expect(sql.codes.size).toBeGreaterThan(100)
    for (const code of ['invalid_label', 'merchant_invite_not_found', 'invalid_ttl', 'invalid_image', 'invalid_variant',
      'invalid_time', 'invalid_unionid', 'invalid_openid', 'invalid_token', 'insufficient_points', 'queue_busy']) {
      expect([code, sql.codes.has(code)]).toEqual([code, true])
    }
    expect(sql.invariants.has('wallets_non_negative')).toBe(true)
  })

  it('every code raised in the SQL has a row in docs/errors.md and a Chinese message in errors.ts', () => {
    const missingDoc = [...sql.codes.keys()].filter((c) => !docs.codes.has(c))
    const missingMessage = [...sql.codes.keys()].filter((c) => !BACKEND_MESSAGES[c] || !hasChinese(BACKEND_MESSAGES[c]))
    expect({ missingDoc, missingMessage }).toEqual({ missingDoc: [], missingMessage: [] })
  })

  it('every data check has a row in docs/errors.md, and the client has a message for them', () => {
    expect([...sql.invariants].filter((c) => !docs.codes.has(c))).toEqual([])
    expect(hasChinese(messageFor('data_check_failed'))).toBe(true)
  })

  it("every code of the gateway, the H5 server and the functions host has a row and a client message", () => {
    expect(sources.gateway.size).toBeGreaterThan(10)
    const missingDoc = [...sources.gateway].filter((c) => !docs.codes.has(c))
    // a SQLSTATE (22023: role does not exist) reaches the client by its HTTP status
    const missingMessage = [...sources.gateway].filter((c) => !/^[0-9A-Z]{5}$/.test(c) && !hasChinese(clientMessage(c) ?? ''))
    expect({ missingDoc, missingMessage }).toEqual({ missingDoc: [], missingMessage: [] })
    for (const message of sources.kong) expect(docs.text).toContain(`\`${message}\``)
    expect(sources.kong.size).toBe(2)
  })

  it('every code of the edge functions has a row and a client message', () => {
    expect(sources.functions.size).toBeGreaterThan(10)
    const missingDoc = [...sources.functions].filter((c) => !docs.codes.has(c))
    const missingMessage = [...sources.functions].filter((c) => !hasChinese(clientMessage(c) ?? ''))
    expect({ missingDoc, missingMessage }).toEqual({ missingDoc: [], missingMessage: [] })
  })

  it('the client uses these messages when an answer has no Chinese hint', async () => {
    const { toApiError } = await import('../../client/services/errors')
    expect(toApiError({ code: 'P0001', message: 'invalid_ttl', hint: null }, 400)).toMatchObject({ code: 'invalid_ttl', message: '支付有效期无效' })
    expect(toApiError({ code: '55P03', message: 'queue_busy', hint: null }, 500)).toMatchObject({ code: 'queue_busy', message: '队列正在结算，请稍后重试' })
    expect(toApiError({ code: '23514', message: 'entries_terms', hint: '数据校验失败：entries_terms' }, 400))
      .toMatchObject({ code: 'data_check_failed', message: '数据校验失败，请稍后重试或联系客服' })
    expect(toApiError({ code: 'PGRST102', message: 'Empty or invalid json' }, 400)).toMatchObject({ code: 'bad_request', message: '请求格式错误' })
    expect(toApiError({ code: 'function_not_found', message: '接口不存在' }, 404)).toMatchObject({ code: 'function_not_found', message: '接口不存在' })
    expect(toApiError({ message: 'No API key found in request' }, 401)).toMatchObject({ code: 'unauthorized' })
  })
})
