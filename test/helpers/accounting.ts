/**
 * One accounting record (what the accounting handler hands the store) for store and audit
 * tests: a Start from access point 11-22-33-44-55-66 on the DCPS SSID at `at`, every counter
 * unset. Tests override what they are about.
 */
import type { AccountingRecord } from '../../src/radius/handlers/accounting-request.js';

export function accountingRecord(at: number, over: Partial<AccountingRecord> = {}): AccountingRecord {
  return {
    at,
    eventAt: at,
    delayTime: null,
    nas: 'ap-hall',
    nasAddress: '10.0.0.2',
    nasPort: null,
    statusType: 1,
    sessionId: 's-1',
    userName: null,
    mac: null,
    calledStationId: '11-22-33-44-55-66:DCPS',
    apMac: '11-22-33-44-55-66',
    ssid: 'DCPS',
    framedIp: null,
    sessionTime: null,
    inputOctets: null,
    outputOctets: null,
    inputPackets: null,
    outputPackets: null,
    terminateCause: null,
    ...over,
  };
}
