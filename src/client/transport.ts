/**
 * The network seam: the only code in the CLI that calls `fetch` or opens a `ws` socket. Commands
 * reach it through `ctx.transport`, so a test can swap it (a recording fetch, a socket that drops)
 * without mocking libraries. `ws` is imported on first use: `af-jobs --help` never loads it.
 */

/** What a websocket reports; every handler is optional. */
export interface SocketHandlers {
  open?(): void;
  /** A text frame. */
  message?(text: string): void;
  close?(code: number, reason: string): void;
  error?(error: Error): void;
  /** The server answered the upgrade with a plain HTTP status (no websocket on that path). */
  unexpectedResponse?(status: number): void;
}

/** An open (or opening) websocket. */
export interface SocketConnection {
  send(text: string): void;
  /** Closes at once, without the closing handshake (the `close` handler still runs). */
  terminate(): void;
}

export interface Transport {
  fetch(url: string, init: RequestInit): Promise<Response>;
  openSocket(url: string, headers: Record<string, string>, handlers: SocketHandlers): Promise<SocketConnection>;
}

export const defaultTransport: Transport = {
  fetch: (url, init) => globalThis.fetch(url, init),
  async openSocket(url, headers, handlers) {
    const { default: WebSocket } = await import('ws');
    const socket = new WebSocket(url, { headers, handshakeTimeout: 10_000 });
    socket.on('open', () => handlers.open?.());
    socket.on('message', (data, isBinary) => {
      if (!isBinary) handlers.message?.(data.toString());
    });
    socket.on('close', (code, reason) => handlers.close?.(code, reason.toString()));
    socket.on('error', (error) => handlers.error?.(error));
    socket.on('unexpected-response', (_request, response) => {
      handlers.unexpectedResponse?.(response.statusCode ?? 0);
      response.resume();
      socket.terminate();
    });
    return {
      send: (text) => {
        if (socket.readyState === WebSocket.OPEN) socket.send(text);
      },
      terminate: () => socket.terminate(),
    };
  },
};
