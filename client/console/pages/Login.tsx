import { useEffect, useRef, useState } from 'react'
import { Alert, Button, Card, Divider, Space, Typography } from 'antd'
import QRCode from 'qrcode'
import { invokeFunction } from '../../services/api'
import { ApiError } from '../../services/errors'
import { createLoginTicket, loginQrText, pollLoginTicket, type ConsoleSession, type LoginTicket } from '../../services/console'
import { localDev } from '../env'
import { saveSession } from '../session'

const DEMO = [
  { code: 'DEMO0001', label: '演示会员一（超级管理员）' },
  { code: 'DEMO0002', label: '演示会员二（运营）' },
  { code: 'DEMO0004', label: '演示会员四（财务）' },
  { code: 'DEMO0003', label: '演示会员三（店主）' },
]

/** 扫码登录: a one-time ticket as a QR code; the operator confirms it in the mini-program. */
export default function Login() {
  const [ticket, setTicket] = useState<LoginTicket | null>(null)
  const [qr, setQr] = useState<string | null>(null)
  const [left, setLeft] = useState(0)
  const [error, setError] = useState<string | null>(null)
  const [expired, setExpired] = useState(false)
  const polling = useRef(false)

  async function fresh() {
    setError(null)
    setExpired(false)
    try {
      const t = await createLoginTicket()
      setTicket(t)
      setQr(await QRCode.toDataURL(loginQrText(t.ticket), { width: 220, margin: 1 }))
    } catch (e) {
      setError(e instanceof ApiError ? e.message : '无法获取登录二维码，请稍后重试')
    }
  }
  useEffect(() => { void fresh() }, [])

  useEffect(() => {
    if (!ticket || expired) return
    const timer = window.setInterval(async () => {
      const ms = Date.parse(ticket.expires_at) - Date.now()
      setLeft(Math.max(0, Math.ceil(ms / 1000)))
      if (ms <= 0) { setExpired(true); return }
      if (polling.current) return
      polling.current = true
      try {
        const r = await pollLoginTicket(ticket)
        if (r.status === 'confirmed') saveSession(r)
      } catch (e) {
        if (e instanceof ApiError && (e.code === 'ticket_expired' || e.code === 'ticket_used')) setExpired(true)
        setError(e instanceof ApiError ? e.message : '登录失败，请刷新二维码')
      } finally {
        polling.current = false
      }
    }, 1500)
    return () => window.clearInterval(timer)
  }, [ticket, expired])

  async function devLogin(code: string) {
    setError(null)
    try {
      saveSession(await invokeFunction<ConsoleSession>('dev-login', { member_code: code }))
    } catch (e) {
      setError(e instanceof ApiError ? e.message : '登录失败')
    }
  }

  return (
    <div style={{ minHeight: '100%', display: 'flex', alignItems: 'center', justifyContent: 'center', background: '#f5f5f5' }}>
      <Card style={{ width: 420 }} title='排队返利 · 运营后台'>
        <Space direction='vertical' align='center' style={{ width: '100%' }}>
          <Typography.Text>请使用小程序「我的 → 扫码登录后台」扫描二维码</Typography.Text>
          <div style={{ position: 'relative', width: 220, height: 220 }}>
            {qr && <img src={qr} width={220} height={220} alt='登录二维码' data-testid='login-qr' data-ticket={ticket?.ticket}
              style={{ opacity: expired ? 0.2 : 1 }} />}
            {expired && <Button type='primary' style={{ position: 'absolute', top: 94, left: 60 }} onClick={() => void fresh()}>
              二维码已过期，点击刷新</Button>}
          </div>
          {!expired && ticket && <Typography.Text type='secondary'>{left} 秒后过期 · 等待手机确认…</Typography.Text>}
          {error && <Alert type='error' showIcon message={error} data-testid='login-error' />}
        </Space>
        {localDev && (
          <>
            <Divider>本地演示登录</Divider>
            <Space wrap>
              {DEMO.map((d) => <Button key={d.code} onClick={() => void devLogin(d.code)}>{d.label}</Button>)}
            </Space>
          </>
        )}
      </Card>
    </div>
  )
}
