import type { FastifyInstance } from 'fastify';

/**
 * The methods of every route by path pattern, gathered as routes are added (add it before them). Wildcard
 * routes (static files, the dashboard's assets) are left out: they would claim every path for GET.
 */
export function routeTable(app: FastifyInstance): { methodsOf(path: string): string[] } {
  const routes: { pattern: RegExp; methods: string[] }[] = [];
  app.addHook('onRoute', (route) => {
    if (route.url.includes('*')) return;
    const source = route.url
      .split('/')
      .map((part) => (part.startsWith(':') ? '[^/]+' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
      .join('/');
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    routes.push({ pattern: new RegExp(`^${source}$`), methods });
  });
  return {
    methodsOf(path: string): string[] {
      const methods = routes.filter((route) => route.pattern.test(path)).flatMap((route) => route.methods);
      return [...new Set(methods)].sort();
    },
  };
}
