import { rpc, type Composite, type Filled, type Refine, type RpcArgs, type RpcRow } from './api'

/** Promoters (11_referral.sql): my team, its counts and what I earned; my rewards (佣金明细). */

export type RewardKind = 'direct' | 'indirect' | 'level_diff' | 'merchant_recruit' | 'dividend'

/** public.my_team_summary → public.team_summary (no team level yet: null) */
export type TeamSummary = Refine<
  Filled<Composite<'team_summary'>, 'team_level'>,
  { team_level: Filled<Composite<'team_summary_level'>> | null; rewards: Filled<Composite<'team_summary_rewards'>> }
>

/** One row of public.my_team(p_depth, p_before_id, p_limit). */
export type TeamMember = Refine<RpcRow<'my_team'>, { avatar_url: string | null; team_level_name: string | null; via_nickname_masked: string | null }>

/** One row of public.my_rewards(p_kind, p_before_id, p_limit). */
export type Reward = Refine<
  RpcRow<'my_rewards'>,
  { kind: RewardKind; status: 'credited' | 'reversed'; order_no_masked: string | null; source_nickname_masked: string | null;
    period_key: string | null; reversed_at: string | null; rule_label: string | null }
>

/** One row of public.my_recruited_merchants(p_before_id, p_limit): an application made with my 招商码. */
export type RecruitedMerchant = Refine<
  RpcRow<'my_recruited_merchants'>,
  { status: 'pending' | 'approved' | 'rejected'; store_id: number | null; store_status: 'pending' | 'approved' | 'suspended' | null; decided_at: string | null }
>

export const REWARD_KIND_LABELS: Readonly<Record<RewardKind, string>> = {
  direct: '直推奖励',
  indirect: '间推奖励',
  level_diff: '团队级差',
  merchant_recruit: '招商奖励',
  dividend: '股东分红',
}

export function fetchTeamSummary(): Promise<TeamSummary> {
  return rpc('my_team_summary') as Promise<TeamSummary>
}

export function fetchMyTeam(depth: 1 | 2, beforeId: number | null = null, limit = 20): Promise<TeamMember[]> {
  const args: RpcArgs<'my_team'> = { p_depth: depth, p_limit: limit }
  if (beforeId !== null) args.p_before_id = beforeId
  return rpc('my_team', args) as Promise<TeamMember[]>
}

export function fetchMyRewards(kind: RewardKind | null, beforeId: number | null = null, limit = 20): Promise<Reward[]> {
  const args: RpcArgs<'my_rewards'> = { p_limit: limit }
  if (kind) args.p_kind = kind
  if (beforeId !== null) args.p_before_id = beforeId
  return rpc('my_rewards', args) as Promise<Reward[]>
}

export function fetchRecruitedMerchants(beforeId: number | null = null, limit = 20): Promise<RecruitedMerchant[]> {
  const args: RpcArgs<'my_recruited_merchants'> = { p_limit: limit }
  if (beforeId !== null) args.p_before_id = beforeId
  return rpc('my_recruited_merchants', args) as Promise<RecruitedMerchant[]>
}
