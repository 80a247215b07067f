/** Matches a method and path against the routes of every module; patterns compile once. */
import { hasControlCharacter } from './has-control-character.js';
import { HttpError, methodNotAllowed } from './http-error.js';
import type { HttpMethod, Route, RouteModule } from './route.js';

interface CompiledRoute {
  route: Route;
  module: RouteModule;
  pattern: RegExp;
  names: string[];
  methods: readonly HttpMethod[];
}

export interface RouteMatch {
  route: Route;
  module: RouteModule;
  params: Record<string, string>;
}

/** `:name` matches one non-empty segment; a trailing slash is optional. */
function compilePattern(path: string): { pattern: RegExp; names: string[] } {
  const names: string[] = [];
  const source = path
    .replace(/\/$/, '')
    .split('/')
    .map((segment) => {
      if (!segment.startsWith(':')) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(segment.slice(1));
      return '([^/]+)';
    })
    .join('/');
  return { pattern: new RegExp(`^${source}/?$`), names };
}

export class Router {
  private readonly routes: CompiledRoute[];

  constructor(modules: readonly RouteModule[]) {
    this.routes = modules.flatMap((module) =>
      module.routes.map((route) => ({
        route,
        module,
        ...compilePattern(route.path),
        methods: typeof route.method === 'string' ? [route.method] : route.method,
      })),
    );
  }

  /** The route for this request; null when no path matches; a 405 (with Allow) when only the method is wrong. */
  match(method: string, pathname: string): RouteMatch | null {
    const allowed: HttpMethod[] = [];
    for (const compiled of this.routes) {
      const found = compiled.pattern.exec(pathname);
      if (!found) continue;
      if (!compiled.methods.includes(method as HttpMethod)) {
        allowed.push(...compiled.methods);
        continue;
      }
      const params: Record<string, string> = {};
      compiled.names.forEach((name, i) => {
        try {
          params[name] = decodeURIComponent(found[i + 1]!);
        } catch {
          throw new HttpError(400, `The path segment for ${name} is not valid URL encoding.`);
        }
        // Refused here once, for every route: no identifier holds one.
        if (hasControlCharacter(params[name]))
          throw new HttpError(400, `The path segment for ${name} contains a control character.`);
      });
      return { route: compiled.route, module: compiled.module, params };
    }
    if (allowed.length) throw methodNotAllowed(method, [...new Set(allowed)]);
    return null;
  }

  /** Every route, for listings. */
  list(): { module: string; methods: readonly HttpMethod[]; path: string; summary: string }[] {
    return this.routes.map(({ module, route, methods }) => ({
      module: module.name,
      methods,
      path: route.path,
      summary: route.summary,
    }));
  }
}
