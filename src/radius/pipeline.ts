/**
 * The request pipeline, written as data: a named list of steps per port, each returning
 * "go on", "reply", "drop" or "later" (exchange.ts StepResult), and tables that say which
 * packet codes a port serves and what a failure becomes for each code.
 * Modelled on FreeRADIUS's listener/process split: no step here logs (the listener does).
 */
import { check, verifyMessageAuthenticator, verifyRequestAuthenticator } from '../protocols/radius/index.js';
import { Code } from '../protocols/radius/constants.js';
import type { DropCause } from './drops.js';
import { DUP_ANSWERED, DUP_IN_PROGRESS } from './duplicates.js';
import type { Exchange, RadiusRuntime, Service, Step, StepResult } from './exchange.js';
import { handleAccessRequest, rejectForInternalError } from './handlers/access-request.js';
import { handleAccountingRequest } from './handlers/accounting-request.js';
import { handleStatusServer } from './handlers/status-server.js';

type Handler = (ex: Exchange, rt: RadiusRuntime) => StepResult;

/** Which codes each port serves, and the handler for each (one file per packet type). */
export const HANDLERS: Readonly<Record<Service, ReadonlyMap<number, Handler>>> = {
  auth: new Map<number, Handler>([
    [Code.AccessRequest, handleAccessRequest],
    [Code.StatusServer, handleStatusServer], // RFC 5997 §3
  ]),
  acct: new Map<number, Handler>([
    [Code.AccountingRequest, handleAccountingRequest],
    [Code.StatusServer, handleStatusServer], // RFC 5997 §3
  ]),
};

/**
 * What an unexpected failure inside a handler turns into, per packet code. An Access-Request
 * is answered with a Reject (the NAS must not hang waiting); an Accounting-Request gets no
 * response, so the NAS retransmits rather than losing the record (RFC 2866 §2).
 */
export const ON_HANDLER_FAILURE: ReadonlyMap<number, 'reject' | 'drop'> = new Map([
  [Code.AccessRequest, 'reject'],
  [Code.AccountingRequest, 'drop'],
  [Code.StatusServer, 'drop'],
]);

const ZERO_AUTHENTICATOR = Buffer.alloc(16);

const shape: Step = {
  name: 'shape',
  // RFC 2865 §3: malformed packets are silently discarded. No secret is needed to check framing.
  run: (ex) => (check(ex.buf) === null ? null : 'malformed'),
};

const identifyNas: Step = {
  name: 'identify-nas',
  run: (ex, rt) => {
    const entry = rt.state.registry.lookup(ex.address);
    if (entry === null) return 'unknown-nas'; // RFC 2865 §3: no shared secret → discard silently
    ex.nas = entry.config;
    ex.nasIndex = entry.index;
    return null;
  },
};

function servedCodes(service: Service): Step {
  const handlers = HANDLERS[service];
  return { name: 'code', run: (ex) => (handlers.has(ex.buf[0]!) ? null : 'unexpected-code') };
}

const messageAuthenticator: Step = {
  name: 'message-authenticator',
  run: (ex) => {
    const nas = ex.nas!;
    const code = ex.buf[0]!;
    // RFC 3579 §3.2 / RFC 5176 §3.3: in Accounting-Requests the Message-Authenticator is computed
    // with the Request Authenticator field zeroed; in Access-Request and Status-Server, as sent.
    const result =
      code === Code.AccountingRequest
        ? verifyMessageAuthenticator(ex.buf, nas.secret, ZERO_AUTHENTICATOR)
        : verifyMessageAuthenticator(ex.buf, nas.secret);
    if (result === 'valid') return null;
    if (result === 'absent') {
      // RFC 5997 §3: Status-Server MUST carry Message-Authenticator. Accounting is protected
      // by its Request Authenticator instead (next step). Access-Request: BlastRADIUS rule.
      if (code === Code.StatusServer) return 'message-authenticator-missing';
      if (code === Code.AccessRequest && nas.requireMessageAuthenticator) return 'message-authenticator-missing';
      return null;
    }
    return 'message-authenticator-invalid'; // RFC 3579 §3.2: silently discard
  },
};

const requestAuthenticator: Step = {
  name: 'request-authenticator',
  // RFC 2866 §3: the Accounting-Request authenticator is an MD5 over the packet and secret.
  run: (ex) =>
    ex.buf[0] !== Code.AccountingRequest || verifyRequestAuthenticator(ex.buf, ex.nas!.secret)
      ? null
      : 'request-authenticator-invalid',
};

const duplicate: Step = {
  name: 'duplicate',
  run: (ex, rt) => {
    // RFC 5997 §3: Status-Server is not subject to duplicate detection; each one is answered.
    if (ex.buf[0] === Code.StatusServer) return null;
    const dup = rt.duplicates;
    const handle = dup.check(dup.key(ex.service, ex.address, ex.port, ex.buf[1]!), ex.buf, rt.now());
    if (handle === DUP_IN_PROGRESS) return 'duplicate-in-progress';
    if (handle === DUP_ANSWERED) {
      rt.counters.duplicatesResent++;
      return dup.resend!; // RFC 5080 §2.2.2: same reply, decision not taken twice
    }
    ex.dupEntry = handle;
    return null;
  },
};

/**
 * After the duplicate step, so a retransmission of a request already decided still gets its
 * reply; only a new request is shed (load.ts). Status-Server is never shed (it skips the
 * duplicate step): a health check must see the server alive while it sheds.
 */
function shed(service: Service): Step {
  return {
    name: 'shed',
    run: (ex, rt) => {
      if (ex.dupEntry === null || rt.load === undefined) return null;
      const queued = service === 'auth' ? rt.decisions.pending : rt.accounting.pending;
      return rt.load.shouldShed(queued) ? 'shed' : null; // settle() forgets the duplicate entry
    },
  };
}

function dispatch(service: Service): Step {
  const handlers = HANDLERS[service];
  return {
    name: 'handle',
    run: (ex, rt) => {
      const code = ex.buf[0]!;
      const handler = handlers.get(code)!; // the 'code' step guarantees presence
      try {
        return handler(ex, rt);
      } catch (error) {
        return failure(ex, rt, code, error);
      }
    },
  };
}

/** Applies ON_HANDLER_FAILURE; the error itself reaches the listener's log via the runtime hook. */
function failure(ex: Exchange, rt: RadiusRuntime, code: number, error: unknown): Buffer | DropCause {
  rt.onInternalError?.(error, ex);
  return ON_HANDLER_FAILURE.get(code) === 'reject' ? rejectForInternalError(ex, rt) : 'internal-error';
}

/** The steps, in order, for each port. Adding a step is adding a line here. */
export const PIPELINES: Readonly<Record<Service, readonly Step[]>> = {
  auth: [shape, identifyNas, servedCodes('auth'), messageAuthenticator, duplicate, shed('auth'), dispatch('auth')],
  acct: [shape, identifyNas, servedCodes('acct'), messageAuthenticator, requestAuthenticator, duplicate, shed('acct'), dispatch('acct')],
};

/**
 * Runs a datagram through its port's pipeline. Returns the reply to send, a drop cause, or a
 * promise of either. Completes the duplicate-cache entry so a retransmission gets the same bytes.
 */
export function runPipeline(ex: Exchange, rt: RadiusRuntime): Buffer | DropCause | Promise<Buffer | DropCause> {
  rt.counters.received++;
  const steps = PIPELINES[ex.service];
  for (let i = 0; i < steps.length; i++) {
    const result = steps[i]!.run(ex, rt);
    if (result === null) continue;
    if (result instanceof Promise) {
      return result.then(
        (r) => settle(ex, rt, r),
        (error: unknown) => settle(ex, rt, failure(ex, rt, ex.buf[0]!, error)),
      );
    }
    return settle(ex, rt, result);
  }
  // Every pipeline ends with a handler that always answers; falling off the end is a bug.
  return settle(ex, rt, 'internal-error');
}

function settle(ex: Exchange, rt: RadiusRuntime, result: Buffer | DropCause): Buffer | DropCause {
  if (typeof result === 'string') {
    rt.counters.drops[result]++;
    if (ex.dupEntry !== null) rt.duplicates.forget(ex.dupEntry);
  } else if (ex.dupEntry !== null) {
    rt.duplicates.complete(ex.dupEntry, result);
  }
  return result;
}
