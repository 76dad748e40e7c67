/** Thrown while loading when a collection turns out larger than the memory it may take. */
export class OverBudgetError extends Error {
  constructor(name: string, budgetBytes: number) {
    super(
      `collection "${name}" needs more than the memory index's ${(budgetBytes / 2 ** 20).toFixed(0)} MiB`,
    );
    this.name = 'OverBudgetError';
  }
}
