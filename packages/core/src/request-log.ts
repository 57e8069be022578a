/**
 * What a service logs of a request. Query strings carry secrets (one-time `?ticket=`s on WebSocket
 * upgrades, the signatures of media URLs), so a logged URL is its path only.
 */
// A type alias, not an interface: loggers' serializer types want an index signature.
export type RequestLogFields = {
  method: string;
  url: string;
  remoteAddress?: string;
};

export function pathOnly(url: string): string {
  const cut = url.search(/[?#]/);
  return cut === -1 ? url : url.slice(0, cut);
}

/** Fastify's `serializers.req`: the request without its query string. */
export function serializeRequest(req: { method: string; url: string; ip?: string }): RequestLogFields {
  return { method: req.method, url: pathOnly(req.url), ...(req.ip ? { remoteAddress: req.ip } : {}) };
}
