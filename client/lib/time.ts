/**
 * Times are shown in Asia/Shanghai (SPEC §2) whatever the phone's zone, without Intl time
 * zone support (the WeChat JS runtime does not promise it): UTC+8 has no daylight saving.
 */
const SHANGHAI_OFFSET_MS = 8 * 3600 * 1000

const pad = (n: number): string => String(n).padStart(2, '0')

/** '2026-11-25T02:30:00Z' → '2026-11-25 10:30'; '' for a missing or unreadable time. */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return ''
  const ms = Date.parse(iso)
  if (!Number.isFinite(ms)) return ''
  const d = new Date(ms + SHANGHAI_OFFSET_MS)
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`
}
