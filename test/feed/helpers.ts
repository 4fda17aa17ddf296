/** Shared by the feed's unit tests: the seed school's policy and a session as the store makes it. */
import path from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import type { SessionRecord } from '../../src/store/sessions.js';

export const policy = loadConfig(path.resolve('config/lanyard.yaml'), { env: { LANYARD_LOOPBACK_SECRET: 'loopback-secret-for-tests' } }).policy;
export const T0 = Date.UTC(2026, 10, 2, 8, 30, 0);
export const LAPTOP = '02-00-00-00-03-01';

let nextId = 1;

/** An open session of the staff laptop on DCPS, started at T0, with a fresh row id. */
export function sessionRecord(over: Partial<SessionRecord> = {}): SessionRecord {
  const id = nextId++;
  return {
    id,
    nas: 'loopback',
    nasAddress: '127.0.0.1',
    sessionId: `ap-${id}`,
    mac: LAPTOP,
    userName: '020000000301',
    nasPort: null,
    apMac: null,
    ssid: 'DCPS',
    network: 'DCPS',
    vlan: 10,
    framedIp: null,
    startedAt: T0,
    updatedAt: T0,
    stoppedAt: null,
    inputOctets: null,
    outputOctets: null,
    inputPackets: null,
    outputPackets: null,
    sessionTime: null,
    terminateCause: null,
    stopReason: null,
    ...over,
  };
}
