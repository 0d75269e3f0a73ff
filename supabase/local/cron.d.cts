export function parseCron(expression: string): { matches(date: Date): boolean };
