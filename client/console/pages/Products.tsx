import { useState } from 'react'
import { App, Button, Card, Form, Input, InputNumber, Modal, Select, Space, Switch, Table, Tag } from 'antd'
import { ApiError } from '../../services/errors'
import { listProducts, saveProduct, updateRuleSettings, type ConsoleProduct } from '../../services/console'
import { useKeyset } from '../components/useKeyset'
import { RuleSettingsModal } from '../components/RuleSettings'
import { Pager } from '../components/Pager'
import { canEdit } from '../routes'
import { useMe } from '../context'
import { pct, yuan } from '../format'

const KINDS = [['self', '自营'], ['supplier', '供应商'], ['supply_chain', '供应链'], ['store', '门店商品']]
const PAGE = 20

/** 商品: list, search, create, edit; rebate switch and independent settings (独立设置). */
export default function Products() {
  const me = useMe()
  const editable = canEdit(me.roles, ['operations'])
  const { message } = App.useApp()
  const [q, setQ] = useState('')
  const [search, setSearch] = useState<string | null>(null)
  const list = useKeyset((after: number | null) => listProducts(search, after, PAGE), (p) => p.product_id, PAGE, [search])
  const [editing, setEditing] = useState<ConsoleProduct | 'new' | null>(null)
  const [rules, setRules] = useState<ConsoleProduct | null>(null)
  const [form] = Form.useForm()
  const fail = (e: unknown) => message.error(e instanceof ApiError ? e.message : '操作失败')

  async function submit() {
    const v = await form.validateFields()
    const fields: Record<string, unknown> = { name: v.name, price_fen: Math.round(Number(v.price) * 100), listed: v.listed, kind: v.kind, sku: v.sku ?? null }
    if (v.kind === 'store') fields.store_id = v.store_id
    try {
      await saveProduct(editing === 'new' ? null : editing!.product_id, fields)
      message.success('已保存')
      setEditing(null)
      void list.reload()
    } catch (e) { fail(e) }
  }
  return (
    <Card title='商品' data-testid='page-products' extra={<Space>
      <Input.Search placeholder='商品名称或编码' value={q} onChange={(e) => setQ(e.target.value)} onSearch={(v) => setSearch(v.trim() || null)} allowClear />
      <Button type='primary' disabled={!editable} onClick={() => { form.resetFields(); form.setFieldsValue({ listed: true, kind: 'self' }); setEditing('new') }}>新建商品</Button>
    </Space>}>
      <Table size='small' rowKey='product_id' loading={list.loading} dataSource={list.rows} pagination={false}
        columns={[
          { title: 'ID', dataIndex: 'product_id' }, { title: '名称', dataIndex: 'name' }, { title: '编码', dataIndex: 'sku' },
          { title: '类型', dataIndex: 'kind', render: (k: string) => KINDS.find((x) => x[0] === k)?.[1] ?? k },
          { title: '门店', dataIndex: 'store_name' },
          { title: '价格', dataIndex: 'price_fen', render: yuan },
          { title: '上架', dataIndex: 'listed', render: (l: boolean) => (l ? <Tag color='green'>上架</Tag> : <Tag>下架</Tag>) },
          { title: '排队返利', render: (_, p) => <Switch size='small' disabled={!editable} checked={p.rebate_enabled}
            onChange={(on) => updateRuleSettings('product', p.product_id, { rebate_enabled: on }).then(list.reload, fail)} /> },
          { title: '提取比例', dataIndex: 'extraction_bps', render: (b: number | null) => (b === null ? '默认' : pct(b)) },
          { title: '奖励比例', dataIndex: 'reward_bps', render: (b: number | null) => (b === null ? '默认' : pct(b)) },
          { title: '操作', render: (_, p) => <Space>
            <Button size='small' disabled={!editable} onClick={() => { form.setFieldsValue({ ...p, price: p.price_fen / 100 }); setEditing(p) }}>编辑</Button>
            <Button size='small' disabled={!editable} onClick={() => setRules(p)}>独立设置</Button>
          </Space> },
        ]} />
      <Pager page={list.page} hasNext={list.hasNext} prev={list.prev} next={list.next} error={list.error} />
      <Modal open={editing !== null} title={editing === 'new' ? '新建商品' : '编辑商品'} onOk={() => void submit()} onCancel={() => setEditing(null)} okText='保存' cancelText='取消'>
        <Form form={form} layout='vertical'>
          <Form.Item name='name' label='名称' rules={[{ required: true, message: '请填写商品名称' }]}><Input maxLength={60} /></Form.Item>
          <Form.Item name='sku' label='编码'><Input /></Form.Item>
          <Form.Item name='kind' label='类型'><Select options={KINDS.map(([value, label]) => ({ value, label }))} /></Form.Item>
          <Form.Item name='store_id' label='门店ID（门店商品）'><InputNumber precision={0} /></Form.Item>
          <Form.Item name='price' label='价格（元）' rules={[{ required: true, message: '请填写价格' }]}><InputNumber precision={2} min={0.01} addonBefore='¥' /></Form.Item>
          <Form.Item name='listed' label='上架' valuePropName='checked'><Switch /></Form.Item>
        </Form>
      </Modal>
      {rules && <RuleSettingsModal target='product' id={rules.product_id} name={rules.name} onClose={(changed) => { setRules(null); if (changed) void list.reload() }} />}
    </Card>
  )
}
