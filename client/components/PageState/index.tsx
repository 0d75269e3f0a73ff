import { Text, View } from '@tarojs/components'
import type { ReactNode } from 'react'
import LoginPanel from '@/components/LoginPanel'
import { Button } from '@/components/nut/button'
import { Empty } from '@/components/nut/empty'
import ListSkeleton from '@/components/ListSkeleton'
import type { LoginActions } from '@/hooks/use-login'
import type { LoadState } from '@/hooks/use-signed-in-load'
import './index.scss'

interface Props<T> {
  state: LoadState<T>
  login: LoginActions
  onRetry: () => void
  children: (data: T) => ReactNode
}

/** The loading, error and signed-out states every page shares; `children` renders the data. */
export default function PageState<T>({ state, login, onRetry, children }: Props<T>) {
  switch (state.kind) {
    case 'loading':
      return (
        <View data-testid='status'>
          <ListSkeleton />
        </View>
      )
    case 'signed-out':
      return <LoginPanel login={login} notice={state.notice} />
    case 'error':
      return <ErrorState message={state.message} onRetry={onRetry} />
    case 'ready':
      return <>{children(state.data)}</>
  }
}

export function ErrorState({ message, onRetry }: { message: string; onRetry?: () => void }) {
  return (
    <View className='page-state' data-testid='error'>
      <Empty status='error' image={<Art kind='error' />} title='出错了' description={message} />
      {onRetry && (
        <Button type='primary' fill='outline' data-testid='retry' onClick={onRetry}>
          重试
        </Button>
      )}
    </View>
  )
}

/** An empty list or page, with an optional action. */
export function EmptyState({ title, description, action }: { title: string; description?: string; action?: ReactNode }) {
  return (
    <View className='page-state' data-testid='empty'>
      <Empty status='empty' image={<Art kind='empty' />} title={title} description={description ?? ''} />
      {action}
    </View>
  )
}

/**
 * The empty / error illustration, drawn with the app's own styles (NutUI's default images load
 * from an outside CDN, which a mini-program may not reach).
 */
function Art({ kind }: { kind: 'empty' | 'error' }) {
  return (
    <View className={`page-state__art page-state__art--${kind}`} data-testid={`art-${kind}`}>
      <View className='page-state__art-box'>
        <Text className='page-state__art-mark'>{kind === 'error' ? '!' : '…'}</Text>
      </View>
    </View>
  )
}
