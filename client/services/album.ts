import Taro from '@tarojs/taro'
import { isWeapp } from './env'
import { ApiError } from './errors'

/**
 * Save a base64 image (the invite code, the share poster) for the member: on WeChat into the photo album
 * (written to a user-data file first; the album wants a file path), on H5 as a download.
 */
export async function saveBase64Image(base64: string, mime: string, name: string): Promise<void> {
  const ext = mime === 'image/jpeg' ? 'jpg' : 'png'
  if (!isWeapp) {
    const link = document.createElement('a')
    link.href = `data:${mime};base64,${base64}`
    link.download = `${name}.${ext}`
    document.body.appendChild(link)
    link.click()
    link.remove()
    return
  }
  const filePath = `${Taro.env.USER_DATA_PATH}/${name}.${ext}`
  try {
    await new Promise<void>((resolve, reject) => {
      Taro.getFileSystemManager().writeFile({
        filePath,
        data: base64,
        encoding: 'base64',
        success: () => resolve(),
        fail: (error) => reject(error),
      })
    })
  } catch (error) {
    throw albumError(error)
  }
  await saveImageFile(filePath)
}

/** WeChat only: save an image file (a temp file, e.g. an exported canvas) to the photo album. */
export async function saveImageFile(filePath: string): Promise<void> {
  try {
    await Taro.saveImageToPhotosAlbum({ filePath })
  } catch (error) {
    throw albumError(error)
  }
}

function albumError(error: unknown): ApiError {
  const message = error && typeof error === 'object' ? String((error as { errMsg?: unknown }).errMsg ?? '') : ''
  if (/auth|deny|denied/i.test(message)) return new ApiError('album_denied', '没有相册权限，请在设置中允许保存到相册', 0)
  if (/cancel/i.test(message)) return new ApiError('album_cancelled', '已取消保存', 0)
  return new ApiError('album_failed', '保存失败，请稍后重试', 0)
}
