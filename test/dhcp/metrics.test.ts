/** The DHCP counters in Prometheus form (/metrics), read at scrape time like the RADIUS ones. */
import { describe, expect, it } from 'vitest';
import { createAdminMetrics } from '../../src/admin/metrics.js';
import { newDhcpCounters } from '../../src/dhcp/listener.js';

describe('DHCP metrics', () => {
  it('exports what the listener counted, by type and reason', async () => {
    const counters = newDhcpCounters();
    counters.received = 7;
    counters.messages = { discover: 4, request: 3 };
    counters.replies = { offer: 3, ack: 2, nak: 1 };
    counters.silences['pool-exhausted'] = 1;
    counters.drops['bad-magic-cookie'] = 2;
    counters.refusals['wrong-network'] = 1;
    const text = await createAdminMetrics(() => null, { dhcp: () => counters }).registry.metrics();
    expect(text).toContain('lanyard_dhcp_received_total 7');
    expect(text).toContain('lanyard_dhcp_messages_total{type="discover"} 4');
    expect(text).toContain('lanyard_dhcp_replies_total{type="nak"} 1');
    expect(text).toContain('lanyard_dhcp_unanswered_total{reason="pool-exhausted"} 1');
    expect(text).toContain('lanyard_dhcp_dropped_total{reason="bad-magic-cookie"} 2');
    expect(text).toContain('lanyard_dhcp_refusals_total{reason="wrong-network"} 1');
  });

  it('counts nothing when DHCP is off', async () => {
    const text = await createAdminMetrics(() => null).registry.metrics();
    const values = [...text.matchAll(/^lanyard_dhcp_\w+(?:\{[^}]*\})? (\S+)$/gm)].map((m) => Number(m[1]));
    expect(values.length).toBeGreaterThan(0);
    expect(values.every((v) => v === 0)).toBe(true);
  });
});
