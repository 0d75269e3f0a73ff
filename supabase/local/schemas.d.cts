export function schemaFiles(): string[];
export function applySchemas(url: string): Promise<void>;
export function schemaSnapshot(url: string): Promise<string[]>;
export function diffSnapshots(a: string[], b: string[]): string[];
