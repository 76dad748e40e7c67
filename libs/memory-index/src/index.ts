export { MemoryIndex, type MemoryIndexOptions, type MemoryIndexLogger } from './memory-index.ts';
export { ResidentCollection, loadResident } from './resident-collection.ts';
export { OverBudgetError } from './errors/over-budget-error.ts';
export { DotTopK, CorpusMatrix, type TopKRows } from './dot-top-k.ts';
