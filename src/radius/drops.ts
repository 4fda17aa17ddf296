/**
 * Why a datagram got no answer: a closed list, each counted (and shown in /metrics later).
 * RFC 2865 §3 and RFC 3579 §3.2 require these to be discarded silently: no reply, no crash.
 */
export const DROP_CAUSES = [
  'malformed',
  'unknown-nas',
  'unexpected-code',
  'message-authenticator-missing',
  'message-authenticator-invalid',
  'request-authenticator-invalid',
  'duplicate-in-progress',
  'store-unavailable',
  'shed',
  'internal-error',
] as const;
export type DropCause = (typeof DROP_CAUSES)[number];

export const DROP_MESSAGES: Readonly<Record<DropCause, string>> = {
  malformed: 'The datagram is not a well-formed RADIUS packet (RFC 2865 §3, §5).',
  'unknown-nas': 'The source address is not a configured NAS client, so there is no shared secret for it.',
  'unexpected-code': 'The packet code is not one this port serves (e.g. an Access-Request on the accounting port).',
  'message-authenticator-missing':
    'Message-Authenticator is required for this NAS (BlastRADIUS, CVE-2024-3596) and the request has none.',
  'message-authenticator-invalid': 'The Message-Authenticator does not verify: wrong shared secret or a forged packet.',
  'request-authenticator-invalid':
    'The Accounting-Request authenticator does not verify (RFC 2866 §3): wrong shared secret or a forged packet.',
  'duplicate-in-progress': 'A retransmission arrived while the original was still being handled (RFC 5080 §2.2.2).',
  'store-unavailable': 'The record could not be stored, so no response is sent and the NAS will retransmit.',
  shed: 'Too busy: the store or the event loop is behind, so a new request got no answer and the NAS will retransmit.',
  'internal-error': 'An unexpected error while handling the packet (a bug: please report it).',
};

export type DropCounters = Record<DropCause, number>;

export function newDropCounters(): DropCounters {
  const counters = {} as DropCounters;
  for (const cause of DROP_CAUSES) counters[cause] = 0;
  return counters;
}
