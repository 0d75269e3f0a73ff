import type { ConsoleSession } from '../services/console'

/**
 * The console's session: the 8-hour member token from console-login (or dev-login locally), kept
 * in localStorage. There is no silent renewal: an expired session goes back to the login page.
 */
const KEY = 'rebate-console-session'
const listeners = new Set<() => void>()

export function readSession(): ConsoleSession | null {
  try {
    const s = JSON.parse(localStorage.getItem(KEY) ?? 'null') as ConsoleSession | null
    if (!s || typeof s.access_token !== 'string' || s.expires_at * 1000 <= Date.now() + 30_000) return null
    return s
  } catch {
    return null
  }
}

export function saveSession(s: ConsoleSession | null): void {
  if (s) localStorage.setItem(KEY, JSON.stringify({ access_token: s.access_token, expires_at: s.expires_at, user: s.user }))
  else localStorage.removeItem(KEY)
  listeners.forEach((l) => l())
}

export function onSessionChange(l: () => void): () => void {
  listeners.add(l)
  return () => listeners.delete(l)
}
