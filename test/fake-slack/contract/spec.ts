/**
 * Slack's published Web API contract (OpenAPI 2.0, last refreshed October 2020) and event
 * wrapper schema, from shared/specs/slack beside the repository (see its README), compiled with Ajv.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { specsDir } from '../../support/specs.ts';

const SPECS = specsDir('slack');

type Schema = Record<string, unknown>;
interface Operation {
  responses: Record<string, { schema?: Schema }>;
}
interface WebApiSpec {
  paths: Record<string, Partial<Record<'get' | 'post', Operation>>>;
  definitions: Schema;
}

const spec = JSON.parse(fs.readFileSync(path.join(SPECS, 'web-api.openapi.json'), 'utf8')) as WebApiSpec;

export function eventWrapperSchema(): Schema {
  return JSON.parse(
    fs.readFileSync(path.join(SPECS, 'slack_common_event_wrapper_schema.json'), 'utf8'),
  ) as Schema;
}

/** Swagger 2.0 schemas are a draft-04 dialect; strict off lets Ajv skip what it does not know. */
export function newAjv(): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true });
  // `format: uri` appears on message fields; ajv-formats is not a dependency, so accept any string.
  ajv.addFormat('uri', true);
  return ajv;
}

function operation(method: string): Operation | undefined {
  const item = spec.paths[`/${method}`];
  return item?.post ?? item?.get;
}

export function isInSpec(method: string): boolean {
  return operation(method) !== undefined;
}

/**
 * Validator for a method's `200` or `default` response, with the spec's definitions in scope.
 * `newerErrorCodes` widen the documented error enum (codes Slack added after 2020).
 */
export function responseValidator(
  ajv: Ajv,
  method: string,
  status: '200' | 'default',
  newerErrorCodes: string[] = [],
): ValidateFunction {
  const schema = operation(method)?.responses[status]?.schema;
  if (!schema) throw new Error(`${method} has no ${status} schema`);
  const patched = applyErrata(method, status, structuredClone(schema));
  const errorEnum = (patched.properties as { error?: { enum?: string[] } } | undefined)?.error?.enum;
  errorEnum?.push(...newerErrorCodes);
  return ajv.compile({ ...withoutExtensions(patched), definitions: withoutExtensions(spec.definitions) });
}

/** The documented error codes of a method, or null where the spec gives no enum. */
export function documentedErrors(method: string): string[] | null {
  const schema = operation(method)?.responses.default?.schema as
    { properties?: { error?: { enum?: string[] } } } | undefined;
  return schema?.properties?.error?.enum ?? null;
}

/** Every error code documented for any method: the platform-wide ones (auth, body parsing). */
export function allDocumentedErrors(): Set<string> {
  return new Set(Object.keys(spec.paths).flatMap((p) => documentedErrors(p.slice(1)) ?? []));
}

/**
 * Known mistakes in the 2020 spec, patched narrowly so the rest is still checked.
 * chat.update declares `message.blocks` as an object; Slack sends (and the WebClient's own
 * ChatUpdateResponse type declares) an array of blocks, as in every other message.
 */
function applyErrata(method: string, status: string, schema: Schema): Schema {
  if (method === 'chat.update' && status === '200') {
    const message = (schema.properties as Record<string, Schema>).message as { properties: Schema };
    message.properties.blocks = { $ref: '#/definitions/blocks' };
  }
  return schema;
}

/** Drops `$schema` and vendor `x-…` keys, which are not validation keywords. */
function withoutExtensions(value: Schema): Schema {
  const entries = Object.entries(value).filter(([key]) => key !== '$schema' && !key.startsWith('x-'));
  return Object.fromEntries(
    entries.map(([key, v]) => [key, isPlainObject(v) ? withoutExtensions(v) : v]),
  ) as Schema;
}

function isPlainObject(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
