/**
 * Route schemas compiled on first use (src/admin/compile-on-use.ts) behave as the ajv
 * validators and serializers they wrap, and compile once.
 */
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { CompileOnUse } from '../../src/admin/compile-on-use.js';

const schema = { type: 'object', properties: { limit: { type: 'integer', minimum: 1 } }, required: ['limit'], additionalProperties: false };

describe('CompileOnUse', () => {
  it('compiles a validator at its first call, once, and answers as ajv does, errors included', () => {
    const compilers = new CompileOnUse();
    const ajv = new Ajv({ coerceTypes: 'array' });
    let compiled = 0;
    const validate = compilers.validator(() => {
      compiled++;
      return ajv.compile(schema);
    });
    expect(compiled).toBe(0);
    expect(compilers.pending).toBe(1);

    const query: Record<string, unknown> = { limit: '10' };
    expect(validate(query)).toBe(true);
    expect(query.limit).toBe(10); // coerced in place, as ajv does
    expect(validate.errors).toBeNull();
    expect(validate({ limit: 0 })).toBe(false);
    expect(validate.errors?.[0]).toMatchObject({ keyword: 'minimum', instancePath: '/limit' });
    expect(validate({ limit: 2, other: 1 })).toBe(false);
    expect(validate.errors?.[0]?.keyword).toBe('additionalProperties');
    expect(compiled).toBe(1);
    expect(compilers.pending).toBe(0);
  });

  it('hands ajv the parent object, so a whole request part can be coerced (fastify reads schemaEnv first)', () => {
    const compilers = new CompileOnUse();
    const ajv = new Ajv({ coerceTypes: 'array' });
    const validate = compilers.validator(() => ajv.compile({ type: 'array', items: { type: 'integer' } }));
    expect(validate.schemaEnv).toBeDefined(); // reading it compiles
    expect(compilers.pending).toBe(0);
    const request: { query: unknown } = { query: '7' };
    // What fastify passes (lib/validation.js validateParam).
    expect(validate(request.query, { parentData: request, parentDataProperty: 'query' })).toBe(true);
    expect(request.query).toEqual([7]);
  });

  it('compiles a serializer at its first call, once', () => {
    const compilers = new CompileOnUse();
    let compiled = 0;
    const serialize = compilers.serializer(() => {
      compiled++;
      return (doc) => `<${JSON.stringify(doc)}>`;
    });
    expect(compiled).toBe(0);
    expect(serialize({ a: 1 })).toBe('<{"a":1}>');
    expect(serialize([2])).toBe('<[2]>');
    expect(compiled).toBe(1);
  });

  it('compileAll compiles what is pending; a schema that cannot compile stays pending and fails each use', () => {
    const compilers = new CompileOnUse();
    const ajv = new Ajv();
    const good = compilers.validator(() => ajv.compile(schema));
    compilers.serializer(() => () => '');
    const bad = compilers.validator(() => ajv.compile({ type: 'no-such-type' }));
    good({ limit: 1 });
    expect(compilers.pending).toBe(2);
    expect(() => compilers.compileAll()).toThrow(/no-such-type|type/);
    expect(compilers.pending).toBe(1);
    expect(() => bad({})).toThrow();
    expect(compilers.pending).toBe(1);
  });
});
