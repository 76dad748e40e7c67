/**
 * The query API (issue 4): Fastify routes for search, embed, collections, health and metrics. Until it
 * lands this entry point only says so; `npm run demo` answers queries by exact search meanwhile.
 */
console.error('embedline-api: the query service is not built yet (issue 4); use `npm run demo` to query the bundled corpus.');
process.exitCode = 2;
