export {
  gaussian,
  normalize,
  perturb,
  randomUnitVectors,
  seededRandom,
  vectorForId,
} from './random-vectors.ts';
