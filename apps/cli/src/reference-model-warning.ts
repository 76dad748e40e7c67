/** Printed in capitals on stderr, impossible to miss, whenever the random-weight reference model is in use. */
export function printReferenceModelWarning(message: string): void {
  const bar = '!'.repeat(100);
  console.error(`\n${bar}\n!! WARNING: ${message}\n${bar}\n`);
}
