/**
 * CPU time spent over a workload's run, read from /proc (Linux): the app processes', and the
 * database's when PostgreSQL runs on this machine (the client backends of the workload's database).
 * On a busy 2-core machine CPU per task varies less from run to run than tasks per second, and it
 * shows where the time goes.
 */
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import pg from 'pg';

const TICKS_PER_SEC = (() => {
  try {
    return Number(execSync('getconf CLK_TCK', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime + stime of a process in clock ticks; null when it is not visible here. */
function cpuTicks(pid: number): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
  }
}

function isLocalPostgres(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim().startsWith('postgres');
  } catch {
    return false;
  }
}

/**
 * CPU seconds the whole machine has spent busy since boot (every core, every process: /proc/stat
 * less idle and iowait); null off Linux. Over a run, less the workload's own, it shows what else ran.
 */
export function machineBusySeconds(): number | null {
  try {
    const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
    const ticks = fields.slice(0, 8).map(Number);
    const idle = ticks[3] + ticks[4];
    return (ticks.reduce((a, b) => a + b, 0) - idle) / TICKS_PER_SEC;
  } catch {
    return null;
  }
}

export interface CpuSeconds {
  /** The app processes (the workload's, or both replicas'). */
  app: number;
  /** PostgreSQL backends of the workload's database; null: another database, or not on this machine. */
  database: number | null;
}

export class CpuMeter {
  private readonly appStart = new Map<number, number>();
  private readonly dbStart = new Map<number, number>();
  private client: pg.Client | null = null;
  private dbVisible = true;

  /** `pgUrl`: the workload's PostgreSQL database, or null for none. */
  constructor(private readonly appPids: number[], private readonly pgUrl: string | null) {}

  /** Opens the connection that lists the backends (before the run, so `start` is one query). */
  async connect(): Promise<void> {
    if (!this.pgUrl) return;
    this.client = new pg.Client({ connectionString: this.pgUrl });
    // A workload that fails drops its database WITH (FORCE) under this connection: not a second error.
    this.client.on('error', () => {});
    await this.client.connect();
  }

  async start(): Promise<void> {
    for (const pid of this.appPids) this.appStart.set(pid, cpuTicks(pid) ?? 0);
    if (!this.client) return;
    for (const pid of await this.backends()) {
      const ticks = isLocalPostgres(pid) ? cpuTicks(pid) : null;
      if (ticks === null) this.dbVisible = false;
      else this.dbStart.set(pid, ticks);
    }
  }

  async stop(): Promise<CpuSeconds> {
    let app = 0;
    for (const pid of this.appPids) app += (cpuTicks(pid) ?? 0) - (this.appStart.get(pid) ?? 0);
    let database: number | null = null;
    if (this.client) {
      let ticks = 0;
      // A backend that connected during the run counts from zero; one that left is not seen.
      for (const pid of await this.backends()) {
        const now = isLocalPostgres(pid) ? cpuTicks(pid) : null;
        if (now === null) this.dbVisible = false;
        else ticks += now - (this.dbStart.get(pid) ?? 0);
      }
      await this.client.end();
      this.client = null;
      database = this.dbVisible ? ticks / TICKS_PER_SEC : null;
    }
    return { app: app / TICKS_PER_SEC, database };
  }

  private async backends(): Promise<number[]> {
    const { rows } = await this.client!.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()`);
    return rows.map((r) => Number(r.pid));
  }
}
