import { rpc, type Refine, type RpcArgs, type RpcRow } from './api'

/** One row of public.my_messages(p_unread_only, p_before_id, p_limit). */
export type Message = Refine<RpcRow<'my_messages'>, {
  entry_id: number | null
  order_id: number | null
  amount_fen: number | null
  read_at: string | null
}>

export function fetchMyMessages(beforeId: number | null = null, limit = 20, unreadOnly = false): Promise<Message[]> {
  const args: RpcArgs<'my_messages'> = { p_limit: limit }
  if (unreadOnly) args.p_unread_only = true
  if (beforeId !== null) args.p_before_id = beforeId
  return rpc('my_messages', args) as Promise<Message[]>
}

/** How many of my messages are unread (at most `cap`, which is all the badge needs). */
export async function countUnread(cap = 99): Promise<number> {
  const rows = await fetchMyMessages(null, cap, true)
  return rows.length
}

/** Mark these messages read (null: all of them); returns how many changed. */
export function markMessagesRead(ids: number[] | null): Promise<number> {
  return rpc('mark_messages_read', ids === null ? {} : { p_ids: ids })
}
