/** The address a request comes from, as the throttle counts it. */
import type { IncomingMessage } from 'node:http';

/**
 * The peer's address; behind one trusted reverse proxy (`trustForwardedFor`), the last entry of
 * X-Forwarded-For, which that proxy appended (earlier entries are whatever the client sent).
 */
export function clientAddress(req: IncomingMessage, trustForwardedFor: boolean): string {
  if (trustForwardedFor) {
    const header = req.headers['x-forwarded-for'];
    const value = Array.isArray(header) ? header[header.length - 1] : header;
    const last = value?.split(',').pop()?.trim();
    if (last) return last;
  }
  return req.socket.remoteAddress ?? 'unknown';
}
