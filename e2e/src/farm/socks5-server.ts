import { type AddressInfo, type Server, type Socket, connect, createServer } from 'node:net';
import { listenOnFreePort } from './ports.js';
import { type FarmRegistry, resolveFarmHost } from './registry.js';

/**
 * A minimal SOCKS5 proxy (RFC 1928: CONNECT only; no authentication, or a username and
 * password by RFC 1929) on 127.0.0.1, resolving `*.test` names like the farm's HTTP proxies —
 * names only the proxy can resolve, so a relay that resolved them itself would fail. Enough to
 * drive Chromium's, the relays' and the health checker's SOCKS paths for real.
 */
export interface Socks5Auth {
  username: string;
  password: string;
}

export class Socks5Server {
  readonly name: string;
  requests = 0;
  /** Greetings refused for wrong credentials. */
  refusedLogins = 0;
  readonly #server: Server;
  #auth: Socks5Auth | undefined;
  readonly #sockets = new Set<Socket>();

  private constructor(name: string, server: Server) {
    this.name = name;
    this.#server = server;
  }

  static async start(registry: FarmRegistry, name = 'socks5', auth?: Socks5Auth): Promise<Socks5Server> {
    const server = createServer();
    const socks = new Socks5Server(name, server);
    socks.#auth = auth;
    server.on('connection', (socket) => socks.#serve(socket, registry));
    await listenOnFreePort(server);
    return socks;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  /** The proxy's URL, with its credentials when it asks for some. */
  get url(): string {
    const auth = this.#auth ? `${encodeURIComponent(this.#auth.username)}:${encodeURIComponent(this.#auth.password)}@` : '';
    return `socks5://${auth}127.0.0.1:${this.port}`;
  }

  get id(): string {
    return this.#auth ? `socks5://${this.#auth.username}@127.0.0.1:${this.port}` : this.url;
  }

  #serve(client: Socket, registry: FarmRegistry): void {
    this.#sockets.add(client);
    client.on('close', () => this.#sockets.delete(client));
    client.on('error', () => undefined);
    let stage: 'greeting' | 'login' | 'request' | 'piped' = 'greeting';
    let buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (stage === 'greeting') {
        if (buffer.length < 2 || buffer.length < 2 + buffer[1]!) return;
        const methods = buffer.subarray(2, 2 + buffer[1]!);
        buffer = buffer.subarray(2 + buffer[1]!);
        const method = this.#auth ? 0x02 : 0x00;
        if (!methods.includes(method)) return void client.end(Buffer.from([0x05, 0xff]));
        client.write(Buffer.from([0x05, method]));
        stage = this.#auth ? 'login' : 'request';
      }
      if (stage === 'login') {
        // RFC 1929: VER 1, ULEN, UNAME, PLEN, PASSWD.
        if (buffer.length < 2 || buffer.length < 3 + buffer[1]! || buffer.length < 3 + buffer[1]! + buffer[2 + buffer[1]!]!) return;
        const ulen = buffer[1]!;
        const plen = buffer[2 + ulen]!;
        const username = buffer.subarray(2, 2 + ulen).toString();
        const password = buffer.subarray(3 + ulen, 3 + ulen + plen).toString();
        buffer = buffer.subarray(3 + ulen + plen);
        if (username !== this.#auth!.username || password !== this.#auth!.password) {
          this.refusedLogins++;
          return void client.end(Buffer.from([0x01, 0x01]));
        }
        client.write(Buffer.from([0x01, 0x00]));
        stage = 'request';
      }
      if (stage === 'request') {
        if (buffer.length < 5) return;
        const type = buffer[3];
        let host: string;
        let offset: number;
        if (type === 0x01) {
          if (buffer.length < 10) return;
          host = [...buffer.subarray(4, 8)].join('.');
          offset = 8;
        } else if (type === 0x03) {
          const length = buffer[4]!;
          if (buffer.length < 5 + length + 2) return;
          host = buffer.subarray(5, 5 + length).toString();
          offset = 5 + length;
        } else {
          return void client.end(Buffer.from([0x05, 0x08, 0x00, 0x01, 0, 0, 0, 0, 0, 0]));
        }
        const port = buffer.readUInt16BE(offset);
        const rest = buffer.subarray(offset + 2);
        stage = 'piped';
        client.off('data', onData);
        this.requests++;
        const ip = resolveFarmHost(host) ?? (type === 0x01 ? host : undefined);
        if (!ip) return void client.end(Buffer.from([0x05, 0x04, 0x00, 0x01, 0, 0, 0, 0, 0, 0]));
        const upstream = connect(port, ip, () => {
          registry.noteUpstream(upstream.localPort, this.name);
          client.write(Buffer.from([0x05, 0x00, 0x00, 0x01, 127, 0, 0, 1, 0, 0]));
          if (rest.length > 0) upstream.write(rest);
          upstream.pipe(client);
          client.pipe(upstream);
        });
        this.#sockets.add(upstream);
        upstream.on('close', () => {
          this.#sockets.delete(upstream);
          client.destroy();
        });
        upstream.on('error', () => client.end(Buffer.from([0x05, 0x05, 0x00, 0x01, 0, 0, 0, 0, 0, 0])));
        client.on('close', () => upstream.destroy());
      }
    };
    client.on('data', onData);
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
