/** `lanyard serve`: the daemon. Prints where it listens on stdout; logs JSON on stderr. */
import type { Command } from 'commander';
import { lapTimer, startDaemon } from '../app.js';
import type { ConfigOverrides } from '../config/types.js';
import { loadConfig } from '../config/load.js';
import { createLogger } from '../log.js';
import { describeFeed } from './check-config.js';
import { DEFAULT_CONFIG, parsePort, runAction } from './common.js';
import path from 'node:path';
import { readUdpQueues } from '../net/udp-queue.js';

interface ServeOptions {
  config?: string;
  db?: string;
  authPort?: number;
  acctPort?: number;
  apiPort?: number;
  dhcpPort?: number;
  logLevel?: string;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the RADIUS daemon (MAB/PAP/CHAP authentication and accounting)')
    .option('--config <file>', 'configuration file', DEFAULT_CONFIG)
    .option('--db <path>', 'SQLite database file (overrides store.database)')
    .option('--auth-port <n>', 'RADIUS authentication port; 0 picks a free one', parsePort)
    .option('--acct-port <n>', 'RADIUS accounting port; 0 picks a free one', parsePort)
    .option('--api-port <n>', 'admin HTTP API port (overrides api.port); 0 picks a free one', parsePort)
    .option('--dhcp-port <n>', 'DHCP server port (overrides dhcp.port) when dhcp.mode is serve or listen; 0 picks a free one', parsePort)
    .option('--log-level <level>', 'override log.level (fatal, error, warn, info, debug, trace, silent)')
    .action(runAction(serve));
}

async function serve(opts: ServeOptions): Promise<void> {
  // performance.now() counts from the process's start: until here, Node started and loaded the modules.
  const lap = lapTimer(() => performance.now(), 0);
  const modulesMs = lap();
  const file = path.resolve(opts.config ?? DEFAULT_CONFIG);
  const overrides: ConfigOverrides = {
    ...(opts.db === undefined ? {} : { database: path.resolve(opts.db) }),
    ...(opts.authPort === undefined ? {} : { authPort: opts.authPort }),
    ...(opts.acctPort === undefined ? {} : { acctPort: opts.acctPort }),
    ...(opts.apiPort === undefined ? {} : { apiPort: opts.apiPort }),
    ...(opts.dhcpPort === undefined ? {} : { dhcpPort: opts.dhcpPort }),
  };
  const config = loadConfig(file, { overrides, generateSecrets: true });
  const log = createLogger(opts.logLevel ?? config.log.level);
  for (const notice of config.notices) process.stderr.write(`lanyard: ${notice}\n`);
  for (const warning of config.warnings) log.warn(warning);

  const configMs = lap();

  const daemon = await startDaemon(config, log);
  const where = config.radius.bind.includes(':') ? `[${config.radius.bind}]` : config.radius.bind;
  process.stdout.write(
    [
      `lanyard listening: RADIUS auth udp ${where}:${daemon.authPort}, accounting udp ${where}:${daemon.acctPort}`,
      daemon.apiPort === null
        ? '  admin API off (api.enabled: false)'
        : `  admin API http://${config.api.bind.includes(':') ? `[${config.api.bind}]` : config.api.bind}:${daemon.apiPort} (docs at /docs)`,
      ...(daemon.dhcpPort === null ? [] : [`  DHCP ${config.dhcp.mode} udp ${config.dhcp.bind}:${daemon.dhcpPort} (${config.dhcp.scopes.map((sc) => sc.network).join(', ')})`]),
      `  config:   ${config.source}`,
      `  database: ${config.store.database}`,
      `  devices:  ${daemon.runtime.cache.size} in the cache`,
      ...config.radius.clients.map((c) => `  NAS ${c.name}: ${c.address} (${c.vendor}, secret from ${c.secretSource})`),
      ...config.feeds.map((f) => `  feed ${describeFeed(f)}`),
      '',
    ].join('\n'),
  );
  const startupMs = { modules: modulesMs, config: configMs, ...daemon.startup, total: Math.round(performance.now()) };
  log.info({ authPort: daemon.authPort, acctPort: daemon.acctPort, apiPort: daemon.apiPort, dhcpPort: daemon.dhcpPort, devices: daemon.runtime.cache.size, startupMs }, 'started');

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping: flushing queued records');
    daemon.stop().then(
      () => {
        log.flush();
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // SIGUSR2: one JSON line of counters and the decision latency of the interval since the
  // previous SIGUSR2 (benchmarks, operators). The histogram itself is never reset: /metrics
  // exports it as cumulative counters.
  let since = daemon.runtime.latency.snapshot();
  let sinceCount = daemon.runtime.latency.count;
  process.on('SIGUSR2', () => {
    const rt = daemon.runtime;
    const h = rt.latency;
    log.info(
      {
        requests: rt.counters.received,
        accepts: rt.counters.accepts,
        rejects: rt.counters.rejects,
        drops: rt.counters.drops,
        // Datagrams the kernel dropped for each socket (its receive buffer was full): not
        // seen by the daemon, so not in `drops` (src/net/udp-queue.ts).
        kernelDrops: kernelDrops(daemon.authPort, daemon.acctPort),
        duplicatesResent: rt.counters.duplicatesResent,
        eventsQueued: rt.decisions.pending,
        cacheSize: rt.cache.size,
        ...(daemon.feed === null ? {} : { feeds: daemon.feed.stats() }),
        ...(daemon.dhcp === null
          ? {}
          : {
              dhcp: {
                received: daemon.dhcp.counters.received,
                replies: daemon.dhcp.counters.replies,
                unanswered: Object.fromEntries(Object.entries(daemon.dhcp.counters.silences).filter(([, n]) => n > 0)),
                drops: Object.fromEntries(Object.entries(daemon.dhcp.counters.drops).filter(([, n]) => n > 0)),
                ...(daemon.dhcp.counters.refusalsNotAudited > 0 ? { refusalsNotAudited: daemon.dhcp.counters.refusalsNotAudited } : {}),
                leases: daemon.dhcp.table.size,
              },
            }),
        latencyUs: { p50: h.percentileSince(since, 50), p99: h.percentileSince(since, 99), p999: h.percentileSince(since, 99.9), count: h.count - sinceCount },
      },
      'stats',
    );
    since = h.snapshot();
    sinceCount = h.count;
  });
  process.on('SIGHUP', () => {
    try {
      const next = loadConfig(file, { overrides, generateSecrets: true });
      const notes = daemon.reload(next);
      for (const warning of next.warnings) log.warn(warning);
      log.info({ notes }, 'configuration reloaded');
    } catch (err) {
      log.error({ err }, 'configuration reload failed; the running configuration is unchanged');
    }
  });
}

function kernelDrops(authPort: number, acctPort: number): { auth: number; acct: number } | null {
  const queues = readUdpQueues([authPort, acctPort]);
  return queues === null ? null : { auth: queues.get(authPort)?.drops ?? 0, acct: queues.get(acctPort)?.drops ?? 0 };
}
