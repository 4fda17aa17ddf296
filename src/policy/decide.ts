/**
 * The access decision: a pure function of the policy, the device's registry facts and where
 * and when it asked. No clock (ctx.now), no store, no logging. It runs for every
 * Access-Request, so everything that depends only on the policy is computed once per policy
 * (prepareDecisions) and the common results are shared, frozen objects.
 *
 * Order of the checks, and why:
 *  1. A KNOWN device's own state comes first — blocked, lost, retired,
 *     expired — wherever it is asking from, so that a lost laptop trying any SSID
 *     is reported as lost (R-4 wants an alert for every later attempt), not as "unknown SSID".
 *  2. Its class must exist in the current config ('class-undefined' after a class is removed).
 *  3. The request's network: the SSID (Called-Station-Id) names it; an SSID no network
 *     carries is refused ('unknown-ssid'). With no SSID (wired MAB on a switch) the NAS's
 *     configured defaultNetwork is used; when the NAS has none, a known device is placed on
 *     its own class's network — the switch port takes the device's VLAN.
 *  4. The class's network must BE the request's network, else 'wrong-network': a
 *     school laptop that joins BYOD, or a personal phone that joins DCPS, is refused rather
 *     than given a VLAN the AP did not expect. Placing it on its "right" VLAN through the
 *     "wrong" SSID would put a school device behind the personal network's PSK/filter path
 *     (or a personal device on the school network), and most APs cannot move a client to a
 *     VLAN that SSID does not carry anyway (VENDORS.md, UniFi). Refusing tells the ICT team
 *     exactly what happened and the user to pick the right SSID.
 *  5. Accept with the class's network and profile. Session-Timeout is the class's, capped by
 *     the seconds left until the device's expiresAt (rounded up, at least 1), so time-limited
 *     access — visitors, leavers — ends by itself at the NAS.
 *
 * An UNKNOWN device (not in the registry) needs a network to be judged by: with no SSID and
 * no NAS default it is refused ('no-network'). On a network whose rule is reject it is
 * refused ('unknown-device'); on one that admits it is accepted as that network's class
 * (admittedUnknown). Config loading guarantees that class lives on that network and that a
 * network carrying school-owned classes never admits unknown devices.
 */
import {
  REJECT_MESSAGES,
  type Decision,
  type DeviceClass,
  type DeviceFacts,
  type Network,
  type Policy,
  type RejectReason,
  type RequestContext,
} from './model.js';

type Reject = Extract<Decision, { kind: 'reject' }>;
type Accept = Extract<Decision, { kind: 'accept' }>;

/** One shared, frozen reject decision per reason: rejecting allocates nothing. */
const REJECT: Readonly<Record<RejectReason, Reject>> = Object.freeze(
  Object.fromEntries(
    (Object.keys(REJECT_MESSAGES) as RejectReason[]).map((reason) => [reason, Object.freeze({ kind: 'reject', reason } as const)]),
  ) as Record<RejectReason, Reject>,
);

export function rejectDecision(reason: RejectReason): Reject {
  return REJECT[reason];
}

/** The text shown to the ICT team for a reject reason (REJECT_MESSAGES, verbatim). */
export function decideReasonMessage(reason: RejectReason): string {
  return REJECT_MESSAGES[reason];
}

/** Longest Session-Timeout RADIUS can carry (RFC 2865 §5.27: 32-bit unsigned). */
const MAX_SESSION_TIMEOUT = 4294967295;

interface PreparedClass {
  readonly deviceClass: DeviceClass;
  readonly network: Network;
  /** Accept for a registered device of this class (session timeout = the class's). */
  readonly known: Accept;
}

interface Prepared {
  /** Class name → its precomputed accept, for classes whose network and profile exist. */
  readonly classes: ReadonlyMap<string, PreparedClass>;
  /** SSID → network object (one lookup instead of two). */
  readonly ssidNetwork: ReadonlyMap<string, Network>;
  /** Network name → decision for an unknown device on that network. */
  readonly unknownOn: ReadonlyMap<string, Decision>;
}

const prepared = new WeakMap<Policy, Prepared>();

/**
 * Precomputes what decide() needs for one policy. compilePolicy() calls it once; decide()
 * calls it lazily for a Policy built some other way (e.g. by hand in a test).
 */
export function prepareDecisions(policy: Policy): void {
  if (prepared.has(policy)) return;
  const classes = new Map<string, PreparedClass>();
  for (const deviceClass of policy.classes.values()) {
    const network = policy.networks.get(deviceClass.network);
    const profile = policy.profiles.get(deviceClass.profile);
    if (network === undefined || profile === undefined) continue; // decided as class-undefined
    const known: Accept = Object.freeze({
      kind: 'accept',
      network,
      deviceClass,
      profile,
      admittedUnknown: false,
      sessionTimeout: deviceClass.sessionTimeout,
    });
    classes.set(deviceClass.name, { deviceClass, network, known });
  }
  const ssidNetwork = new Map<string, Network>();
  for (const [ssid, name] of policy.ssidToNetwork) {
    const network = policy.networks.get(name);
    if (network !== undefined) ssidNetwork.set(ssid, network);
  }
  const unknownOn = new Map<string, Decision>();
  for (const network of policy.networks.values()) {
    const rule = network.unknownDevices;
    if (rule.action === 'reject') {
      unknownOn.set(network.name, REJECT['unknown-device']);
      continue;
    }
    const entry = classes.get(rule.asClass);
    if (entry === undefined) unknownOn.set(network.name, REJECT['class-undefined']);
    else if (entry.network !== network) unknownOn.set(network.name, REJECT['wrong-network']);
    else unknownOn.set(network.name, Object.freeze({ ...entry.known, admittedUnknown: true }));
  }
  prepared.set(policy, { classes, ssidNetwork, unknownOn });
}

function preparedFor(policy: Policy): Prepared {
  let p = prepared.get(policy);
  if (p === undefined) {
    prepareDecisions(policy);
    p = prepared.get(policy)!;
  }
  return p;
}

/** Session-Timeout: the class's (0 = none), capped by the whole seconds left before expiry. */
function withExpiry(accept: Accept, expiresAt: number | null, now: number): Accept {
  if (expiresAt === null) return accept;
  const left = Math.min(Math.max(Math.ceil((expiresAt - now) / 1000), 1), MAX_SESSION_TIMEOUT);
  const base = accept.sessionTimeout;
  if (base !== 0 && base <= left) return accept;
  return { ...accept, sessionTimeout: left };
}

/**
 * Decides one request. `device` is the registry's facts for the MAC, or undefined when the
 * MAC is not registered. The returned object may be shared between calls: never mutate it.
 */
export function decide(policy: Policy, device: DeviceFacts | undefined, ctx: RequestContext): Decision {
  const p = preparedFor(policy);

  // The network the request arrived on: SSID, else the NAS's pinned default, else none.
  let network: Network | undefined;
  if (ctx.ssid !== null) {
    network = p.ssidNetwork.get(ctx.ssid);
  } else if (ctx.nasDefaultNetwork !== null) {
    network = policy.networks.get(ctx.nasDefaultNetwork);
    if (network === undefined) return REJECT['no-network'];
  }

  if (device === undefined) {
    if (network === undefined) return ctx.ssid !== null ? REJECT['unknown-ssid'] : REJECT['no-network'];
    return p.unknownOn.get(network.name) ?? REJECT['unknown-device'];
  }

  // Known device: its own state first, wherever it asks from.
  switch (device.status) {
    case 'active':
      break;
    case 'blocked':
      return REJECT['device-blocked'];
    case 'lost':
      return REJECT['device-lost'];
    case 'retired':
      return REJECT['device-retired'];
    default:
      return REJECT['device-blocked']; // a status this build does not know: fail closed
  }
  if (device.expiresAt !== null && device.expiresAt <= ctx.now) return REJECT['device-expired'];

  const entry = p.classes.get(device.className);
  if (entry === undefined) return REJECT['class-undefined'];

  if (network === undefined) {
    if (ctx.ssid !== null) return REJECT['unknown-ssid'];
    network = entry.network; // wired MAB, NAS without a default: the device's own VLAN
  }
  if (entry.network !== network) return REJECT['wrong-network'];
  return withExpiry(entry.known, device.expiresAt, ctx.now);
}
