export interface ScheduleTimer {
  jobs: { job_name: string; schedule: string; command: string; edge_function: string | null }[];
  /** Runs the jobs due at `date`'s UTC minute; resolves with their names. */
  runDue(date: Date): Promise<string[]>;
  stop(): Promise<void>;
}
export function startScheduleTimer(opts: {
  dbUrl: string;
  apiUrl: string;
  serviceRoleKey: string;
  log?: (line: string) => void;
  clock?: boolean;
}): Promise<ScheduleTimer>;
