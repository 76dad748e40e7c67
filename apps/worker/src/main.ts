/**
 * The worker app: a thin shell over the libs. The distributed pipeline (producer -> BullMQ -> workers ->
 * vector store) is being built in issue 3; until then this entry point only says so.
 */
console.error('embedline-worker: the distributed pipeline is not built yet (issue 3); use `npm run demo` for the single-machine job.');
process.exitCode = 2;
