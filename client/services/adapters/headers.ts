/**
 * A small WHATWG Headers for runtimes that have none (the WeChat mini-program runtime).
 *
 * supabase-js and postgrest-js call `new Headers(init)` and then only use
 * get/set/has/append/delete/forEach, so that, plus iteration, is what we provide.
 * Names are case-insensitive and kept lower-case, as in the standard.
 */
export type HeadersLike =
  | TaroHeaders
  | { forEach(callback: (value: string, name: string) => void): void }
  | Array<[string, string]>
  | Record<string, string | number | boolean | null | undefined>

export class TaroHeaders {
  private readonly map = new Map<string, string>()

  constructor(init?: HeadersLike | null) {
    if (init == null) return
    if (Array.isArray(init)) {
      init.forEach(([name, value]) => this.append(name, value))
    } else if (typeof (init as { forEach?: unknown }).forEach === 'function') {
      ;(init as { forEach(cb: (value: string, name: string) => void): void }).forEach((value, name) =>
        this.append(name, value),
      )
    } else {
      const record = init as Record<string, string | number | boolean | null | undefined>
      Object.keys(record).forEach((name) => {
        const value = record[name]
        // Skip absent values instead of sending the string "undefined".
        if (value !== undefined && value !== null) this.append(name, String(value))
      })
    }
  }

  append(name: string, value: string): void {
    const key = normaliseName(name)
    const existing = this.map.get(key)
    this.map.set(key, existing === undefined ? String(value) : `${existing}, ${value}`)
  }

  set(name: string, value: string): void {
    this.map.set(normaliseName(name), String(value))
  }

  get(name: string): string | null {
    const value = this.map.get(normaliseName(name))
    return value === undefined ? null : value
  }

  has(name: string): boolean {
    return this.map.has(normaliseName(name))
  }

  delete(name: string): void {
    this.map.delete(normaliseName(name))
  }

  getSetCookie(): string[] {
    const value = this.map.get('set-cookie')
    return value === undefined ? [] : [value]
  }

  forEach(callback: (value: string, name: string, parent: TaroHeaders) => void): void {
    this.sortedEntries().forEach(([name, value]) => callback(value, name, this))
  }

  entries(): IterableIterator<[string, string]> {
    return this.sortedEntries()[Symbol.iterator]()
  }

  keys(): IterableIterator<string> {
    return this.sortedEntries()
      .map(([name]) => name)
      [Symbol.iterator]()
  }

  values(): IterableIterator<string> {
    return this.sortedEntries()
      .map(([, value]) => value)
      [Symbol.iterator]()
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries()
  }

  /** A plain object, the shape wx.request wants for its `header` option. */
  toRecord(): Record<string, string> {
    const record: Record<string, string> = {}
    this.map.forEach((value, name) => {
      record[name] = value
    })
    return record
  }

  /** The standard iterates in sorted name order. */
  private sortedEntries(): Array<[string, string]> {
    return Array.from(this.map.entries()).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  }
}

function normaliseName(name: string): string {
  const key = String(name).trim().toLowerCase()
  if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(key)) {
    throw new TypeError(`Invalid header name: ${name}`)
  }
  return key
}
