/**
 * Headers that every API response carries. The app's own files get theirs
 * from pwa/public/_headers. An API response is JSON or bytes, never a page,
 * so its policy allows nothing to load or run and no site to frame it.
 */
const API_HEADERS: Record<string, string> = {
  "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "X-Frame-Options": "DENY",
};

/**
 * Returns a copy of `response` with the API security headers added where
 * it has none of its own. A copy, because the headers of a response passed
 * through from fetch() are immutable. A WebSocket upgrade is returned as
 * is, since its headers belong to the handshake.
 */
export function withSecurityHeaders(response: Response): Response {
  if (response.webSocket !== null) return response;
  const secured = new Response(response.body, response);
  for (const [name, value] of Object.entries(API_HEADERS)) {
    if (!secured.headers.has(name)) secured.headers.set(name, value);
  }
  return secured;
}
