import { Canvas, Image, Text, View } from '@tarojs/components'
import { Button } from '@/components/nut/button'
import { Skeleton } from '@/components/nut/skeleton'
import PageState, { ErrorState } from '@/components/PageState'
import { isWeapp } from '@/services/env'
import { POSTER_CANVAS_ID } from './render'
import { usePosterPage, type PosterData, type PosterPage } from './use-poster-page'
import './index.scss'

/** 分享海报 */
export default function PosterPageView() {
  const page = usePosterPage()
  return (
    <View className='poster-page' data-testid='poster-page'>
      <PageState state={page.state} login={page.login} onRetry={() => void page.reload(true)}>
        {(data) => <Poster page={page} data={data} />}
      </PageState>
    </View>
  )
}

/** NutUI's Button passes open-type through to the native button; its types do not list it. */
const SHARE = { openType: 'share' } as Record<string, unknown>

function Poster({ page, data }: { page: PosterPage; data: PosterData }) {
  const { image } = page
  return (
    <View>
      {/* WeChat draws on this 2d canvas, kept off screen; the page shows the exported image */}
      {isWeapp && <Canvas type='2d' id={POSTER_CANVAS_ID} className='poster-page__canvas' />}
      <View className='poster-page__frame'>
        {image.kind === 'drawing' && (
          <View className='poster-page__drawing' data-testid='poster-drawing'>
            <Skeleton rows={6} animated />
            <Text className='poster-page__muted'>海报生成中…</Text>
          </View>
        )}
        {image.kind === 'failed' && <ErrorState message={image.message} onRetry={page.redraw} />}
        {image.kind === 'ready' && (
          <Image className='poster-page__image' src={image.src} mode='aspectFit' showMenuByLongpress data-testid='poster-image' />
        )}
      </View>
      <View className='poster-page__actions'>
        <Button type='primary' block disabled={image.kind !== 'ready'} loading={page.saving} data-testid='save-poster' onClick={() => void page.save()}>
          {isWeapp ? '保存到相册' : '下载海报'}
        </Button>
        {page.canShare && (
          <Button block {...SHARE} data-testid='share-poster'>
            分享给微信好友
          </Button>
        )}
        <Text className='poster-page__muted'>
          {data.kind === 'merchant' ? '商家识别海报上的小程序码即可填写入驻申请' : '好友识别海报上的小程序码即可接受你的邀请'}
        </Text>
      </View>
    </View>
  )
}
