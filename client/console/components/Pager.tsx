import { Alert, Button, Space } from 'antd'

export function Pager({ page, hasNext, prev, next, error }: { page: number; hasNext: boolean; prev: () => void; next: () => void; error?: string | null }) {
  return (
    <Space style={{ marginTop: 12 }}>
      <Button disabled={page === 0} onClick={prev}>上一页</Button>
      <span>第 {page + 1} 页</span>
      <Button disabled={!hasNext} onClick={next}>下一页</Button>
      {error && <Alert type='error' showIcon message={error} />}
    </Space>
  )
}
