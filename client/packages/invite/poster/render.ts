import Taro from '@tarojs/taro'
import { drawPoster, POSTER_HEIGHT, POSTER_WIDTH, type PosterContent, type PosterContext } from '@/lib/poster'
import { isWeapp } from '@/services/env'

/** The canvas element's id on WeChat (canvas type="2d" on the page, drawn off screen). */
export const POSTER_CANVAS_ID = 'poster-canvas'

/**
 * Draws the poster and returns an image the page can show and save: on WeChat a temp file
 * (canvasToTempFilePath of the page's 2d canvas), on H5 a PNG data URL (an off-screen canvas).
 * `code` is the mini-program code as invite-qrcode returns it (base64).
 */
export async function renderPoster(content: PosterContent, code: { mime: string; base64: string }): Promise<string> {
  return isWeapp ? renderWeapp(content, code) : renderBrowser(content, code)
}

async function renderBrowser(content: PosterContent, code: { mime: string; base64: string }): Promise<string> {
  const canvas = document.createElement('canvas')
  canvas.width = POSTER_WIDTH
  canvas.height = POSTER_HEIGHT
  const ctx = canvas.getContext('2d')
  if (!ctx) throw new Error('no 2d canvas')
  const image = new Image()
  await new Promise<void>((resolve, reject) => {
    image.onload = () => resolve()
    image.onerror = () => reject(new Error('code image failed to load'))
    image.src = `data:${code.mime};base64,${code.base64}`
  })
  drawPoster(ctx as unknown as PosterContext, content, image)
  return canvas.toDataURL('image/png')
}

interface WeappCanvas {
  width: number
  height: number
  getContext(type: '2d'): PosterContext
  createImage(): { onload: (() => void) | null; onerror: ((e: unknown) => void) | null; src: string }
}

async function renderWeapp(content: PosterContent, code: { mime: string; base64: string }): Promise<string> {
  const canvas = await new Promise<WeappCanvas>((resolve, reject) => {
    Taro.createSelectorQuery()
      .select(`#${POSTER_CANVAS_ID}`)
      .fields({ node: true, size: true })
      .exec((result: Array<{ node?: WeappCanvas } | null>) => {
        const node = result?.[0]?.node
        if (node) resolve(node)
        else reject(new Error('poster canvas not found'))
      })
  })
  canvas.width = POSTER_WIDTH
  canvas.height = POSTER_HEIGHT
  const ctx = canvas.getContext('2d')
  // The canvas image loads files (a data URL is not reliable on every WeChat version).
  const filePath = `${Taro.env.USER_DATA_PATH}/poster-code.${code.mime === 'image/jpeg' ? 'jpg' : 'png'}`
  await new Promise<void>((resolve, reject) => {
    Taro.getFileSystemManager().writeFile({ filePath, data: code.base64, encoding: 'base64', success: () => resolve(), fail: reject })
  })
  const image = canvas.createImage()
  await new Promise<void>((resolve, reject) => {
    image.onload = () => resolve()
    image.onerror = (error) => reject(error)
    image.src = filePath
  })
  drawPoster(ctx, content, image)
  const result = await Taro.canvasToTempFilePath({ canvas, fileType: 'png' } as unknown as Taro.canvasToTempFilePath.Option)
  return result.tempFilePath
}
