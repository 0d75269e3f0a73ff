import { useState } from 'react'
import { Input, Modal } from 'antd'

/** Asks for the reason a change needs (written to the audit log), then runs it. */
export function useReasonPrompt() {
  const [state, setState] = useState<{ title: string; label: string; run: (reason: string) => Promise<void> } | null>(null)
  const [reason, setReason] = useState('')
  const [busy, setBusy] = useState(false)
  const modal = (
    <Modal open={!!state} title={state?.title} okText='确定' cancelText='取消' confirmLoading={busy}
      okButtonProps={{ disabled: reason.trim() === '' }}
      onCancel={() => setState(null)}
      onOk={async () => {
        if (!state) return
        setBusy(true)
        try { await state.run(reason.trim()); setState(null) } finally { setBusy(false) }
      }}>
      <div style={{ marginBottom: 8 }}>{state?.label}</div>
      <Input.TextArea rows={3} maxLength={200} value={reason} onChange={(e) => setReason(e.target.value)} placeholder='必填，1 到 200 个字' data-testid='reason-input' />
    </Modal>
  )
  return { modal, ask: (title: string, label: string, run: (reason: string) => Promise<void>) => { setReason(''); setState({ title, label, run }) } }
}
