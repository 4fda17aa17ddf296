/** The stored shape of an access decision and the one mapping from it (store, audit queries, legacy import). */
import type { DecisionEvent } from './types.js';

/** A decision as stored (snake_case columns of the decision_events view and its legacy table). */
export interface DecisionEventRow {
  at: number;
  result: DecisionEvent['result'];
  reason: string;
  mac: string | null;
  user_name: string | null;
  nas: string;
  nas_address: string;
  ap_mac: string | null;
  ssid: string | null;
  network: string | null;
  vlan: number | null;
  class: string | null;
  profile: string | null;
  method: DecisionEvent['method'];
  randomised: number;
  latency_us: number;
  /** Absent in the pre-audit-log table. */
  person?: string | null;
}

/** The one mapping from a stored decision row to a DecisionEvent (store, audit queries, legacy import). */
export function decisionFromRow(r: DecisionEventRow): DecisionEvent {
  return {
    at: r.at,
    result: r.result,
    reason: r.reason,
    mac: r.mac,
    userName: r.user_name,
    nas: r.nas,
    nasAddress: r.nas_address,
    apMac: r.ap_mac,
    ssid: r.ssid,
    network: r.network,
    vlan: r.vlan,
    className: r.class,
    profile: r.profile,
    method: r.method,
    randomisedMac: r.randomised !== 0,
    latencyUs: r.latency_us,
    ...(r.person === null || r.person === undefined ? {} : { person: r.person }),
  };
}
