import { ApiError } from './errors'
import { rpc } from './supabase'

/** One row of public.me(): the signed-in member. */
export interface MemberProfile {
  id: string
  member_code: string
  nickname: string | null
  avatar_url: string | null
  level_id: string | number | null
  level_name: string | null
  is_admin: boolean
  created_at: string
}

export async function fetchMyProfile(): Promise<MemberProfile> {
  const rows = await rpc<MemberProfile[]>('me')
  const row = Array.isArray(rows) ? rows[0] : undefined
  if (!row) throw new ApiError('member_not_found', '未找到会员信息，请重新登录', 200)
  return row
}
