/**
 * The admin API's route schemas compiled when a route is first used, not when the daemon
 * starts. fastify compiles every route's request validators (ajv) and response serializers
 * (fast-json-stringify) while it gets ready: about a third of a second of CPU at every start
 * (docs/benchmarks.md), spent before the "started" line, for routes most starts never see.
 * Compiled on first use, each costs its first request a few milliseconds instead.
 *
 * The wrappers behave as what they wrap: a validator answers as ajv's does (fastify reads
 * `errors` after a false answer, and `schemaEnv` to pass the parent object so that ajv may
 * coerce a whole request part), a serializer returns the same text. compileAll() compiles
 * whatever is still pending, so a test can prove every schema compiles.
 */
import type { ErrorObject, ValidateFunction } from 'ajv';

/** Where the value sits, so that ajv may replace it when it coerces it (what fastify passes). */
export interface ParentOfData {
  readonly parentData: object;
  readonly parentDataProperty: string;
}

/** An ajv validator compiled at its first call. */
export interface LazyValidator {
  (data: unknown, context?: ParentOfData): boolean;
  errors: ErrorObject[] | null | undefined;
  /** ajv's schema environment; reading it compiles the validator (fastify reads it at the first request). */
  readonly schemaEnv: ValidateFunction['schemaEnv'];
}

export type Serializer = (doc: unknown) => string;

export class CompileOnUse {
  readonly #pending = new Set<() => unknown>();

  /** How many validators and serializers have not been compiled yet. */
  get pending(): number {
    return this.#pending.size;
  }

  validator(compile: () => ValidateFunction): LazyValidator {
    const ready = this.#once(compile);
    const validate = (data: unknown, context?: ParentOfData): boolean => {
      const fn = ready();
      // ajv's generated function defaults the context's other fields (instancePath, rootData, ...).
      const ok = fn(data, context as Parameters<ValidateFunction>[1]);
      validate.errors = fn.errors;
      return ok;
    };
    validate.errors = null as ErrorObject[] | null | undefined;
    Object.defineProperty(validate, 'schemaEnv', { get: () => ready().schemaEnv, enumerable: true });
    return validate as LazyValidator;
  }

  serializer(compile: () => Serializer): Serializer {
    const ready = this.#once(compile);
    return (doc) => ready()(doc);
  }

  /** Compiles every validator and serializer not compiled yet; answers how many it compiled. */
  compileAll(): number {
    const all = [...this.#pending];
    for (const compile of all) compile();
    return all.length;
  }

  /** `compile` run at most once, on the first call; pending until then. */
  #once<T>(compile: () => T): () => T {
    let value: T | undefined;
    let done = false;
    const ready = (): T => {
      if (!done) {
        value = compile();
        done = true;
        this.#pending.delete(ready);
      }
      return value as T;
    };
    this.#pending.add(ready);
    return ready;
  }
}
