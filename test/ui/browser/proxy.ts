/**
 * One origin for the browser: serves the built test page under `/ui/` and forwards everything else
 * (the API, the demo's routes, the `/afws` websocket upgrade) to the demo app, so the login cookie
 * (`SameSite=Strict`, host-only) and same-origin fetches work as they do in AdminForth's own SPA.
 */
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import type { AddressInfo } from 'node:net';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
};

export interface Proxy {
  url: string;
  close(): Promise<void>;
}

export async function startProxy({ target, staticDir, prefix = '/ui/' }: { target: string; staticDir: string; prefix?: string }): Promise<Proxy> {
  const upstream = new URL(target);
  const sockets = new Set<net.Socket>();

  const serveStatic = (url: string, res: http.ServerResponse) => {
    const relative = decodeURIComponent(url.slice(prefix.length).split('?')[0]) || 'index.html';
    const file = path.resolve(staticDir, relative);
    if (!file.startsWith(path.resolve(staticDir)) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    fs.createReadStream(file).pipe(res);
  };

  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    if (url === prefix.slice(0, -1)) {
      res.writeHead(302, { location: prefix }).end();
      return;
    }
    if (url.startsWith(prefix)) {
      serveStatic(url, res);
      return;
    }
    const forward = http.request({
      host: upstream.hostname, port: upstream.port, method: req.method, path: url, headers: req.headers,
    }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on('error', (error) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`proxy: ${error.message}`);
    });
    req.pipe(forward);
  });

  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  server.on('upgrade', (req, socket, head) => {
    const back = net.connect(Number(upstream.port), upstream.hostname, () => {
      let request = `${req.method} ${req.url} HTTP/${req.httpVersion}\r\n`;
      for (let i = 0; i < req.rawHeaders.length; i += 2) request += `${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`;
      back.write(`${request}\r\n`);
      if (head.length > 0) back.write(head);
      socket.pipe(back).pipe(socket);
    });
    sockets.add(back);
    back.once('close', () => sockets.delete(back));
    const end = () => {
      socket.destroy();
      back.destroy();
    };
    back.on('error', end);
    socket.on('error', end);
    socket.on('close', end);
    back.on('close', end);
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}
