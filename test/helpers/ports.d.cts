/** A port nobody listens on, below the ephemeral range, never given twice in one process. */
export function freePort(): Promise<number>;
