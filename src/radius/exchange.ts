/**
 * One datagram's trip through the pipeline, and the shared state the steps read.
 * The state is swapped as a whole on SIGHUP, so a packet sees one config from start to end.
 */
import type { LanyardConfig, NasClientConfig } from '../config/types.js';
import type { DeviceCache } from '../cache/decision-cache.js';
import type { BatchWriter, RecordWriter } from '../audit/writer.js';
import type { LatencyHistogram } from '../metrics/histogram.js';
import type { Policy } from '../policy/model.js';
import type { DecisionEvent } from '../store/types.js';
import type { DropCause, DropCounters } from './drops.js';
import type { DuplicateCache } from './duplicates.js';
import type { LoadGuard } from './load.js';
import type { NasRegistry } from './nas-registry.js';
import type { AccountingRecord } from './handlers/accounting-request.js';

export type Service = 'auth' | 'acct';

export interface Exchange {
  readonly buf: Buffer;
  readonly address: string;
  readonly port: number;
  readonly service: Service;
  /** performance.now() at receipt, for the latency figure. */
  readonly receivedAt: number;
  nas: NasClientConfig | null;
  nasIndex: number;
  /** The duplicate-cache handle once the request has been recorded there (DuplicateCache.check). */
  dupEntry: number | null;
}

/** Counters the listener and /metrics read. */
export interface RadiusCounters {
  received: number;
  accepts: number;
  rejects: number;
  /** Reject reasons as counted (RejectReason → n). */
  rejectReasons: Record<string, number>;
  accountingResponses: number;
  statusServer: number;
  duplicatesResent: number;
  drops: DropCounters;
}

export interface RadiusState {
  readonly config: LanyardConfig;
  readonly policy: Policy;
  readonly registry: NasRegistry;
  /** Accept bodies per NAS (index in config.radius.clients) per class name. */
  readonly acceptBodies: readonly ReadonlyMap<string, Buffer>[];
}

/** What lives across reloads. */
export interface RadiusRuntime {
  state: RadiusState;
  readonly cache: DeviceCache;
  readonly duplicates: DuplicateCache;
  readonly decisions: RecordWriter<DecisionEvent>;
  readonly accounting: BatchWriter<AccountingRecord>;
  readonly latency: LatencyHistogram;
  readonly counters: RadiusCounters;
  /** Epoch ms; injectable so tests can fake the clock. */
  readonly now: () => number;
  /** Load shedding (load.ts); without one, nothing is shed. */
  readonly load?: LoadGuard;
  /**
   * Called for decisions someone must hear about at once (R-4: a lost or stolen device tried
   * to connect — where and when). The edge logs it at warn and records an alert.
   */
  readonly onAlert?: (event: DecisionEvent) => void;
  /** The edge's hook for unexpected errors inside a handler (the listener logs them). */
  readonly onInternalError?: (error: unknown, ex: Exchange) => void;
}

/**
 * A step's answer: null = go on; a Buffer = send this and stop; a DropCause = send nothing;
 * a Promise = the answer comes later (accounting waits for its commit).
 */
export type StepResult = null | Buffer | DropCause | Promise<Buffer | DropCause>;

export interface Step {
  readonly name: string;
  readonly run: (ex: Exchange, rt: RadiusRuntime) => StepResult;
}
