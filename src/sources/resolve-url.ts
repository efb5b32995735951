/** One function from URL to resolved media, built from config: picks the resolver the URL needs. */
import type { Config } from '../config.ts';
import type { ResolvedMedia } from './types.ts';

export type ResolveUrl = (url: string, signal: AbortSignal) => Promise<ResolvedMedia>;

/** `guardedFetch` serves the direct resolver's HEAD, so it obeys the private-network policy like every download. */
export function createUrlResolver(config: Pick<Config, 'youtube' | 'ytDlp'>, guardedFetch: typeof globalThis.fetch): ResolveUrl {
  // the resolver libraries are large: load them on the first resolve, not at start
  const ready = import('./registry.ts').then(({ createResolvers, pickResolver }) => {
    const resolvers = createResolvers({ youtube: config.youtube, ytDlp: { path: config.ytDlp.path ?? undefined } }, { directFetch: guardedFetch });
    return (url: string) => pickResolver(new URL(url), config.youtube.resolver, resolvers);
  });
  return async (url, signal) => (await ready)(url).resolve(url, signal);
}
