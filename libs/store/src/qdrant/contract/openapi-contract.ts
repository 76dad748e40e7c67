import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

/** Qdrant's OpenAPI document (v1.19), committed beside this file with its license. */
export const OPENAPI_PATH = new URL('./openapi.json', import.meta.url);

const DOC_ID = 'qdrant-openapi';
const SCHEMA_PREFIX = '#/components/schemas/';
const METHODS = ['get', 'put', 'post', 'patch', 'delete', 'head', 'options'] as const;

interface ParameterObject {
  readonly name: string;
  readonly in: 'path' | 'query' | 'header' | 'cookie';
  readonly required?: boolean;
  readonly schema?: JsonSchema;
}

interface MediaObject {
  readonly schema?: JsonSchema;
}

export interface OperationObject {
  readonly operationId: string;
  readonly parameters?: readonly ParameterObject[];
  readonly requestBody?: { readonly required?: boolean; readonly content: Record<string, MediaObject> };
  readonly responses: Record<string, { readonly content?: Record<string, MediaObject> }>;
}

type JsonSchema = Record<string, unknown>;

interface OpenApiDocument {
  readonly openapi: string;
  readonly info: { readonly version: string };
  readonly paths: Record<string, Partial<Record<(typeof METHODS)[number], OperationObject>>>;
  readonly components: { readonly schemas: Record<string, JsonSchema> };
}

export interface OperationMatch {
  readonly method: string;
  readonly template: string;
  readonly operation: OperationObject;
  readonly pathParams: Record<string, string>;
}

interface Route {
  readonly template: string;
  readonly regex: RegExp;
  readonly names: readonly string[];
  readonly literals: number;
  readonly methods: Partial<Record<string, OperationObject>>;
}

/**
 * Qdrant's OpenAPI 3.0 document as a validator: matches a request to its operation (method + path
 * template), validates path and query parameters and the JSON body, and validates responses.
 *
 * OpenAPI 3.0 schemas are not JSON Schema; they are converted:
 * - `nullable: true` becomes a `null` type (a bare `{ nullable: true }`, which Qdrant's generator emits as
 *   the "or null" branch of an `anyOf`, becomes `{ type: 'null' }`; in OpenAPI 3.0 it would accept anything);
 * - `example` is dropped, `$ref`s point into the registered document;
 * - object schemas that list `properties` and say nothing of `additionalProperties` are CLOSED
 *   (`additionalProperties: false`): stricter than the document, which leaves them open, so that a
 *   misspelt or invented field in a request (or in the fake's answers) is a violation, not silently ignored;
 * - the numeric formats (`uint`, `uint32`, `uint64`, `int64`, `float`, `double`, ...) are checked as ranges.
 */
export class OpenApiContract {
  readonly version: string;
  readonly #document: OpenApiDocument;
  readonly #routes: Route[];
  readonly #ajv: Ajv;
  readonly #validators = new Map<string, ValidateFunction>();

  constructor(document: OpenApiDocument) {
    this.#document = document;
    this.version = document.info.version;
    this.#ajv = new Ajv({ strict: false, allErrors: false, validateFormats: true });
    const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ??
      addFormatsModule) as (ajv: Ajv, formats: string[]) => Ajv;
    addFormats(this.#ajv, ['uuid', 'date-time', 'uri']);
    for (const [name, [min, max]] of Object.entries(INTEGER_FORMATS)) {
      this.#ajv.addFormat(name, {
        type: 'number',
        validate: (x: number) => Number.isInteger(x) && x >= min && x <= max,
      });
    }
    this.#ajv.addFormat('float', {
      type: 'number',
      validate: (x: number) => Number.isFinite(x) && Math.abs(x) <= 3.4028234663852886e38,
    });
    this.#ajv.addFormat('double', { type: 'number', validate: (x: number) => Number.isFinite(x) });
    this.#ajv.addFormat('partial-date-time', /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?/);
    const schemas = Object.fromEntries(
      Object.entries(document.components.schemas).map(([name, schema]) => [name, convertSchema(schema)]),
    );
    this.#ajv.addSchema({ $id: DOC_ID, components: { schemas } });
    this.#routes = Object.entries(document.paths).map(([template, item]) => {
      const names: string[] = [];
      const pattern = template
        .split('/')
        .map((segment) => {
          const param = /^\{([^}]+)\}$/.exec(segment);
          if (param === null) return segment.replace(/[.*+?^$()|[\]\\{}]/g, '\\$&');
          names.push(param[1]!);
          return '([^/]+)';
        })
        .join('/');
      const methods: Partial<Record<string, OperationObject>> = {};
      for (const method of METHODS) {
        const operation = item[method];
        if (operation !== undefined) methods[method.toUpperCase()] = operation;
      }
      return {
        template,
        regex: new RegExp(`^${pattern}$`),
        names,
        literals: template.split('/').filter((s) => s !== '' && !s.startsWith('{')).length,
        methods,
      };
    });
    // Literal segments win: POST /collections/aliases is not POST /collections/{collection_name}.
    this.#routes.sort((a, b) => b.literals - a.literals);
  }

  static load(path: URL | string = OPENAPI_PATH): OpenApiContract {
    return new OpenApiContract(JSON.parse(readFileSync(path, 'utf8')) as OpenApiDocument);
  }

  /** The operation a request is for, or why there is none (unknown path, or a method the path lacks). */
  match(
    method: string,
    pathname: string,
  ): { readonly match: OperationMatch } | { readonly error: string; readonly status: 404 | 405 } {
    const templates: string[] = [];
    for (const route of this.#routes) {
      const found = route.regex.exec(pathname);
      if (found === null) continue;
      templates.push(route.template);
      const operation = route.methods[method];
      if (operation === undefined) continue;
      const pathParams: Record<string, string> = {};
      route.names.forEach((name, i) => (pathParams[name] = decodeURIComponent(found[i + 1]!)));
      return { match: { method, template: route.template, operation, pathParams } };
    }
    return templates.length > 0
      ? {
          error: `${method} ${pathname}: matches ${templates.join(', ')}, which take no ${method}`,
          status: 405,
        }
      : {
          error: `${method} ${pathname}: no such endpoint in Qdrant's API (OpenAPI ${this.version})`,
          status: 404,
        };
  }

  /** Violations of the request's parameters and body; `body` is the parsed JSON body (undefined when none). */
  validateRequest(
    match: OperationMatch,
    query: URLSearchParams,
    contentType: string | undefined,
    rawBody: string,
  ): { readonly violations: string[]; readonly body: unknown } {
    const { operation } = match;
    const where = `${match.method} ${match.template} (${operation.operationId})`;
    const violations: string[] = [];
    const parameters = operation.parameters ?? [];
    for (const parameter of parameters.filter((p) => p.in === 'path')) {
      const raw = match.pathParams[parameter.name];
      const value = raw === undefined ? undefined : this.#coerce(parameter.schema ?? {}, raw);
      const errors = this.#validate(
        `${operation.operationId}:path:${parameter.name}`,
        parameter.schema ?? {},
        value,
      );
      if (errors !== undefined)
        violations.push(`${where}: path parameter ${parameter.name}=${JSON.stringify(value)} ${errors}`);
    }
    const declared = new Map(parameters.filter((p) => p.in === 'query').map((p) => [p.name, p]));
    for (const name of new Set(query.keys())) {
      const parameter = declared.get(name);
      const values = query.getAll(name);
      if (parameter === undefined) {
        violations.push(`${where}: undeclared query parameter "${name}"`);
        continue;
      }
      if (values.length > 1)
        violations.push(`${where}: query parameter "${name}" given ${values.length} times`);
      const value = this.#coerce(parameter.schema ?? {}, values[0]!);
      const errors = this.#validate(`${operation.operationId}:query:${name}`, parameter.schema ?? {}, value);
      if (errors !== undefined)
        violations.push(`${where}: query parameter ${name}=${JSON.stringify(values[0])} ${errors}`);
    }
    for (const parameter of declared.values()) {
      if (parameter.required === true && !query.has(parameter.name))
        violations.push(`${where}: missing required query parameter "${parameter.name}"`);
    }
    let body: unknown;
    const requestBody = operation.requestBody;
    if (rawBody.length === 0) {
      if (requestBody?.required === true) violations.push(`${where}: the request body is required`);
    } else if (requestBody === undefined) {
      violations.push(`${where}: sent a body, but the operation takes none`);
    } else {
      const media = requestBody.content['application/json'];
      if (media === undefined || contentType === undefined || !/^application\/json\b/i.test(contentType)) {
        violations.push(
          `${where}: body sent as ${contentType ?? 'no content-type'}, expected application/json`,
        );
      }
      try {
        body = JSON.parse(rawBody);
      } catch (error) {
        violations.push(`${where}: the body is not JSON (${(error as Error).message})`);
        return { violations, body: undefined };
      }
      if (media?.schema !== undefined) {
        const errors = this.#validate(`${operation.operationId}:request`, media.schema, body);
        if (errors !== undefined) violations.push(`${where}: request body ${errors}`);
      }
    }
    return { violations, body };
  }

  /** Violations of a response: its status must be documented, its JSON body valid for that status. */
  validateResponse(match: OperationMatch, status: number, body: unknown): string[] {
    const { operation } = match;
    const where = `${match.method} ${match.template} (${operation.operationId})`;
    const key = [String(status), `${String(status)[0]}XX`, 'default'].find(
      (k) => operation.responses[k] !== undefined,
    );
    if (key === undefined) return [`${where}: response status ${status} is not documented`];
    const schema = operation.responses[key]!.content?.['application/json']?.schema;
    if (schema === undefined) return [];
    const errors = this.#validate(`${operation.operationId}:response:${key}`, schema, body);
    return errors === undefined ? [] : [`${where}: response ${status} ${errors}`];
  }

  /** Validates `value` against a named component schema, e.g. `CollectionInfo`. */
  validateComponent(name: string, value: unknown): string | undefined {
    return this.#validate(`component:${name}`, { $ref: `${SCHEMA_PREFIX}${name}` }, value);
  }

  #validate(key: string, schema: JsonSchema, value: unknown): string | undefined {
    let validate = this.#validators.get(key);
    if (validate === undefined) {
      validate = this.#ajv.compile(convertSchema(schema) as JsonSchema);
      this.#validators.set(key, validate);
    }
    return validate(value) ? undefined : formatErrors(validate.errors);
  }

  /** A query string value as the type its schema wants ("true" -> true, "5" -> 5), else the string. */
  #coerce(schema: JsonSchema, raw: string): unknown {
    const types = this.#types(schema);
    if (types.has('boolean') && (raw === 'true' || raw === 'false')) return raw === 'true';
    if ((types.has('integer') || types.has('number')) && /^-?\d+(\.\d+)?$/.test(raw)) return Number(raw);
    return raw;
  }

  #types(schema: JsonSchema, depth = 0): Set<string> {
    const types = new Set<string>();
    if (depth > 8) return types;
    if (typeof schema['type'] === 'string') types.add(schema['type']);
    const ref = schema['$ref'];
    if (typeof ref === 'string' && ref.startsWith(SCHEMA_PREFIX)) {
      const target = this.#document.components.schemas[ref.slice(SCHEMA_PREFIX.length)];
      if (target !== undefined) for (const t of this.#types(target, depth + 1)) types.add(t);
    }
    for (const key of ['anyOf', 'oneOf'] as const) {
      const branches = schema[key];
      if (Array.isArray(branches))
        for (const branch of branches as JsonSchema[])
          for (const t of this.#types(branch, depth + 1)) types.add(t);
    }
    return types;
  }
}

const INTEGER_FORMATS: Record<string, readonly [number, number]> = {
  uint: [0, Number.MAX_SAFE_INTEGER],
  uint8: [0, 255],
  uint16: [0, 65_535],
  uint32: [0, 4_294_967_295],
  uint64: [0, 2 ** 64 - 1],
  int32: [-(2 ** 31), 2 ** 31 - 1],
  int64: [-(2 ** 63), 2 ** 63 - 1],
};

/** Keywords that make a schema constrain something; a `{ nullable: true }` without any of them means "null". */
const CONSTRAINING = [
  'type',
  '$ref',
  'anyOf',
  'oneOf',
  'allOf',
  'enum',
  'properties',
  'items',
  'additionalProperties',
];

/** OpenAPI 3.0 schema -> JSON Schema (draft-07, as ajv reads it). See the class comment. */
export function convertSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(convertSchema);
  if (node === null || typeof node !== 'object') return node;
  const source = node as JsonSchema;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(source)) {
    if (key === 'example' || key === 'nullable') continue;
    if (key === '$ref' && typeof value === 'string' && value.startsWith('#/')) out[key] = `${DOC_ID}${value}`;
    else if (key === 'properties' && value !== null && typeof value === 'object') {
      out[key] = Object.fromEntries(
        Object.entries(value).map(([name, schema]) => [name, convertSchema(schema)]),
      );
    } else if (key === 'enum' || key === 'default' || key === 'required' || key === 'const') out[key] = value;
    else out[key] = convertSchema(value);
  }
  if (
    out['type'] === 'object' &&
    out['properties'] !== undefined &&
    out['additionalProperties'] === undefined
  ) {
    out['additionalProperties'] = false;
  }
  if (source['nullable'] !== true) return out;
  if (typeof out['type'] === 'string') {
    out['type'] = [out['type'], 'null'];
    if (Array.isArray(out['enum'])) out['enum'] = [...(out['enum'] as unknown[]), null];
    return out;
  }
  if (!CONSTRAINING.some((k) => k in out)) return { ...out, type: 'null' };
  return { anyOf: [out, { type: 'null' }] };
}

function formatErrors(errors: ErrorObject[] | null | undefined): string {
  if (errors === null || errors === undefined || errors.length === 0) return 'is invalid';
  return errors
    .slice(0, 3)
    .map((e) => {
      const extra =
        e.keyword === 'additionalProperties'
          ? ` ("${String((e.params as { additionalProperty?: unknown }).additionalProperty)}")`
          : '';
      return `at ${e.instancePath || '/'} ${e.message ?? e.keyword}${extra}`;
    })
    .join('; ');
}
