import { URL as TaroRuntimeURL } from '@tarojs/runtime'

/**
 * URL for the mini-program build.
 *
 * Taro's runtime URL (what `URL` means in a mini build) accepts only http(s) and ignores
 * the base URL's path when resolving a relative reference. supabase-js needs both:
 * createClient() turns its realtime endpoint into ws(s)://… and parses it again, and a
 * project URL may carry a path (a self-hosted stack behind a prefix). So we resolve the
 * reference ourselves (RFC 3986 §5.2) and let Taro's class parse an http(s) spelling,
 * putting the real ws(s) scheme back afterwards.
 */
export class TaroURL extends TaroRuntimeURL {
  constructor(url: string | { href: string }, base?: string | { href: string }) {
    const absolute = resolveReference(hrefOf(url), base === undefined ? undefined : hrefOf(base))
    const wsMatch = /^(wss?):/i.exec(absolute)
    super(wsMatch ? absolute.replace(/^ws/i, 'http') : absolute)
    if (wsMatch) this.protocol = `${wsMatch[1].toLowerCase()}:`
  }
}

const SCHEME = /^[a-z][a-z0-9+.-]*:/i
const SUPPORTED = /^(https?|wss?):\/\//i

function hrefOf(value: string | { href: string }): string {
  return (typeof value === 'string' ? value : value.href).trim()
}

/** Resolve `reference` against `base` the way browsers do, for hierarchical URLs. */
export function resolveReference(reference: string, base?: string): string {
  if (SCHEME.test(reference)) {
    if (!SUPPORTED.test(reference)) throw new TypeError(`Failed to construct 'URL': Invalid URL ${reference}`)
    return reference
  }
  if (base === undefined) throw new TypeError(`Failed to construct 'URL': Invalid URL ${reference}`)
  const parts = splitBase(base)
  if (reference.startsWith('//')) return `${parts.scheme}${reference}`
  if (reference === '') return stripHash(base)
  if (reference.startsWith('#')) return `${stripHash(base)}${reference}`
  if (reference.startsWith('?')) return `${parts.origin}${parts.path}${reference}`
  if (reference.startsWith('/')) return `${parts.origin}${removeDotSegments(reference)}`
  const directory = parts.path.slice(0, parts.path.lastIndexOf('/') + 1) || '/'
  return `${parts.origin}${removeDotSegments(directory + reference)}`
}

function splitBase(base: string): { scheme: string; origin: string; path: string } {
  const match = /^([a-z][a-z0-9+.-]*:)\/\/([^/?#]*)([^?#]*)/i.exec(base)
  if (!match || !SUPPORTED.test(base)) throw new TypeError(`Failed to construct 'URL': Invalid base URL ${base}`)
  return { scheme: match[1], origin: `${match[1]}//${match[2]}`, path: match[3] || '/' }
}

function stripHash(url: string): string {
  const index = url.indexOf('#')
  return index === -1 ? url : url.slice(0, index)
}

/** RFC 3986 §5.2.4, on the path part only (query and fragment are kept as they are). */
function removeDotSegments(pathWithRest: string): string {
  const restIndex = pathWithRest.search(/[?#]/)
  const path = restIndex === -1 ? pathWithRest : pathWithRest.slice(0, restIndex)
  const rest = restIndex === -1 ? '' : pathWithRest.slice(restIndex)
  const output: string[] = []
  const segments = path.split('/')
  segments.forEach((segment, index) => {
    const last = index === segments.length - 1
    if (segment === '..') {
      if (output.length > 1) output.pop()
      if (last) output.push('')
    } else if (segment === '.') {
      if (last) output.push('')
    } else {
      output.push(segment)
    }
  })
  const joined = output.join('/')
  return (joined.startsWith('/') ? joined : `/${joined}`) + rest
}
