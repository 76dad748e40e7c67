export { MemoryIndex, type MemoryIndexOptions, type MemoryIndexLogger } from './memory-index.ts';
export { ResidentCollection, loadResident, OverBudgetError } from './resident-collection.ts';
export { DotTopK, CorpusMatrix, type TopKRows } from './dot-top-k.ts';
