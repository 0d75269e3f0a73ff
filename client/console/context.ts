import { createContext, useContext } from 'react'
import type { ConsoleMe } from '../services/console'

export const MeContext = createContext<ConsoleMe | null>(null)
export function useMe(): ConsoleMe {
  const me = useContext(MeContext)
  if (!me) throw new Error('useMe outside the signed-in console')
  return me
}
