import { ApiError } from '@/services/errors'
import { MoneyInputError } from '@/lib/money'

/**
 * The text a user may see for a failure. Services throw ApiError with Chinese text; money
 * input errors are Chinese too; anything else is a bug: logged, and shown as a plain sentence.
 */
export function userMessage(error: unknown): string {
  if (error instanceof ApiError || error instanceof MoneyInputError) return error.message
  console.error('unexpected error', error)
  return '出错了，请稍后重试'
}

export function isUnauthorized(error: unknown): boolean {
  return error instanceof ApiError && error.code === 'unauthorized'
}
