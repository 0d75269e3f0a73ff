/**
 * The share poster (分享海报): one image with the programme's name and pitch, the member's
 * mini-program code and invite code, drawn on a 2D canvas. Pure drawing over the part of
 * CanvasRenderingContext2D both runtimes have (WeChat's canvas type="2d" and the browser's),
 * so the page only supplies a context and the loaded code image.
 */

/** Poster size in canvas pixels (3:5, sharp on a 3× phone at 250 × 417 pt). */
export const POSTER_WIDTH = 750
export const POSTER_HEIGHT = 1250

export interface PosterContent {
  /** the programme's name (rebate_display_settings.display_name) */
  title: string
  /** what it offers, one short line each */
  pitch: string[]
  /** under the code: 邀请码 ABCD1234 / 招商码 ABCD1234 */
  codeLine: string
  /** how to use the code */
  hint: string
  /** the honest small print */
  note: string
}

/** The drawing calls we use (a subset of CanvasRenderingContext2D, typed loosely for WeChat's). */
export interface PosterContext {
  fillStyle: unknown
  font: string
  textAlign: string
  textBaseline: string
  fillRect(x: number, y: number, w: number, h: number): void
  fillText(text: string, x: number, y: number): void
  measureText(text: string): { width: number }
  drawImage(image: unknown, x: number, y: number, w: number, h: number): void
  beginPath(): void
  moveTo(x: number, y: number): void
  arcTo(x1: number, y1: number, x2: number, y2: number, r: number): void
  closePath(): void
  fill(): void
  createLinearGradient(x0: number, y0: number, x1: number, y1: number): { addColorStop(offset: number, color: string): void }
}

const ACCENT = '#e4393c'
const ACCENT_2 = '#f0744f'
const FONT = '"PingFang SC", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif'

/** The poster's words for an invite (member) or a merchant invite (招商). */
export function posterContent(kind: 'member' | 'merchant', programme: string, code: string): PosterContent {
  const title = programme.trim() || '排队返利'
  if (kind === 'merchant') {
    return {
      title: `${title} · 商家入驻`,
      pitch: ['顾客扫收银台码买单，即可加入返利队列', '线上开店，门店商品也能排队返利', '经营数据、收银台码在“我的门店”随时查看'],
      codeLine: `招商码 ${code}`,
      hint: '长按识别小程序码，填写入驻申请',
      note: '入驻需平台审核，审核结果将通过消息通知',
    }
  }
  return {
    title,
    pitch: ['购物即加入返利队列', '后续订单按顺序为排在前面的名额返现', '返现可提现，进度随时可查'],
    codeLine: `邀请码 ${code}`,
    hint: '长按识别小程序码，接受邀请',
    note: '返现多少、何时返完取决于后续销售，以小程序内显示为准',
  }
}

/** Splits text into lines no wider than maxWidth (by character: Chinese has no spaces). */
export function wrapText(ctx: Pick<PosterContext, 'measureText'>, text: string, maxWidth: number): string[] {
  const lines: string[] = []
  let line = ''
  for (const ch of Array.from(text)) {
    if (line !== '' && ctx.measureText(line + ch).width > maxWidth) {
      lines.push(line)
      line = ch
    } else {
      line += ch
    }
  }
  if (line !== '') lines.push(line)
  return lines
}

function roundRect(ctx: PosterContext, x: number, y: number, w: number, h: number, r: number): void {
  ctx.beginPath()
  ctx.moveTo(x + r, y)
  ctx.arcTo(x + w, y, x + w, y + h, r)
  ctx.arcTo(x + w, y + h, x, y + h, r)
  ctx.arcTo(x, y + h, x, y, r)
  ctx.arcTo(x, y, x + w, y, r)
  ctx.closePath()
  ctx.fill()
}

/** Draws the whole poster; `code` is the loaded mini-program code image. */
export function drawPoster(ctx: PosterContext, content: PosterContent, code: unknown): void {
  const W = POSTER_WIDTH
  const H = POSTER_HEIGHT
  const gradient = ctx.createLinearGradient(0, 0, W, H)
  gradient.addColorStop(0, ACCENT)
  gradient.addColorStop(1, ACCENT_2)
  ctx.fillStyle = gradient
  ctx.fillRect(0, 0, W, H)

  ctx.textAlign = 'center'
  ctx.textBaseline = 'middle'
  ctx.fillStyle = '#ffffff'
  ctx.font = `bold 56px ${FONT}`
  let y = 110
  for (const line of wrapText(ctx, content.title, W - 96)) {
    ctx.fillText(line, W / 2, y)
    y += 70
  }
  ctx.font = `32px ${FONT}`
  y += 10
  for (const item of content.pitch) {
    for (const line of wrapText(ctx, item, W - 120)) {
      ctx.fillText(line, W / 2, y)
      y += 48
    }
  }

  // the white card with the code
  const cardTop = Math.max(y + 30, 430)
  const cardHeight = H - cardTop - 60
  ctx.fillStyle = '#ffffff'
  roundRect(ctx, 48, cardTop, W - 96, cardHeight, 32)
  const size = 400
  ctx.drawImage(code, (W - size) / 2, cardTop + 50, size, size)
  ctx.fillStyle = '#333333'
  ctx.font = `bold 40px ${FONT}`
  ctx.fillText(content.codeLine, W / 2, cardTop + size + 110)
  ctx.fillStyle = '#666666'
  ctx.font = `30px ${FONT}`
  ctx.fillText(content.hint, W / 2, cardTop + size + 170)
  ctx.fillStyle = '#999999'
  ctx.font = `24px ${FONT}`
  let noteY = cardTop + size + 230
  for (const line of wrapText(ctx, content.note, W - 180)) {
    ctx.fillText(line, W / 2, noteY)
    noteY += 36
  }
}
