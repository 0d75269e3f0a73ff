import Taro, { useRouter } from '@tarojs/taro'
import { useCallback, useState } from 'react'
import { useSignedInLoad, type SignedInLoad } from '@/hooks/use-signed-in-load'
import { userMessage } from '@/hooks/user-message'
import { confirmTicket, fetchTicketInfo, ticketFromQr, type TicketInfo } from '@/services/console'

export interface ConsoleLoginData {
  /** null: no ticket yet (opened from 我的), scan one */
  info: TicketInfo | null
}

export type ConfirmState = { kind: 'idle' } | { kind: 'confirming' } | { kind: 'done' } | { kind: 'failed'; message: string }

export interface ConsoleLoginPage extends SignedInLoad<ConsoleLoginData> {
  confirm: () => Promise<void>
  scan: () => Promise<void>
  confirmState: ConfirmState
}

/**
 * 扫码登录运营后台: the ticket comes from the page query (?ticket=…) or from scanning the console's
 * QR code here; the member (holding a console role) sees when the login was asked for and confirms.
 */
export function useConsoleLoginPage(): ConsoleLoginPage {
  const router = useRouter()
  const [ticket, setTicket] = useState<string | null>(() => ticketFromQr(`?ticket=${router.params.ticket ?? ''}`))
  const [confirmState, setConfirmState] = useState<ConfirmState>({ kind: 'idle' })
  const page = useSignedInLoad<ConsoleLoginData>(async () => ({ info: ticket ? await fetchTicketInfo(ticket) : null }))

  const scan = useCallback(async () => {
    try {
      const r = await Taro.scanCode({ onlyFromCamera: true })
      const t = ticketFromQr(r.result ?? '')
      if (!t) {
        void Taro.showToast({ title: '这不是运营后台的登录二维码', icon: 'none' })
        return
      }
      setTicket(t)
      setConfirmState({ kind: 'idle' })
      await Promise.resolve()
      void page.reload(true)
    } catch {
      // scanning cancelled
    }
  }, [page])

  const confirm = useCallback(async () => {
    if (!ticket) return
    setConfirmState({ kind: 'confirming' })
    try {
      await confirmTicket(ticket)
      setConfirmState({ kind: 'done' })
    } catch (error) {
      setConfirmState({ kind: 'failed', message: userMessage(error) })
    }
  }, [ticket])

  return { ...page, confirm, scan, confirmState }
}
