import { rpc, type Refine, type RpcRow } from './api'

export type ProductKind = 'self' | 'supplier' | 'supply_chain' | 'store'

/** One row of public.list_products(p_store_id). */
export type Product = Refine<RpcRow<'list_products'>, { kind: ProductKind; store_id: number | null }>

/** One row of public.list_stores(). */
export type Store = Refine<RpcRow<'list_stores'>, { cashier_id: number | null; cashier_code: string | null }>

/** Listed mall products, or the listed products of one approved store. */
export function listProducts(storeId: number | null = null): Promise<Product[]> {
  return rpc('list_products', storeId === null ? {} : { p_store_id: storeId }) as Promise<Product[]>
}

/** A listed product: of the mall, or of the store given. */
export async function findProduct(productId: number, storeId: number | null = null): Promise<Product | null> {
  const products = await listProducts(storeId)
  return products.find((p) => p.id === productId) ?? null
}

export function listStores(): Promise<Store[]> {
  return rpc('list_stores') as Promise<Store[]>
}

/** The approved store whose cashier has this code (a scanned cashier code), or null. */
export async function findStoreByCashierCode(code: string): Promise<Store | null> {
  const stores = await listStores()
  const wanted = code.toUpperCase()
  return stores.find((s) => s.cashier_code !== null && s.cashier_code.toUpperCase() === wanted) ?? null
}

export const PRODUCT_KIND_LABELS: Readonly<Record<ProductKind, string>> = {
  self: '自营',
  supplier: '供应商',
  supply_chain: '供应链',
  store: '门店',
}
