import type { EventBusMessage, LiveEvent } from '@frameproof/core';
import { api } from './api.js';
import { session } from './session.js';
import { eventBusBase } from './settings.js';

/** The close code the adapter sends when the socket's token expired or was revoked. */
const REAUTHENTICATE = 4401;

/**
 * Live events from `/api/eventbus`, for one asset or all. Each connection opens with a one-time
 * ticket (asked for with the access token just before; a token never goes in a URL). Reconnects
 * with a fresh ticket after a drop (1 s, then up to 10 s apart), passing the last event's `seq`
 * as `since`: the bus first replays what was missed meanwhile, so nothing needs fetching again.
 * `onSubscribed` runs when the first connection says hello, so the page refetches what changed
 * before the subscription began (the page's first load and the socket's opening race), and
 * again whenever the bus answers `resync` (the socket was away longer than events are kept).
 * Closed with 4401 (token expired or revoked), it refreshes the session first.
 */
export function subscribe(
  assetId: string | null,
  onEvent: (event: LiveEvent) => void,
  onSubscribed?: () => void,
): () => void {
  let socket: WebSocket | null = null;
  let closed = false;
  let delay = 1000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  /** The last event heard (or, before any, where the first subscription began). */
  let lastSeq: number | undefined;
  const retry = () => {
    timer = setTimeout(open, delay);
    delay = Math.min(delay * 2, 10_000);
  };
  const open = () => {
    if (closed || !session.token) {
      timer = setTimeout(open, delay);
      return;
    }
    const openedWith = session.token;
    // The API client refreshes the session once on a 401, and ends it when that fails.
    void api.eventBusTicket().then(
      ({ ticket }) => {
        if (!closed) connect(ticket, openedWith);
      },
      () => {
        if (!closed) retry();
      },
    );
  };
  const connect = (ticket: string, openedWith: string) => {
    const url = new URL('/api/eventbus', eventBusBase);
    url.searchParams.set('ticket', ticket);
    if (assetId) url.searchParams.set('assetId', assetId);
    if (lastSeq !== undefined) url.searchParams.set('since', String(lastSeq));
    socket = new WebSocket(url);
    socket.onmessage = (msg) => {
      const message = JSON.parse(String(msg.data)) as EventBusMessage;
      if (message.type === 'hello') {
        delay = 1000;
        if (lastSeq !== undefined) return; // resumed: what was missed comes next
        lastSeq = message.seq;
        onSubscribed?.();
        return;
      }
      if (message.type === 'resync') {
        lastSeq = message.seq;
        onSubscribed?.();
        return;
      }
      lastSeq = Math.max(lastSeq ?? 0, message.seq);
      onEvent(message);
    };
    socket.onclose = (event) => {
      if (closed) return;
      if (event.code === REAUTHENTICATE) {
        // The token expired or was revoked: reconnect with a fresh one, or end the session.
        const fresh = session.token !== openedWith ? Promise.resolve(true) : session.refresh();
        void fresh.then((ok) => {
          if (!ok) session.expire();
          if (!closed) timer = setTimeout(open, ok ? 0 : delay);
        });
        return;
      }
      retry();
    };
  };
  open();
  return () => {
    closed = true;
    clearTimeout(timer);
    socket?.close();
  };
}
