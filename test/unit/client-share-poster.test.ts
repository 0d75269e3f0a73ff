// The share poster's words and layout helpers (lib/poster.ts) and the invite a shared page
// carries (lib/share.ts).
import { drawPoster, posterContent, POSTER_HEIGHT, POSTER_WIDTH, wrapText, type PosterContext } from '@/lib/poster'
import { inviteParam, timelineQuery, withInvite } from '@/lib/share'

/** A context that measures every character as 10 px and records what is drawn. */
function fakeContext() {
  const texts: Array<{ text: string; x: number; y: number; font: string }> = []
  const images: Array<{ x: number; y: number; w: number; h: number }> = []
  const ctx: PosterContext & { texts: typeof texts; images: typeof images } = {
    texts,
    images,
    fillStyle: '',
    font: '',
    textAlign: '',
    textBaseline: '',
    fillRect: () => undefined,
    fillText(text, x, y) { texts.push({ text, x, y, font: this.font }) },
    measureText: (text) => ({ width: Array.from(text).length * 10 }),
    drawImage: (_image, x, y, w, h) => void images.push({ x, y, w, h }),
    beginPath: () => undefined,
    moveTo: () => undefined,
    arcTo: () => undefined,
    closePath: () => undefined,
    fill: () => undefined,
    createLinearGradient: () => ({ addColorStop: () => undefined }),
  }
  return ctx
}

describe('share poster', () => {
  it('says what the programme is, honestly, with the invite code', () => {
    const c = posterContent('member', '共享链', 'DEMO0002')
    expect(c.title).toBe('共享链')
    expect(c.codeLine).toBe('邀请码 DEMO0002')
    expect(c.note).toContain('取决于后续销售')
    expect(posterContent('member', '  ', 'X1234567').title).toBe('排队返利')
    const m = posterContent('merchant', '共享链', 'P123456789')
    expect(m.codeLine).toBe('招商码 P123456789')
    expect(m.hint).toContain('入驻申请')
  })

  it('wraps Chinese text by character within the width', () => {
    const ctx = fakeContext()
    expect(wrapText(ctx, '一二三四五六七', 30)).toEqual(['一二三', '四五六', '七'])
    expect(wrapText(ctx, '', 30)).toEqual([])
    expect(wrapText(ctx, '长', 5)).toEqual(['长'])
  })

  it('draws every line inside the poster and the code in the card, below the pitch', () => {
    const ctx = fakeContext()
    const content = posterContent('member', '共享链', 'DEMO0002')
    drawPoster(ctx, content, {})
    expect(ctx.images).toHaveLength(1)
    const [code] = ctx.images
    expect(code.w).toBe(code.h)
    expect(code.x + code.w / 2).toBe(POSTER_WIDTH / 2)
    const drawn = ctx.texts.map((t) => t.text).join('|')
    for (const line of [content.title, ...content.pitch, content.codeLine, content.hint]) expect(drawn).toContain(line)
    for (const t of ctx.texts) {
      expect(t.y).toBeGreaterThan(0)
      expect(t.y).toBeLessThan(POSTER_HEIGHT)
    }
    const pitchBottom = Math.max(...ctx.texts.filter((t) => content.pitch.includes(t.text)).map((t) => t.y))
    expect(code.y).toBeGreaterThan(pitchBottom)
    expect(ctx.texts.find((t) => t.text === content.codeLine)!.y).toBeGreaterThan(code.y + code.h)
  })
})

describe('the invite a shared page carries', () => {
  it('adds inv to the shared path and to the timeline query', () => {
    expect(withInvite('/pages/index/index', 'DEMO0002')).toBe('/pages/index/index?inv=DEMO0002')
    expect(withInvite('/packages/shop/detail/index?id=3', 'DEMO0002')).toBe('/packages/shop/detail/index?id=3&inv=DEMO0002')
    expect(withInvite('/pages/index/index', null)).toBe('/pages/index/index')
    expect(timelineQuery('/pages/index/index', 'DEMO0002')).toBe('inv=DEMO0002')
    expect(timelineQuery('/packages/shop/detail/index?id=3&store_id=1', 'DEMO0002')).toBe('id=3&store_id=1&inv=DEMO0002')
    expect(timelineQuery('/packages/shop/detail/index?id=3', null)).toBe('id=3')
  })

  it('reads a usable invite code from the page query, or none', () => {
    expect(inviteParam('demo0002')).toBe('DEMO0002')
    expect(inviteParam(' DEMO0002 ')).toBe('DEMO0002')
    expect(inviteParam(undefined)).toBeNull()
    expect(inviteParam('')).toBeNull()
    expect(inviteParam('ab')).toBeNull()
    expect(inviteParam('DEMO0002&x=1')).toBeNull()
    expect(inviteParam('%E0%A4%A')).toBeNull()
  })
})
