export interface GatewayOptions {
  databaseUrl: string;
  jwtSecret: string;
  anonKey?: string;
  serviceRoleKey?: string;
  functionsUrl?: string;
  port?: number;
  host?: string;
  maxBodyBytes?: number;
  /** Bodies (and GET argument values) nested deeper than this are refused with 400 (default 512). */
  maxJsonDepth?: number;
  poolSize?: number;
}
export interface Gateway { port: number; url: string; reloadSchema(): Promise<void>; close(): Promise<void> }
export function startGateway(options: GatewayOptions): Promise<Gateway>;
export function signJwt(claims: Record<string, unknown>, secret: string): string;
export function verifyJwt(token: string, secret: string, now?: number): Record<string, unknown>;
export function statusForSqlState(code: string, message: string | undefined, authenticated: boolean): number;
