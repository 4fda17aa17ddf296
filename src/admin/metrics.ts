/**
 * Prometheus metrics (GET /metrics, docs/api.md "Metrics"). The RADIUS hot path only bumps
 * plain counters and the latency histogram in RadiusRuntime; this module reads them when
 * Prometheus scrapes, so measuring costs the hot path nothing.
 *
 * One Registry per admin server (not prom-client's global one), so tests and a future
 * multi-instance process do not collide.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics, type Metric } from 'prom-client';
import { DROP_CAUSES } from '../radius/drops.js';
import type { RadiusRuntime } from '../radius/exchange.js';
import type { FeedStats } from '../feed/forwarder.js';
import type { DhcpCounters } from '../dhcp/listener.js';
import { readUdpQueues } from '../net/udp-queue.js';

/** Decision latency bucket bounds, seconds (the RADIUS budget is ~1 ms; timeouts start near 1 s). */
export const LATENCY_BUCKETS_S = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
] as const;

export const METRIC_NAMES = {
  received: 'lanyard_radius_requests_received_total',
  requests: 'lanyard_radius_requests_total',
  rejects: 'lanyard_radius_rejects_total',
  dropped: 'lanyard_radius_dropped_total',
  duplicates: 'lanyard_radius_duplicates_resent_total',
  latency: 'lanyard_radius_decision_latency_seconds',
  cache: 'lanyard_cache_devices',
  accountingLag: 'lanyard_accounting_write_lag_seconds',
  queueDepth: 'lanyard_event_queue_depth',
  queueDropped: 'lanyard_event_queue_dropped_total',
  queueFailures: 'lanyard_event_write_failures_total',
  apiRequests: 'lanyard_api_requests_total',
  apiAuthFailures: 'lanyard_api_auth_failures_total',
  feedRequests: 'lanyard_feed_requests_total',
  feedQueue: 'lanyard_feed_queue_depth',
  feedHeld: 'lanyard_feed_held_sessions',
  feedUnaddressed: 'lanyard_feed_unaddressed_total',
  dhcpReceived: 'lanyard_dhcp_received_total',
  dhcpMessages: 'lanyard_dhcp_messages_total',
  dhcpReplies: 'lanyard_dhcp_replies_total',
  dhcpSilences: 'lanyard_dhcp_unanswered_total',
  dhcpDropped: 'lanyard_dhcp_dropped_total',
  dhcpRefusals: 'lanyard_dhcp_refusals_total',
  dhcpFingerprintAlerts: 'lanyard_dhcp_fingerprint_alerts_total',
  dhcpRefusalsNotAudited: 'lanyard_dhcp_refusals_not_audited_total',
  kernelDrops: 'lanyard_radius_kernel_drops_total',
} as const;

/** The web-filter feed's request counters, as the `result` label of lanyard_feed_requests_total. */
const FEED_RESULTS = ['sent', 'answered', 'retried', 'failed', 'droppedQueueFull', 'badResponses'] as const;

export interface AdminMetrics {
  readonly registry: Registry;
  /** Counts one API response. `route` is the route pattern (/api/v1/devices/:mac), never the raw URL. */
  observeRequest(method: string, route: string, status: number): void;
  observeAuthFailure(reason: string): void;
}

/** A counter whose value is read from elsewhere at scrape time. */
function mirroredCounter<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly L[],
  read: () => Iterable<[Partial<Record<L, string>>, number]> | null,
): void {
  new Counter<L>({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      const values = read();
      if (values === null) return;
      this.reset();
      for (const [labels, v] of values) this.inc(labels, v);
    },
  });
}

/** The web-filter feed (docs/web-filter-feed.md): per receiver, read at scrape time. */
function registerFeedMetrics(registry: Registry, feeds: () => readonly FeedStats[]): void {
  mirroredCounter(
    registry,
    METRIC_NAMES.feedRequests,
    'Web-filter feed Accounting-Requests by receiver and result (sent, answered, retried, failed, droppedQueueFull, badResponses).',
    ['feed', 'result'],
    () => feeds().flatMap((f) => FEED_RESULTS.map((result) => [{ feed: f.feed, result }, f[result]] as [Partial<Record<'feed' | 'result', string>>, number])),
  );
  mirroredCounter(registry, METRIC_NAMES.feedUnaddressed, 'Sessions never forwarded because no address became known in time.', ['feed'], () =>
    feeds().map((f) => [{ feed: f.feed }, f.unaddressed]),
  );
  new Gauge({
    name: METRIC_NAMES.feedQueue,
    help: 'Web-filter feed requests waiting (queued) or sent and unanswered (in-flight), by receiver.',
    labelNames: ['feed', 'state'],
    registers: [registry],
    collect() {
      for (const f of feeds()) {
        this.set({ feed: f.feed, state: 'queued' }, f.queued);
        this.set({ feed: f.feed, state: 'in-flight' }, f.inFlight);
      }
    },
  });
  new Gauge({
    name: METRIC_NAMES.feedHeld,
    help: 'Session starts held until an address is known.',
    registers: [registry],
    collect() {
      const first = feeds()[0];
      this.set(first?.held ?? 0);
    },
  });
}

/** The DHCP counters (docs/dhcp.md "Counters"), read at scrape time like the RADIUS ones. */
function dhcpMetrics(registry: Registry, dhcp: () => DhcpCounters | null): void {
  const byLabel = <L extends string>(label: L, pick: (c: DhcpCounters) => Record<string, number>) => () => {
    const c = dhcp();
    return c === null ? null : Object.entries(pick(c)).map(([k, v]): [Partial<Record<L, string>>, number] => [{ [label]: k } as Partial<Record<L, string>>, v]);
  };
  const scalar = (pick: (c: DhcpCounters) => number) => (): [Partial<Record<never, string>>, number][] | null => {
    const c = dhcp();
    return c === null ? null : [[{}, pick(c)]];
  };
  mirroredCounter(registry, METRIC_NAMES.dhcpReceived, 'DHCP datagrams received.', [], scalar((c) => c.received));
  mirroredCounter(registry, METRIC_NAMES.dhcpMessages, 'DHCP client messages by type.', ['type'], byLabel('type', (c) => c.messages));
  mirroredCounter(registry, METRIC_NAMES.dhcpReplies, 'DHCP replies sent by type (offer, ack, nak).', ['type'], byLabel('type', (c) => c.replies));
  mirroredCounter(registry, METRIC_NAMES.dhcpSilences, 'DHCP requests deliberately left unanswered, by reason.', ['reason'], byLabel('reason', (c) => c.silences));
  mirroredCounter(registry, METRIC_NAMES.dhcpDropped, 'DHCP datagrams dropped before the engine, by reason.', ['reason'], byLabel('reason', (c) => c.drops));
  mirroredCounter(registry, METRIC_NAMES.dhcpRefusals, 'Leases refused by the network check, by reason.', ['reason'], byLabel('reason', (c) => c.refusals));
  mirroredCounter(registry, METRIC_NAMES.dhcpFingerprintAlerts, 'Registered devices whose DHCP fingerprint changed OS family.', [], scalar((c) => c.fingerprintAlerts));
  mirroredCounter(
    registry,
    METRIC_NAMES.dhcpRefusalsNotAudited,
    'Refused leases counted but not written to the audit log because the per-minute budget was spent (a flood).',
    [],
    scalar((c) => c.refusalsNotAudited),
  );
}

/** What /metrics reads besides the RADIUS runtime; each part is optional (absent: not running). */
export interface MetricSources {
  readonly feeds?: () => readonly FeedStats[];
  readonly dhcp?: () => DhcpCounters | null;
  /** The RADIUS sockets' ports, for the kernel's drop counts (src/net/udp-queue.ts). */
  readonly radiusPorts?: () => { authPort: number; acctPort: number };
}

export function createAdminMetrics(runtime: () => RadiusRuntime | null, sources: MetricSources = {}): AdminMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'lanyard_' });
  registerFeedMetrics(registry, sources.feeds ?? (() => []));
  dhcpMetrics(registry, sources.dhcp ?? (() => null));
  const radiusPorts = sources.radiusPorts;
  if (radiusPorts !== undefined) {
    mirroredCounter(
      registry,
      METRIC_NAMES.kernelDrops,
      'RADIUS datagrams the kernel dropped because a socket receive buffer was full (never seen by the daemon).',
      ['service'],
      () => {
        const { authPort, acctPort } = radiusPorts();
        const queues = readUdpQueues([authPort, acctPort]);
        return queues === null
          ? null
          : [
              [{ service: 'auth' }, queues.get(authPort)?.drops ?? 0],
              [{ service: 'acct' }, queues.get(acctPort)?.drops ?? 0],
            ];
      },
    );
  }

  mirroredCounter(registry, METRIC_NAMES.received, 'RADIUS datagrams received on the auth and accounting ports.', [], () => {
    const rt = runtime();
    return rt === null ? null : [[{}, rt.counters.received]];
  });
  mirroredCounter(
    registry,
    METRIC_NAMES.requests,
    'RADIUS requests answered, by packet code and result.',
    ['code', 'result'],
    () => {
      const c = runtime()?.counters;
      if (c === undefined) return null;
      return [
        [{ code: 'access-request', result: 'accept' }, c.accepts],
        [{ code: 'access-request', result: 'reject' }, c.rejects],
        [{ code: 'accounting-request', result: 'response' }, c.accountingResponses],
        [{ code: 'status-server', result: 'response' }, c.statusServer],
      ];
    },
  );
  mirroredCounter(registry, METRIC_NAMES.rejects, 'Access-Rejects by reason (the closed list in docs/policy.md).', ['reason'], () => {
    const c = runtime()?.counters;
    return c === undefined ? null : Object.entries(c.rejectReasons).map(([reason, n]) => [{ reason }, n]);
  });
  mirroredCounter(registry, METRIC_NAMES.dropped, 'RADIUS datagrams dropped without a reply, by cause.', ['cause'], () => {
    const c = runtime()?.counters;
    return c === undefined ? null : DROP_CAUSES.map((cause) => [{ cause }, c.drops[cause] ?? 0]);
  });
  mirroredCounter(registry, METRIC_NAMES.duplicates, 'Retransmitted requests answered from the duplicate cache (RFC 5080).', [], () => {
    const c = runtime()?.counters;
    return c === undefined ? null : [[{}, c.duplicatesResent]];
  });

  // The decision latency histogram, from the runtime's own log-linear histogram (µs).
  const latency = {
    name: METRIC_NAMES.latency,
    help: 'Access decision latency, datagram received to reply sent (seconds).',
    type: 'histogram',
    aggregator: 'sum',
    get: async () => {
      const h = runtime()?.latency;
      const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
      if (h !== undefined) {
        const counts = h.cumulative(LATENCY_BUCKETS_S.map((s) => s * 1e6));
        LATENCY_BUCKETS_S.forEach((le, i) => values.push({ labels: { le }, value: counts[i] ?? 0, metricName: `${METRIC_NAMES.latency}_bucket` }));
        values.push({ labels: { le: '+Inf' }, value: h.count, metricName: `${METRIC_NAMES.latency}_bucket` });
        values.push({ labels: {}, value: (h.mean * h.count) / 1e6, metricName: `${METRIC_NAMES.latency}_sum` });
        values.push({ labels: {}, value: h.count, metricName: `${METRIC_NAMES.latency}_count` });
      }
      return { name: METRIC_NAMES.latency, help: latency.help, type: 'histogram', aggregator: 'sum', values };
    },
  };
  registry.registerMetric(latency as unknown as Metric<string>);

  new Gauge({
    name: METRIC_NAMES.cache,
    help: 'Devices in the in-memory decision cache.',
    registers: [registry],
    collect() {
      const rt = runtime();
      if (rt !== null) this.set(rt.cache.size);
    },
  });
  new Gauge({
    name: METRIC_NAMES.accountingLag,
    help: 'Age of the oldest accounting record in the last committed batch (seconds).',
    registers: [registry],
    collect() {
      const rt = runtime();
      if (rt !== null) this.set(rt.accounting.lastLagMs / 1000);
    },
  });
  const queues = (rt: RadiusRuntime) => [
    ['decisions', rt.decisions],
    ['accounting', rt.accounting],
  ] as const;
  new Gauge({
    name: METRIC_NAMES.queueDepth,
    help: 'Records waiting in the batched writers.',
    labelNames: ['queue'],
    registers: [registry],
    collect() {
      const rt = runtime();
      if (rt !== null) for (const [queue, w] of queues(rt)) this.set({ queue }, w.pending);
    },
  });
  mirroredCounter(registry, METRIC_NAMES.queueDropped, 'Records refused because a writer queue was full.', ['queue'], () => {
    const rt = runtime();
    return rt === null ? null : queues(rt).map(([queue, w]) => [{ queue }, w.dropped]);
  });
  mirroredCounter(registry, METRIC_NAMES.queueFailures, 'Batches that failed to commit.', ['queue'], () => {
    const rt = runtime();
    return rt === null ? null : queues(rt).map(([queue, w]) => [{ queue }, w.failedBatches]);
  });

  const apiRequests = new Counter({
    name: METRIC_NAMES.apiRequests,
    help: 'Admin API responses by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const authFailures = new Counter({
    name: METRIC_NAMES.apiAuthFailures,
    help: 'Admin API requests refused before authentication: missing or invalid token, rate-limited address.',
    labelNames: ['reason'],
    registers: [registry],
  });

  return {
    registry,
    observeRequest(method, route, status) {
      apiRequests.inc({ method, route, status: String(status) });
    },
    observeAuthFailure(reason) {
      authFailures.inc({ reason });
    },
  };
}
