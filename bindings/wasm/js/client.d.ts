// Types of client.js: a Brisk database in a Worker, with promises.
import type { BindParams, ColumnInfo, ExecResult, Row, RunResult } from './brisk_wasm.js';

export interface OpenOptions {
  /** A database in the Origin Private File System, by name: it survives a reload. */
  persistent?: string;
  /** A copy of a database file's bytes, in memory. */
  bytes?: Uint8Array;
  /** Where worker.js is, when not beside client.js. */
  workerUrl?: string | URL;
}

export function openDatabase(options?: OpenOptions): Promise<WorkerDatabase>;

export class WorkerDatabase {
  /** `:memory:` or the persistent name. */
  name: string | null;
  exec(sql: string): Promise<ExecResult[]>;
  all(sql: string, params?: BindParams, options?: { raw?: boolean }): Promise<Row[]>;
  get(sql: string, params?: BindParams, options?: { raw?: boolean }): Promise<Row | undefined>;
  run(sql: string, params?: BindParams): Promise<RunResult>;
  columns(sql: string): Promise<ColumnInfo[]>;
  export(): Promise<Uint8Array>;
  reopen(options?: Omit<OpenOptions, 'workerUrl'>): Promise<void>;
  close(): Promise<void>;
}
