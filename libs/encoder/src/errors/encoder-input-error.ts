/** The caller handed the encoder something that is not text (or not a list of texts). */
export class EncoderInputError extends Error {
  override readonly name = 'EncoderInputError';

  constructor(
    readonly index: number,
    problem: string,
  ) {
    super(`input ${index}: ${problem}`);
  }
}
