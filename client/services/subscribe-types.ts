/** When the mini-program asks for subscribe messages (SPEC §12). */
export type SubscribeMoment = 'paid' | 'queue' | 'withdrawal'
