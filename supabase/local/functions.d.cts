export interface FunctionsOptions {
  /** Default FUNCTIONS_PORT (54325). */
  port?: number;
  /** Added to this process's environment; a key set to undefined is removed. */
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
  /** Do not echo the Deno process's output. */
  quiet?: boolean;
}

export interface FunctionsHost {
  url: string;
  stop(): Promise<void>;
  /** The last few KB of the Deno process's output. */
  logs(): string;
}

export function startFunctions(options?: FunctionsOptions): Promise<FunctionsHost>;
