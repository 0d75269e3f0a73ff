import { useState } from 'react'
import { App, Form, Input, InputNumber, Modal, Select } from 'antd'
import { ApiError } from '../../services/errors'
import { adjustBalance, type AdjustableAsset } from '../../services/console'
import { yuan } from '../format'

/** 余额调整: a signed amount and a reason; the database posts it through the ledger and audits it. */
export function useAdjustBalance(done?: () => void) {
  const { message } = App.useApp()
  const [target, setTarget] = useState<{ memberId: string; label: string } | null>(null)
  const [form] = Form.useForm()
  const modal = (
    <Modal open={!!target} title={`余额调整：${target?.label ?? ''}`} okText='确认调整' cancelText='取消' onCancel={() => setTarget(null)}
      onOk={async () => {
        const v = await form.validateFields()
        const asset = v.asset as AdjustableAsset
        const delta = asset === 'points' ? Math.round(Number(v.amount)) : Math.round(Number(v.amount) * 100)
        try {
          const r = await adjustBalance(target!.memberId, asset, delta, v.reason)
          message.success(asset === 'points' ? `已调整，积分余额 ${r.balance_after}` : `已调整，余额 ${yuan(r.balance_after)}`)
          setTarget(null)
          done?.()
        } catch (e) {
          message.error(e instanceof ApiError ? e.message : '调整失败')
        }
      }}>
      <Form form={form} layout='vertical' initialValues={{ asset: 'cash' }}>
        <Form.Item name='asset' label='余额类型'>
          <Select options={[{ value: 'cash', label: '返现' }, { value: 'commission', label: '佣金' }, { value: 'points', label: '积分' }, { value: 'love', label: '爱心值' }]} />
        </Form.Item>
        <Form.Item name='amount' label='调整数额（正数增加，负数扣减；金额单位元）' rules={[{ required: true, message: '请填写调整数额' }]}>
          <InputNumber precision={2} style={{ width: 200 }} />
        </Form.Item>
        <Form.Item name='reason' label='原因' rules={[{ required: true, whitespace: true, message: '请填写原因' }]}>
          <Input.TextArea rows={2} maxLength={200} />
        </Form.Item>
      </Form>
    </Modal>
  )
  return { modal, open: (memberId: string, label: string) => { form.resetFields(); setTarget({ memberId, label }) } }
}
