import { lazy, type ComponentType, type LazyExoticComponent } from 'react'
import type { StaffRole } from '../services/console'

/** A console page: its hash path, menu label, the roles that may open it, and its lazily loaded code. */
export interface RouteDef {
  path: string
  label: string
  roles: StaffRole[]
  page: LazyExoticComponent<ComponentType>
}

const ALL: StaffRole[] = ['admin', 'operations', 'finance', 'store_owner']
const STAFF: StaffRole[] = ['admin', 'operations', 'finance']

// Menu order; each page is its own chunk (code-split per route).
export const ROUTES: RouteDef[] = [
  { path: 'dashboard', label: '数据概览', roles: STAFF, page: lazy(() => import('./pages/Dashboard')) },
  { path: 'settings', label: '排队返利设置', roles: STAFF, page: lazy(() => import('./pages/Settings')) },
  { path: 'products', label: '商品', roles: ALL, page: lazy(() => import('./pages/Products')) },
  { path: 'stores', label: '门店/收银台', roles: ALL, page: lazy(() => import('./pages/Stores')) },
  { path: 'queues', label: '队列', roles: ALL, page: lazy(() => import('./pages/Queues')) },
  { path: 'union', label: '分红池', roles: STAFF, page: lazy(() => import('./pages/UnionPool')) },
  { path: 'members', label: '会员', roles: STAFF, page: lazy(() => import('./pages/Members')) },
  { path: 'orders', label: '订单', roles: ALL, page: lazy(() => import('./pages/Orders')) },
  { path: 'merchants', label: '商家入驻', roles: STAFF, page: lazy(() => import('./pages/Merchants')) },
  { path: 'refunds', label: '退款售后', roles: ['admin', 'finance'], page: lazy(() => import('./pages/Refunds')) },
  { path: 'withdrawals', label: '提现审核', roles: ['admin', 'finance'], page: lazy(() => import('./pages/Withdrawals')) },
  { path: 'statements', label: '对账', roles: ['admin', 'finance'], page: lazy(() => import('./pages/Statements')) },
  { path: 'messages', label: '消息推送', roles: ['admin', 'operations'], page: lazy(() => import('./pages/Messages')) },
  { path: 'audit', label: '操作日志', roles: STAFF, page: lazy(() => import('./pages/Audit')) },
  { path: 'export', label: '导出', roles: STAFF, page: lazy(() => import('./pages/Export')) },
  { path: 'roles', label: '角色', roles: ['admin'], page: lazy(() => import('./pages/Roles')) },
]

export const routesFor = (roles: StaffRole[]): RouteDef[] => ROUTES.filter((r) => r.roles.some((x) => roles.includes(x)))

/** Who may change (not only read) on a page; finance reads settings, catalog and applications. */
export const canEdit = (roles: StaffRole[], need: StaffRole[]): boolean => roles.includes('admin') || need.some((r) => roles.includes(r))
