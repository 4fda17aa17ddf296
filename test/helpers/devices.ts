/** Registers devices through the real CLI and waits until the running daemon admits one of them. */
import { expect } from 'vitest';
import type { RunningDaemon } from './daemon.js';
import { mabRequest, radclient } from './radclient.js';

/**
 * `lanyard devices add MAC --class CLASS --owner OWNER` for each entry, then MAB for `probe`
 * through `called` ("AP-MAC:SSID") until it is accepted: the daemon picks CLI writes up within
 * a second, and the accept is the decision a later session takes its network and VLAN from.
 * Bounded: 30 tries, 100 ms apart.
 */
export async function registerDevices(
  daemon: RunningDaemon,
  devices: readonly (readonly [mac: string, className: string, owner: string])[],
  probe: { readonly mac: string; readonly called: string },
): Promise<void> {
  for (const [mac, cls, owner] of devices) {
    const r = await daemon.cli(['devices', 'add', mac, '--class', cls, '--owner', owner]);
    expect(r.code, r.stderr).toBe(0);
  }
  for (let i = 0; i < 30; i++) {
    const r = await radclient(daemon.authPort, daemon.secret, mabRequest(probe.mac, { called: probe.called }));
    if (r.reply === 'Access-Accept') return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
