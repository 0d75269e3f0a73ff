import { rpc } from './supabase'

/** One row of public.list_products(p_store_id). */
export interface Product {
  id: number
  kind: 'self' | 'supplier' | 'supply_chain' | 'store'
  store_id: number | null
  name: string
  price_fen: number
  rebate_enabled: boolean
}

/** One row of public.list_stores(). */
export interface Store {
  id: number
  code: string
  name: string
  cashier_id: number | null
  cashier_code: string | null
}

/** Listed mall products, or the listed products of one approved store. */
export function listProducts(storeId: number | null = null): Promise<Product[]> {
  return rpc<Product[]>('list_products', storeId === null ? {} : { p_store_id: storeId })
}

export async function findProduct(productId: number): Promise<Product | null> {
  const products = await listProducts()
  return products.find((p) => p.id === productId) ?? null
}

export function listStores(): Promise<Store[]> {
  return rpc<Store[]>('list_stores')
}

/** The approved store whose cashier has this code (a scanned cashier code), or null. */
export async function findStoreByCashierCode(code: string): Promise<Store | null> {
  const stores = await listStores()
  const wanted = code.toUpperCase()
  return stores.find((s) => s.cashier_code !== null && s.cashier_code.toUpperCase() === wanted) ?? null
}

export const PRODUCT_KIND_LABELS: Readonly<Record<Product['kind'], string>> = {
  self: '自营',
  supplier: '供应商',
  supply_chain: '供应链',
  store: '门店',
}
