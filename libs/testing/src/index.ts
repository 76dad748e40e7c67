export {
  gaussian,
  normalize,
  perturb,
  randomUnitVectors,
  seededRandom,
  vectorForId,
} from './random-vectors.ts';
export { runNode, type ProcessResult, type RunProcessOptions } from './run-process.ts';
