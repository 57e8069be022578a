import { type IncomingMessage, request } from 'node:http';
import type { Duplex } from 'node:stream';
import { neverArrived, type Pool } from './pool.js';

/** An HTTP head as it goes on the wire, from a status line and Node's raw header pairs. */
function head(status: string, rawHeaders: string[]): string {
  let text = `HTTP/1.1 ${status}\r\n`;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) text += `${rawHeaders[i]}: ${rawHeaders[i + 1]}\r\n`;
  return `${text}\r\n`;
}

export function refuse(socket: Duplex, code: number, reason: string, message: string): void {
  const body = JSON.stringify({ statusCode: code, error: reason, message });
  socket.end(
    head(`${code} ${reason}`, [
      'content-type',
      'application/json',
      'content-length',
      String(Buffer.byteLength(body)),
      'connection',
      'close',
    ]) + body,
  );
}

/**
 * Hands an upgrade request (a WebSocket) to `upstream` as it came, and then the bytes both
 * ways, as the ALB does: the service's own answer reaches the client, a refusal (401, 403)
 * as well as the `101 Switching Protocols`, with its headers and subprotocol, and the
 * connection stays one connection end to end, so close codes and pings pass through. Balanced
 * like requests: a target that refuses the connection is left out and the next one tried.
 */
export function tunnel(
  req: IncomingMessage,
  socket: Duplex,
  early: Buffer,
  pool: Pool,
  forwarded: Record<string, string>,
  open: Set<Duplex>,
  tried = new Set<string>(),
): void {
  const upstream = pool.pick(tried);
  if (!upstream) return refuse(socket, 502, 'Bad Gateway', 'no instance took the connection');
  tried.add(upstream);
  const target = new URL(req.url ?? '/', upstream);
  const out = request(target, { method: req.method, headers: { ...req.headers, ...forwarded } });
  socket.on('error', () => out.destroy());
  out.on('upgrade', (res, service, rest) => {
    socket.write(head(`101 ${res.statusMessage ?? 'Switching Protocols'}`, res.rawHeaders));
    if (rest.length) socket.write(rest);
    if (early.length) service.write(early);
    open.add(socket);
    const close = () => {
      open.delete(socket);
      socket.destroy();
      service.destroy();
    };
    socket.on('close', close);
    service.on('close', close);
    service.on('error', close);
    socket.pipe(service).pipe(socket);
  });
  out.on('response', async (res) => {
    // A refusal: small, so read whole and resent with its length, on a connection that closes.
    const chunks: Buffer[] = [];
    for await (const chunk of res) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const skip = new Set(['connection', 'content-length', 'transfer-encoding', 'keep-alive']);
    const headers = res.rawHeaders.filter((_, i, all) => !skip.has((all[i - (i % 2)] ?? '').toLowerCase()));
    headers.push('content-length', String(body.length), 'connection', 'close');
    socket.end(Buffer.concat([Buffer.from(head(`${res.statusCode} ${res.statusMessage}`, headers)), body]));
  });
  out.on('error', (err) => {
    if (neverArrived(err)) {
      pool.refused(upstream);
      if (socket.writable) return tunnel(req, socket, early, pool, forwarded, open, tried);
    }
    if (socket.writable) refuse(socket, 502, 'Bad Gateway', `the service did not answer: ${err.message}`);
  });
  out.end();
}
