// Dispatch of a validated request, by its OpenAPI operationId, to the fake's endpoint handlers; an
// operation the fake does not implement is a 501 recorded as a violation.
import {
  collectionInfo,
  createCollection,
  createFieldIndex,
  updateCollection,
} from './fake-collection-routes.ts';
import { HttpFailure, only, unsupportedIfSet } from './fake-failure.ts';
import {
  deletePoints,
  queryPoints,
  retrievePoints,
  scrollPoints,
  upsertPoints,
} from './fake-point-routes.ts';
import type { FakeState } from './fake-state.ts';

/** A handler's result: wrapped in Qdrant's `{ result, status, time }` envelope unless `raw`. */
export interface RouteResult {
  readonly result: unknown;
  readonly raw?: boolean;
}

export function executeOperation(
  state: FakeState,
  operationId: string,
  path: Record<string, string>,
  query: URLSearchParams,
  body: unknown,
): RouteResult {
  const name = path['collection_name'] ?? '';
  const input = (body ?? {}) as Record<string, unknown>;
  switch (operationId) {
    case 'root':
      return {
        result: { title: 'qdrant - vector search engine', version: state.behaviour.version, commit: null },
        raw: true,
      };
    case 'get_collections':
      return { result: { collections: [...state.collections.keys()].map((n) => ({ name: n })) } };
    case 'collection_exists':
      return { result: { exists: state.collections.has(name) } };
    case 'get_collection':
      return { result: collectionInfo(state, state.require(name)) };
    case 'create_collection':
      createCollection(state, name, input);
      return { result: true };
    case 'update_collection':
      updateCollection(state, state.require(name), input);
      return { result: true };
    case 'delete_collection':
      return { result: state.collections.delete(name) };
    case 'create_field_index':
      return { result: createFieldIndex(state.require(name), input, query) };
    case 'upsert_points':
      return { result: upsertPoints(state.require(name), input, query) };
    case 'count_points':
      only(input, ['exact', 'filter'], 'count');
      unsupportedIfSet(input, 'filter');
      return { result: { count: state.require(name).points.size } };
    case 'query_points':
      return { result: queryPoints(state, state.require(name), input) };
    case 'scroll_points':
      return { result: scrollPoints(state.require(name), input) };
    case 'get_points':
      return { result: retrievePoints(state.require(name), input) };
    case 'delete_points':
      return { result: deletePoints(state.require(name), input, query) };
    default:
      throw new HttpFailure(501, `the fake does not implement ${operationId}`, true);
  }
}
