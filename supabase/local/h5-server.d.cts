export function serveH5(options: { dir: string; port?: number; host?: string; apiUrl?: string; consoleDir?: string }): Promise<{ port: number; url: string; close(): Promise<void> }>;
