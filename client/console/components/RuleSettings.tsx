import { useEffect, useState } from 'react'
import { Alert, App, Col, Input, InputNumber, Modal, Row, Select, Spin, Switch, Typography } from 'antd'
import { ApiError } from '../../services/errors'
import { fetchRuleSettings, updateRuleSettings, type RuleTarget, type SettingsRecord } from '../../services/console'

const TITLES: Record<RuleTarget, string> = { product: '商品', store: '门店', cashier: '收银台' }

/** JSON fields shown as text; the database checks them (valid_tiers, valid_windows, …) and says what is wrong. */
const JSON_FIELDS: Array<[string, string, string]> = [
  ['reward_windows', '奖励时间段', '[{"start":"09:00","end":"12:00"}] 或 [{"from":"2026-12-01T00:00+08:00","to":"2026-12-31T00:00+08:00"}]'],
  ['tiers', '累计消费阶梯', '[{"days":30,"min_fen":200000,"bps":5000}]'],
  ['level_reward_bps', '会员等级奖励比例', '{"1":12000}'],
  ['lottery_options', '抽奖固定比例', '[{"bps":1000,"weight":5},{"bps":5000,"weight":1}]'],
]

/**
 * 独立设置 of a product, store or cashier (SPEC §5): switch, ratios, lottery, tiers, member-level
 * ratios, reward time windows, limits, and for stores and cashiers random return. Only changed
 * fields are sent (admin_update_rule_settings); the database's refusal is shown as it words it.
 */
export function RuleSettingsModal({ target, id, name, onClose }: { target: RuleTarget; id: number; name: string; onClose: (changed: boolean) => void }) {
  const { message } = App.useApp()
  const [saved, setSaved] = useState<SettingsRecord | null>(null)
  const [v, setV] = useState<SettingsRecord>({})
  const [text, setText] = useState<Record<string, string>>({})
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  useEffect(() => {
    fetchRuleSettings(target, id).then((s) => {
      setSaved(s)
      setV(s)
      setText(Object.fromEntries(JSON_FIELDS.map(([k]) => [k, JSON.stringify(s[k] ?? null)])))
    }, (e) => setError(e instanceof ApiError ? e.message : '加载失败'))
  }, [target, id])
  const set = (k: string) => (x: unknown) => setV((o) => ({ ...o, [k]: x }))
  const bps = (k: string, label: string, nullable = true) => (
    <Row style={{ marginBottom: 8 }} align='middle'><Col span={9}>{label}</Col><Col span={15}>
      <InputNumber addonAfter='%' precision={2} style={{ width: 180 }} placeholder={nullable ? '默认' : undefined}
        value={v[k] === null || v[k] === undefined ? null : Number(v[k]) / 100}
        onChange={(x) => set(k)(x === null ? null : Math.round(Number(x) * 100))} data-testid={`rule-${k}`} /></Col></Row>
  )
  const int = (k: string, label: string, placeholder?: string) => (
    <Row style={{ marginBottom: 8 }} align='middle'><Col span={9}>{label}</Col><Col span={15}>
      <InputNumber precision={0} min={0} style={{ width: 180 }} placeholder={placeholder} value={v[k] as number | null} onChange={set(k)} /></Col></Row>
  )

  const fen = (k: string, label: string) => (
    <Row style={{ marginBottom: 8 }} align='middle'><Col span={9}>{label}</Col><Col span={15}>
      <InputNumber addonBefore='¥' precision={2} min={0} style={{ width: 180 }} value={Number(v[k] ?? 0) / 100}
        onChange={(x) => set(k)(Math.round(Number(x ?? 0) * 100))} data-testid={`rule-${k}`} /></Col></Row>
  )

  async function save() {
    if (!saved) return
    setError(null)
    const patch: SettingsRecord = {}
    try {
      for (const [k] of JSON_FIELDS) {
        if (!(k in saved)) continue
        const parsed = JSON.parse(text[k] || 'null')
        if (JSON.stringify(parsed) !== JSON.stringify(saved[k])) patch[k] = parsed
      }
    } catch {
      setError('JSON 格式不正确')
      return
    }
    for (const k of Object.keys(v)) {
      if (JSON_FIELDS.some(([j]) => j === k) || k === 'target' || k === 'target_id') continue
      if (JSON.stringify(v[k]) !== JSON.stringify(saved[k])) patch[k] = v[k]
    }
    if (Object.keys(patch).length === 0) { onClose(false); return }
    setBusy(true)
    try {
      await updateRuleSettings(target, id, patch)
      message.success('独立设置已保存')
      onClose(true)
    } catch (e) {
      setError(e instanceof ApiError ? e.message : '保存失败')
    } finally {
      setBusy(false)
    }
  }

  return (
    <Modal open width={720} title={`${TITLES[target]}独立设置：${name}`} okText='保存' cancelText='取消' confirmLoading={busy}
      onOk={() => void save()} onCancel={() => onClose(false)}>
      {!saved ? (error ? <Alert type='error' showIcon message={error} /> : <Spin />) : (
        <>
          <Row style={{ marginBottom: 8 }} align='middle'><Col span={9}>排队返利</Col><Col span={15}><Switch checked={!!v.rebate_enabled} onChange={set('rebate_enabled')} /></Col></Row>
          {bps('extraction_bps', '提取比例（留空：默认）')}
          {bps('reward_bps', target === 'product' ? '独立奖励比例（留空：默认）' : '默认奖励比例（留空：上级默认）')}
          <Row style={{ marginBottom: 8 }} align='middle'><Col span={9}>抽奖方式</Col><Col span={15}>
            <Select style={{ width: 180 }} value={v.lottery_mode} onChange={set('lottery_mode')}
              options={[{ value: 'off', label: '关闭' }, { value: 'fixed', label: '固定比例' }, { value: 'interval', label: '随机区间' }]} /></Col></Row>
          {bps('lottery_min_bps', '抽奖区间下限', false)}
          {bps('lottery_max_bps', '抽奖区间上限', false)}
          {target === 'product' && fen('cost_fen', '采购成本（自营、供应链，工会排队净利润）')}
          {target === 'product' && fen('supply_price_fen', '供货价（供应商商品）')}
          {target === 'store' && bps('commission_bps', '平台抽成比例（工会排队净利润）', false)}
          {int('daily_limit', '每人每日奖励次数', '不限')}
          {int('total_limit', '每人累计奖励次数', '不限')}
          {target !== 'product' && (
            <>
              <Row style={{ marginBottom: 8 }} align='middle'><Col span={9}>随机返</Col><Col span={15}>
                <Select style={{ width: 180 }} value={v.random_return} onChange={set('random_return')}
                  options={[{ value: 'inherit', label: '跟随插件设置' }, { value: 'on', label: '开启' }, { value: 'off', label: '关闭' }]} /></Col></Row>
              {int('random_cash_count', '每组返现金人数')}
              {int('random_points_count', '每组返积分人数')}
            </>
          )}
          {JSON_FIELDS.filter(([k]) => k in saved).map(([k, label, example]) => (
            <div key={k} style={{ marginBottom: 8 }}>
              <div>{label} <Typography.Text type='secondary'>例：{example}</Typography.Text></div>
              <Input.TextArea rows={1} autoSize value={text[k]} onChange={(e) => setText((t) => ({ ...t, [k]: e.target.value }))} />
            </div>
          ))}
          {error && <Alert type='error' showIcon message={error} data-testid='rule-error' />}
        </>
      )}
    </Modal>
  )
}
