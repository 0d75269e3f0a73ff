import Taro, { usePullDownRefresh, useRouter } from '@tarojs/taro'
import { useCallback } from 'react'
import { useSignedInLoad, type SignedInLoad } from '@/hooks/use-signed-in-load'
import { idParam, routes } from '@/lib/routes'
import { ApiError } from '@/services/errors'
import { fetchDisplaySettings, fetchQueueProcess, type DisplaySettings, type QueueProcess } from '@/services/queue'

export interface ProcessData {
  process: QueueProcess
  display: DisplaySettings
}

export interface ProcessPage extends SignedInLoad<ProcessData> {
  openSources: () => void
}

/** The entries around mine in my entry's queue (队列进程), as the display switches allow. */
export function useProcessPage(): ProcessPage {
  const entryId = idParam(useRouter().params.entry_id)
  const load = useCallback(async (): Promise<ProcessData> => {
    if (entryId === null) throw new ApiError('entry_not_found', '排队名额不存在', 0)
    const [process, display] = await Promise.all([fetchQueueProcess(entryId, 5), fetchDisplaySettings()])
    return { process, display }
  }, [entryId])
  const page = useSignedInLoad(load)
  usePullDownRefresh(() => {
    void page.reload().finally(() => Taro.stopPullDownRefresh())
  })
  return {
    ...page,
    openSources: () => {
      if (entryId !== null) void Taro.navigateTo({ url: routes.sources(entryId) })
    },
  }
}
