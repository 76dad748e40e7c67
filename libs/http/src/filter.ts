import type { FastifyError } from 'fastify';
import type { SearchHit } from '@embedline/store';
import { InvalidRequestError } from './errors/invalid-request-error.ts';

/**
 * The search filter language: an object of conditions on a hit's fields, all of which must hold.
 *
 *   { "lang": "en" }                      equal (strings, numbers, booleans)
 *   { "lang": { "in": ["en", "de"] } }    one of
 *   { "lang": { "ne": "en" } }            not equal (a point without the field matches)
 *   { "year": { "gte": 2000, "lt": 2010 } }   numeric range (gt, gte, lt, lte; numbers only)
 *
 * Fields are `id` (the corpus id), `text` and the top-level fields of the records' payloads. A field no
 * point of the collection has is a 400, as is a malformed condition (the JSON schema below).
 */
export type Scalar = string | number | boolean;
export interface Condition {
  readonly eq?: Scalar;
  readonly ne?: Scalar;
  readonly in?: readonly Scalar[];
  readonly gt?: number;
  readonly gte?: number;
  readonly lt?: number;
  readonly lte?: number;
}
export type Filter = Readonly<Record<string, Scalar | Condition>>;

const scalarSchema = { type: ['string', 'number', 'boolean'] } as const;
const numberSchema = { type: 'number' } as const;

/** Fields per filter and values per `in`: enough for real use, small enough to bound the work per hit. */
export const MAX_FILTER_FIELDS = 16;
export const MAX_IN_VALUES = 256;

export const filterSchema = {
  type: 'object',
  description:
    'Conditions on hit fields (id, text, payload fields), all of which must hold: a value means equal; ' +
    'an object takes eq, ne, in (a list), gt, gte, lt, lte (numbers).',
  maxProperties: MAX_FILTER_FIELDS,
  propertyNames: { minLength: 1, maxLength: 128 },
  additionalProperties: {
    anyOf: [
      scalarSchema,
      {
        type: 'object',
        minProperties: 1,
        additionalProperties: false,
        properties: {
          eq: scalarSchema,
          ne: scalarSchema,
          in: { type: 'array', items: scalarSchema, minItems: 1, maxItems: MAX_IN_VALUES },
          gt: numberSchema,
          gte: numberSchema,
          lt: numberSchema,
          lte: numberSchema,
        },
      },
    ],
  },
} as const;

/** Fields every hit has, whatever the records' payloads. */
export const BUILT_IN_FIELDS = ['id', 'text'] as const;

/** 400 naming the first filter field that is not among `known` (the collection's fields). */
export function checkFilterFields(filter: Filter, known: ReadonlySet<string>, collection: string): void {
  for (const field of Object.keys(filter)) {
    if (!known.has(field)) {
      const list = [...known].sort().join(', ');
      throw new InvalidRequestError(
        `filter field "${field}" is not a field of collection "${collection}" (its fields: ${list})`,
      );
    }
  }
}

/** Whether a hit (searched with its payload) meets every condition. */
export function matchesFilter(hit: SearchHit, filter: Filter): boolean {
  for (const [field, condition] of Object.entries(filter)) {
    const value = field === 'id' ? hit.id : hit.payload?.[field];
    if (!meets(value, typeof condition === 'object' ? condition : { eq: condition })) return false;
  }
  return true;
}

function meets(value: unknown, c: Condition): boolean {
  if (c.eq !== undefined && value !== c.eq) return false;
  if (c.ne !== undefined && value === c.ne) return false;
  if (c.in !== undefined && !c.in.includes(value as Scalar)) return false;
  const ranged = c.gt !== undefined || c.gte !== undefined || c.lt !== undefined || c.lte !== undefined;
  if (!ranged) return true;
  if (typeof value !== 'number') return false;
  return (
    (c.gt === undefined || value > c.gt) &&
    (c.gte === undefined || value >= c.gte) &&
    (c.lt === undefined || value < c.lt) &&
    (c.lte === undefined || value <= c.lte)
  );
}

type ValidationIssue = NonNullable<FastifyError['validation']>[number];

const FILTER_FIELD = /^\/filter\/[^/]+/;
const CONDITIONS = 'eq, ne, in, gt, gte, lt, lte';

/**
 * A bad search filter in one sentence. Ajv reports a value that fits neither form of a condition (a value,
 * or an object of conditions) once per form plus "must match a schema in anyOf", and an unknown operator
 * as an unknown property; this says which field, and what it takes.
 */
export function filterValidationMessage(
  issues: readonly ValidationIssue[],
  context: string,
): string | undefined {
  const names = issues.find((issue) => issue.instancePath === '/filter' && issue.keyword === 'propertyNames');
  if (names !== undefined) {
    return `${context}/filter: field names are 1 to 128 characters ("${String(names.params.propertyName)}" is not)`;
  }
  const field = issues
    .map((issue) => FILTER_FIELD.exec(issue.instancePath)?.[0])
    .find((path) => path !== undefined);
  if (field === undefined) return undefined;
  const at = `${context}${field}`;
  const own = issues.filter((issue) => issue.instancePath === field);
  const unknown = own.find((issue) => issue.keyword === 'additionalProperties')?.params.additionalProperty;
  if (unknown !== undefined) return `${at}: "${String(unknown)}" is not a condition (${CONDITIONS})`;
  const deeper = issues.find((issue) => issue.instancePath.startsWith(`${field}/`));
  if (deeper !== undefined) return `${context}${deeper.instancePath} ${deeper.message}`;
  if (own.some((issue) => issue.keyword === 'minProperties')) {
    return `${at} is an empty object: give a value, or conditions (${CONDITIONS})`;
  }
  return `${at} must be a string, number or boolean (equal to), or an object of conditions (${CONDITIONS})`;
}
