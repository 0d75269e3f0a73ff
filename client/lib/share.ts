/** The invite a shared page carries (hooks/use-invite-share.ts): `inv=<invite code>` in its query. */
export const INVITE_PARAM = 'inv'
const CODE = /^[A-Z0-9]{4,24}$/

/** Adds inv=<code> to a path's query (no change without a code). */
export function withInvite(path: string, code: string | null): string {
  if (!code) return path
  return `${path}${path.includes('?') ? '&' : '?'}${INVITE_PARAM}=${encodeURIComponent(code)}`
}

/** The query a timeline post opens its page with: the path's own query plus inv. */
export function timelineQuery(path: string, code: string | null): string {
  const query = path.includes('?') ? path.slice(path.indexOf('?') + 1) : ''
  return withInvite(`?${query}`, code).slice(1).replace(/^&/, '')
}

/** A usable invite code from a page query value, or null. */
export function inviteParam(value: string | undefined): string | null {
  if (!value) return null
  let text = value
  try {
    text = decodeURIComponent(value)
  } catch {
    return null
  }
  const code = text.trim().toUpperCase()
  return CODE.test(code) ? code : null
}
