import { ApiError } from './errors'
import { rpc, type Refine, type RpcRow } from './api'

/** One row of public.me(): the signed-in member. */
export type MemberProfile = Refine<RpcRow<'me'>, { avatar_url: string | null; level_name: string | null }>

export async function fetchMyProfile(): Promise<MemberProfile> {
  const rows: MemberProfile[] = await rpc('me')
  const row = Array.isArray(rows) ? rows[0] : undefined
  if (!row) throw new ApiError('member_not_found', '未找到会员信息，请重新登录', 200)
  return row
}
