import Taro from '@tarojs/taro'

/**
 * A WebSocket-shaped class over Taro.connectSocket, passed to supabase-js as the realtime
 * transport on mini-program builds. realtime-js looks for a WebSocket class as soon as
 * createClient() runs and throws without one, even if no channel is ever opened.
 *
 * It covers what Phoenix's socket uses: the constructor (url, protocols), readyState,
 * binaryType, bufferedAmount, the four on* handlers, send() and close().
 */
type Payload = string | ArrayBuffer

interface SocketEventHandlers {
  onopen: ((event: { type: 'open' }) => void) | null
  onmessage: ((event: { type: 'message'; data: Payload }) => void) | null
  onerror: ((event: { type: 'error'; message: string }) => void) | null
  onclose: ((event: { type: 'close'; code: number; reason: string; wasClean: boolean }) => void) | null
}

export class TaroWebSocket implements SocketEventHandlers {
  static readonly CONNECTING = 0
  static readonly OPEN = 1
  static readonly CLOSING = 2
  static readonly CLOSED = 3

  readonly url: string
  readyState: number = TaroWebSocket.CONNECTING
  binaryType: 'arraybuffer' | 'blob' = 'arraybuffer'
  bufferedAmount = 0
  /** Phoenix sets this on every transport (it matters only to long-polling). */
  timeout = 0

  onopen: SocketEventHandlers['onopen'] = null
  onmessage: SocketEventHandlers['onmessage'] = null
  onerror: SocketEventHandlers['onerror'] = null
  onclose: SocketEventHandlers['onclose'] = null

  private task: Taro.SocketTask | null = null
  /** close() may be called before the task exists; remember it and close on arrival. */
  private closeRequested: { code: number; reason: string } | null = null

  constructor(url: string, protocols?: string | string[]) {
    this.url = url
    const list = protocols === undefined ? undefined : Array.isArray(protocols) ? protocols : [protocols]
    Taro.connectSocket({ url, protocols: list }).then(
      (task) => this.attach(task),
      (error: unknown) => this.fail(error),
    )
  }

  send(data: Payload): void {
    if (!this.task || this.readyState !== TaroWebSocket.OPEN) {
      throw new Error('WebSocket is not open')
    }
    this.task.send({ data })
  }

  close(code = 1000, reason = ''): void {
    if (this.readyState === TaroWebSocket.CLOSED || this.readyState === TaroWebSocket.CLOSING) return
    this.readyState = TaroWebSocket.CLOSING
    if (this.task) this.task.close({ code, reason })
    else this.closeRequested = { code, reason }
  }

  private attach(task: Taro.SocketTask): void {
    this.task = task
    task.onOpen(() => {
      this.readyState = TaroWebSocket.OPEN
      this.onopen?.({ type: 'open' })
    })
    task.onMessage((message) => {
      this.onmessage?.({ type: 'message', data: message.data })
    })
    task.onError((error) => {
      this.onerror?.({ type: 'error', message: error.errMsg })
    })
    task.onClose((event) => {
      this.readyState = TaroWebSocket.CLOSED
      this.onclose?.({ type: 'close', code: event.code, reason: event.reason, wasClean: event.code === 1000 })
    })
    if (this.closeRequested) task.close(this.closeRequested)
  }

  private fail(error: unknown): void {
    const message = error && typeof error === 'object' && 'errMsg' in error ? String(error.errMsg) : String(error)
    this.readyState = TaroWebSocket.CLOSED
    this.onerror?.({ type: 'error', message })
    this.onclose?.({ type: 'close', code: 1006, reason: message, wasClean: false })
  }
}
