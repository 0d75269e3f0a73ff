export interface FunctionsOptions {
  /** Default FUNCTIONS_PORT (54325). */
  port?: number;
  /** Added to this process's environment; a key set to undefined is removed. */
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
  /** Do not echo the Deno process's output. */
  quiet?: boolean;
  /** Run Deno in a process group of its own; stop()/kill() then signal the whole group. */
  processGroup?: boolean;
  /** Deno's pid is written to this file while it runs. */
  pidFile?: string;
  /** Called when Deno exits without stop()/kill() having been called. */
  onExit?: (code: number | null, signal: string | null) => void;
}

export interface FunctionsHost {
  url: string;
  pid: number;
  /** SIGTERM, then SIGKILL after 5 s; resolves when Deno has exited. */
  stop(): Promise<void>;
  /** Signals Deno at once (synchronous: usable in a process 'exit' handler). */
  kill(signal?: string): void;
  /** The last few KB of the Deno process's output. */
  logs(): string;
}

export function startFunctions(options?: FunctionsOptions): Promise<FunctionsHost>;
