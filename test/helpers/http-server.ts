// A tiny HTTP server on 127.0.0.1 for download tests: fixed routes, a hit
// count per path, and a way to break a response off mid-body.
import http from "node:http";
import type {AddressInfo} from "node:net";

export interface Route {
  body: Uint8Array;
  status?: number;
  /** Send the full Content-Length, then only this many bytes and destroy the socket. */
  cutAfter?: number;
}

export interface TestServer {
  /** http://127.0.0.1:<port> */
  origin: string;
  routes: Map<string, Route>;
  hits: Map<string, number>;
  close(): Promise<void>;
}

export async function startServer(routes: Record<string, Route> = {}): Promise<TestServer> {
  const table = new Map(Object.entries(routes));
  const hits = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    hits.set(url.pathname, (hits.get(url.pathname) ?? 0) + 1);
    const route = table.get(url.pathname);
    if (!route) {
      res.writeHead(404, {"content-type": "text/plain"}).end("not found");
      return;
    }
    res.writeHead(route.status ?? 200, {"content-type": "application/octet-stream", "content-length": String(route.body.length)});
    if (route.cutAfter === undefined) {
      res.end(route.body);
      return;
    }
    res.write(route.body.subarray(0, route.cutAfter), () => {
      // Give the bytes a moment to leave, then drop the connection.
      setTimeout(() => res.socket?.destroy(), 20);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const {port} = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    routes: table,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A URL on 127.0.0.1 whose port nothing listens on (bound, then closed). */
export async function closedPortUrl(pathname: string): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const {port} = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}${pathname}`;
}
