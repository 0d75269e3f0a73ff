/**
 * Scenes of our mini-program codes (getwxacodeunlimit `scene`, at most 32 characters):
 *   i=<member code>     invite: bind the scanner to this member as referrer
 *   m=<invite code>     merchant invite: open the merchant application (入驻申请)
 *   c=<cashier code>    a store cashier (收银台买单)
 * WeChat passes the scene URI-encoded in the page query (`scene=i%3DAB12CD34`); a plain QR
 * code scanned inside the app (Taro.scanCode) gives the page path or the bare scene text.
 */
export type Scene =
  | { kind: 'invite'; code: string }
  | { kind: 'merchant'; code: string }
  | { kind: 'cashier'; code: string }
  | { kind: 'unknown' }

const KINDS = { i: 'invite', m: 'merchant', c: 'cashier' } as const
type Prefix = keyof typeof KINDS

const SCENE = /^([imc])=([A-Za-z0-9]{4,24})$/

export function buildScene(kind: Exclude<Scene['kind'], 'unknown'>, code: string): string {
  const prefix = (Object.keys(KINDS) as Prefix[]).find((p) => KINDS[p] === kind)
  return `${prefix}=${code}`
}

/** A scene as it arrives in a page query (possibly URI-encoded once or twice). */
export function parseScene(raw: string | null | undefined): Scene {
  if (!raw) return { kind: 'unknown' }
  let text = raw.trim()
  for (let i = 0; i < 2 && /%[0-9A-Fa-f]{2}/.test(text); i += 1) {
    try {
      text = decodeURIComponent(text)
    } catch {
      return { kind: 'unknown' }
    }
  }
  const match = SCENE.exec(text)
  if (!match) return { kind: 'unknown' }
  return { kind: KINDS[match[1] as Prefix], code: match[2].toUpperCase() }
}

/**
 * The scene of something scanned with Taro.scanCode: a mini-program code gives `path`
 * ('packages/cashier/index?scene=c%3DAB12'), a plain QR code gives `result` (the scene
 * itself, or a link carrying `scene=`).
 */
export function sceneFromScan(scan: { result?: string; path?: string }): Scene {
  for (const text of [scan.path, scan.result, jsonScene(scan.result)]) {
    if (!text) continue
    const query = /[?&]scene=([^&#]+)/.exec(text)
    const scene = parseScene(query ? query[1] : text)
    if (scene.kind !== 'unknown') return scene
  }
  return { kind: 'unknown' }
}

/** The local WeChat fake draws mini-program codes as QR codes of {page, scene, env_version}. */
function jsonScene(text: string | undefined): string | undefined {
  if (!text || !text.startsWith('{')) return undefined
  try {
    const value = JSON.parse(text) as { scene?: unknown }
    return typeof value.scene === 'string' ? value.scene : undefined
  } catch {
    return undefined
  }
}
