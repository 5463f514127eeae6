/**
 * The registry's REST API over a real socket, with its schemas in `_schemas` on the embedded broker: every route,
 * Confluent's status codes and error codes, schema evolution under the compatibility levels, soft and hard deletes,
 * configs and modes. Expected codes are Confluent's documented ones (docs/registry.md, "Errors").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningBroker } from '../../broker/index.js';
import { logger } from '../../core/log.js';
import { useBroker } from '../../test/helpers/broker.js';
import { type RunningRegistry, startRegistryServer } from '../server.js';

let broker: RunningBroker;
let reg: RunningRegistry;

const CT = 'application/vnd.schemaregistry.v1+json';
async function call(method: string, path: string, body?: unknown, raw?: string) {
  const res = await fetch(reg.url + path, {
    method,
    headers: body === undefined && raw === undefined ? {} : { 'content-type': CT },
    body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
  });
  const text = await res.text();
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {
    /* raw text */
  }
  return { status: res.status, body: json as never, contentType: res.headers.get('content-type') };
}
const rec = (fields: object[]) => JSON.stringify({ type: 'record', name: 'Quote', namespace: 'test', fields });
const A = { name: 'a', type: 'int' };
const B = { name: 'b', type: 'string' };
const C_DEFAULT = { name: 'c', type: 'long', default: 0 };
const register = (subject: string, schema: string) => call('POST', `/subjects/${subject}/versions`, { schema });
const errorOf = (r: { status: number; body: { error_code: number } }) => [r.status, r.body.error_code];

const embedded = useBroker('ticklake-registry-routes', { defaultPartitions: 3 });
beforeAll(async () => {
  broker = embedded.broker;
  reg = await startRegistryServer({ brokers: [broker.address], host: '127.0.0.1', port: 0, log: logger('registry') });
});

afterAll(async () => {
  await reg?.close();
});

describe('registering and reading', () => {
  it('gives the same schema the same id, whatever its spelling and subject; another schema another id', async () => {
    const first = await register('quotes-value', rec([A, B]));
    expect(first.status).toBe(200);
    expect(first.contentType).toContain(CT);
    const id = (first.body as { id: number }).id;
    expect(Number.isInteger(id) && id > 0).toBe(true);
    expect((await register('quotes-value', rec([A, B]))).body).toEqual({ id });
    const respaced = JSON.stringify(JSON.parse(rec([A, B])), null, 2);
    expect((await register('quotes-value', respaced)).body).toEqual({ id });
    expect((await register('other-value', rec([A, B]))).body).toEqual({ id });
    const other = (await register('other-value', rec([A, B, C_DEFAULT]))).body as { id: number };
    expect(other.id).not.toBe(id);
    expect((await call('GET', '/subjects')).body).toEqual(['other-value', 'quotes-value']);
    expect((await call('GET', '/subjects/other-value/versions')).body).toEqual([1, 2]);
  });

  it('serves versions, schemas by id, raw schemas and lookups', async () => {
    const { id } = (await register('quotes-value', rec([A, B]))).body as { id: number };
    const v1 = { subject: 'quotes-value', version: 1, id, schema: rec([A, B]) };
    expect((await call('GET', '/subjects/quotes-value/versions/1')).body).toEqual(v1);
    expect((await call('GET', '/subjects/quotes-value/versions/latest')).body).toEqual(v1);
    expect((await call('GET', '/subjects/quotes-value/versions/-1')).body).toEqual(v1);
    expect((await call('GET', '/subjects/quotes-value/versions/1/schema')).body).toEqual(JSON.parse(rec([A, B])));
    expect((await call('GET', `/schemas/ids/${id}`)).body).toEqual({ schema: rec([A, B]) });
    expect((await call('GET', `/schemas/ids/${id}/schema`)).body).toEqual(JSON.parse(rec([A, B])));
    expect((await call('GET', `/schemas/ids/${id}/subjects`)).body).toEqual(['other-value', 'quotes-value']);
    expect((await call('GET', `/schemas/ids/${id}/versions`)).body).toEqual([
      { subject: 'other-value', version: 1 },
      { subject: 'quotes-value', version: 1 },
    ]);
    expect((await call('POST', '/subjects/quotes-value', { schema: rec([A, B]) })).body).toEqual(v1);
    expect((await call('GET', '/schemas/types')).body).toEqual(['AVRO']);
    expect((await call('GET', '/subjects/quotes-value/versions/1/referencedby')).body).toEqual([]);
  });

  it("answers Confluent's error codes", async () => {
    expect(errorOf(await call('GET', '/subjects/nope/versions'))).toEqual([404, 40401]);
    expect(errorOf(await call('GET', '/subjects/quotes-value/versions/9'))).toEqual([404, 40402]);
    expect(errorOf(await call('GET', '/subjects/quotes-value/versions/one'))).toEqual([422, 42202]);
    expect(errorOf(await call('GET', '/schemas/ids/12345'))).toEqual([404, 40403]);
    expect(errorOf(await call('POST', '/subjects/quotes-value', { schema: rec([A]) }))).toEqual([404, 40403]);
    expect(errorOf(await call('POST', '/subjects/nope', { schema: rec([A]) }))).toEqual([404, 40401]);
    expect(
      errorOf(await register('x-value', '{"type":"record","name":"X","fields":[{"name":"a","type":"nope"}]}')),
    ).toEqual([422, 42201]);
    expect(errorOf(await register('x-value', '{not json'))).toEqual([422, 42201]);
    expect(errorOf(await call('POST', '/subjects/x-value/versions', { schema: '{}', schemaType: 'JSON' }))).toEqual([
      422, 42201,
    ]);
    expect(errorOf(await call('POST', '/subjects/x-value/versions', { schema: 5 }))).toEqual([422, 422]);
    expect(errorOf(await call('POST', '/subjects/x-value/versions', undefined, '{"schema":'))).toEqual([400, 400]);
    expect(errorOf(await call('PUT', '/config', { compatibility: 'SIDEWAYS' }))).toEqual([422, 42203]);
    expect(errorOf(await call('PUT', '/mode', { mode: 'IMPORT' }))).toEqual([422, 42204]);
    expect(errorOf(await call('GET', '/no/such/route'))).toEqual([404, 404]);
    expect((await call('GET', '/subjects')).body).not.toContain('x-value');
  });
});

describe('schema evolution', () => {
  it('under BACKWARD (the default) accepts a field with a default, refuses a required one with 409', async () => {
    await register('evo-value', rec([A, B]));
    const added = await register('evo-value', rec([A, B, C_DEFAULT]));
    expect(added.status).toBe(200);
    const refused = await register('evo-value', rec([A, B, C_DEFAULT, { name: 'd', type: 'string' }]));
    expect(errorOf(refused)).toEqual([409, 409]);
    expect((refused.body as { message: string }).message).toMatch(/incompatible.*evo-value.*version 2 \(BACKWARD\)/);
    expect((await call('GET', '/subjects/evo-value/versions')).body).toEqual([1, 2]);
  });

  it('removing a required field: BACKWARD accepts it; FORWARD and FULL refuse it with 409', async () => {
    await register('fwd-value', rec([A, B]));
    expect((await call('PUT', '/config/fwd-value', { compatibility: 'FORWARD' })).body).toEqual({
      compatibility: 'FORWARD',
    });
    expect(errorOf(await register('fwd-value', rec([A])))).toEqual([409, 409]);
    await call('PUT', '/config/fwd-value', { compatibility: 'full' });
    expect(errorOf(await register('fwd-value', rec([A])))).toEqual([409, 409]);
    await call('PUT', '/config/fwd-value', { compatibility: 'BACKWARD' });
    expect((await register('fwd-value', rec([A]))).status).toBe(200);
  });

  it('tests compatibility without registering', async () => {
    const path = '/compatibility/subjects/evo-value/versions/latest?verbose=true';
    expect((await call('POST', path, { schema: rec([A, B, C_DEFAULT]) })).body).toEqual({
      is_compatible: true,
      messages: [],
    });
    const no = (await call('POST', path, { schema: rec([A, B, C_DEFAULT, { name: 'd', type: 'string' }]) })).body as {
      is_compatible: boolean;
      messages: string[];
    };
    expect(no.is_compatible).toBe(false);
    expect(no.messages[0]).toMatch(/version 2/);
    const required = rec([A, { name: 'q', type: 'string' }]);
    expect((await call('POST', '/compatibility/subjects/evo-value/versions', { schema: required })).body).toEqual({
      is_compatible: false,
    });
    // dropping fields is fine under BACKWARD: the new schema skips them when it reads old data
    expect((await call('POST', '/compatibility/subjects/evo-value/versions', { schema: rec([B]) })).body).toEqual({
      is_compatible: true,
    });
  });
});

describe('configs and modes', () => {
  it('has a global level (BACKWARD by default) and per-subject levels', async () => {
    expect((await call('GET', '/config')).body).toEqual({ compatibilityLevel: 'BACKWARD' });
    expect(errorOf(await call('GET', '/config/evo-value'))).toEqual([404, 40408]);
    expect((await call('PUT', '/config', { compatibility: 'NONE' })).body).toEqual({ compatibility: 'NONE' });
    expect((await call('GET', '/config/evo-value?defaultToGlobal=true')).body).toEqual({ compatibilityLevel: 'NONE' });
    // under NONE anything goes
    expect((await register('evo-value', '"string"')).status).toBe(200);
    expect((await call('DELETE', '/config')).body).toEqual({ compatibilityLevel: 'NONE' });
    expect((await call('GET', '/config')).body).toEqual({ compatibilityLevel: 'BACKWARD' });
    expect((await call('DELETE', '/config/fwd-value')).body).toEqual({ compatibilityLevel: 'BACKWARD' });
    expect(errorOf(await call('GET', '/config/fwd-value'))).toEqual([404, 40408]);
  });

  it('refuses writes in READONLY mode with 42205', async () => {
    expect((await call('PUT', '/mode', { mode: 'READONLY' })).body).toEqual({ mode: 'READONLY' });
    expect(errorOf(await register('ro-value', rec([A])))).toEqual([422, 42205]);
    expect((await call('GET', '/mode/ro-value?defaultToGlobal=true')).body).toEqual({ mode: 'READONLY' });
    expect((await call('PUT', '/mode', { mode: 'READWRITE' })).body).toEqual({ mode: 'READWRITE' });
    expect((await register('ro-value', rec([A]))).status).toBe(200);
  });
});

describe('deletes', () => {
  it('soft-deletes a version (its id stays readable), then hard-deletes it', async () => {
    const { id } = (await register('del-value', rec([A, { name: 'z', type: 'float' }]))).body as { id: number };
    await register('del-value', rec([A, { name: 'z', type: 'float' }, C_DEFAULT]));
    expect(errorOf(await call('DELETE', '/subjects/del-value/versions/1?permanent=true'))).toEqual([404, 40407]);
    expect((await call('DELETE', '/subjects/del-value/versions/1')).body).toBe(1);
    expect(errorOf(await call('DELETE', '/subjects/del-value/versions/1'))).toEqual([404, 40406]);
    expect((await call('GET', '/subjects/del-value/versions')).body).toEqual([2]);
    expect((await call('GET', '/subjects/del-value/versions?deleted=true')).body).toEqual([1, 2]);
    expect(errorOf(await call('GET', '/subjects/del-value/versions/1'))).toEqual([404, 40402]);
    expect((await call('GET', `/schemas/ids/${id}`)).status).toBe(200);
    expect((await call('DELETE', '/subjects/del-value/versions/1?permanent=true')).body).toBe(1);
    expect(errorOf(await call('GET', `/schemas/ids/${id}`))).toEqual([404, 40403]);
  });

  it('soft-deletes a subject, refuses a second soft delete, hard-deletes it', async () => {
    await register('gone-value', rec([A]));
    await register('gone-value', rec([A, C_DEFAULT]));
    expect(errorOf(await call('DELETE', '/subjects/gone-value?permanent=true'))).toEqual([404, 40405]);
    expect((await call('DELETE', '/subjects/gone-value')).body).toEqual([1, 2]);
    expect(errorOf(await call('DELETE', '/subjects/gone-value'))).toEqual([404, 40404]);
    expect((await call('GET', '/subjects')).body).not.toContain('gone-value');
    expect((await call('GET', '/subjects?deleted=true')).body).toContain('gone-value');
    expect((await call('DELETE', '/subjects/gone-value?permanent=true')).body).toEqual([1, 2]);
    expect(errorOf(await call('GET', '/subjects/gone-value/versions?deleted=true'))).toEqual([404, 40401]);
    // a subject deleted for good starts again at version 1
    await register('gone-value', rec([B]));
    expect((await call('GET', '/subjects/gone-value/versions')).body).toEqual([1]);
  });
});
