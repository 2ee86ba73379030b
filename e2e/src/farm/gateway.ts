import { type IncomingMessage, type Server, type ServerResponse, createServer, request as httpRequest } from 'node:http';
import { type Socket, connect } from 'node:net';
import { seededRandom } from '@proxy-pool/core/testing';
import {
  type GatewayCredentials,
  type GatewayGrammar,
  basicCredentials,
  gatewayUserinfo,
  parseGatewayCredentials,
} from './gateway-credentials.js';
import { type Exit, type ExitKind, ExitTable } from './gateway-exits.js';
import { closedOnPurpose, listenOnFreePort } from './ports.js';
import { type FarmRegistry, resolveFarmHost } from './registry.js';

export interface GatewayOptions {
  /** The farm's registry: exits the site bans are registered there. */
  registry: FarmRegistry;
  /** @default `gateway-N` */
  name?: string;
  /** How the session token is written into the credentials. @default 'username' */
  grammar?: GatewayGrammar;
  /** The account (Oxylabs' `customer-<account>`, IPRoyal's username). @default 'acme' */
  account?: string;
  /** The password (IPRoyal: the part before the first `_`). @default 'secret' */
  password?: string;
  /** Relative weights of exit kinds. @default { good: 1 } */
  mix?: Partial<Record<ExitKind, number>>;
  /** Seed of the exit draws: the same seed and the same order of new sessions give the same exits. @default 1 */
  seed?: number;
  /** A session keeps its exit this long after it was assigned, then gets another silently. @default 600_000 (10 min, Oxylabs/Decodo) */
  stickyMs?: number;
  /** A session unused this long gets a fresh exit on its next request. @default 60_000 (Bright Data, Oxylabs) */
  idleMs?: number;
  /** Delay of a `slow` exit before it forwards. @default 1_500 */
  slowMs?: number;
  /** Sites (host names) that ban `banned` exits. @default 'all' */
  bannedOn?: readonly string[] | 'all';
  /** The RFC 9209 error type a dead exit's 502 carries. @default 'destination_unavailable' */
  deadError?: string;
  /** The gateway's clock (for sticky and idle lifetimes). @default Date.now */
  now?: () => number;
}

/** One request through the gateway that reached an exit. */
export interface GatewayRequest {
  token: string | undefined;
  username: string;
  exit: Exit;
  /** `CONNECT host:port` or `GET http://…`. */
  request: string;
  /** Why the exit was chosen for it: kept (sticky), new token, swapped after stickyMs, idle drop. */
  assignment: 'kept' | 'new' | 'swapped' | 'idle';
}

export interface GatewayStats {
  /** Requests (plain and CONNECT) that passed authentication and reached an exit. */
  requests: number;
  /** Of those, by the kind of exit they went through. */
  byExit: Record<ExitKind, number>;
  /** Distinct session tokens seen (rotating requests without a token are not sessions). */
  sessions: number;
  /** Distinct usernames seen, authenticated or not. */
  usernames: number;
  /** 407s: all of them, to requests without credentials (a browser's first try), and to wrong or revoked credentials. */
  unauthorized: number;
  challenged: number;
  rejected: number;
  /** Exits swapped after `stickyMs`, and sessions given a fresh exit after `idleMs` idle. */
  swaps: number;
  idleDrops: number;
}

let nextName = 1;

const STATUS_TEXT: Record<number, string> = { 407: 'Proxy Authentication Required', 502: 'Bad Gateway', 503: 'Service Unavailable' };

/**
 * A local rotating (backconnect) gateway, as a residential provider sells: one port on
 * 127.0.0.1, the exit chosen by the session token in the credentials (see `GatewayGrammar`),
 * sticky for `stickyMs`, then swapped silently; a session idle for `idleMs` gets a fresh exit.
 * Exits are drawn from `mix` with a seeded random source. The site bans `banned` exits (the
 * gateway registers them in the farm registry and tells the site which exit a request came
 * from: the `X-Farm-Proxy` header on plain http, the upstream socket's port through CONNECT).
 *
 * A `dead` exit answers 502 made by the gateway: `Proxy-Status: <name>; error=destination_unavailable;
 * details="exit node unavailable"` (RFC 9209: the next hop, the exit, is gone),
 * `X-Gateway-Error: session_failed` (as providers label a sticky session whose peer went away)
 * and a body "session failed: exit node unavailable"; a CONNECT gets the same 502 and no tunnel.
 * Wrong credentials get 407 with `Proxy-Authenticate: Basic realm="<name>"`.
 */
export class FarmGateway {
  readonly name: string;
  readonly grammar: GatewayGrammar;
  readonly account: string;
  /** Every request that reached an exit, in order. */
  readonly log: GatewayRequest[] = [];
  /** While true, every request gets 407, right credentials too (as when a provider revokes them or the plan runs out). */
  revoked = false;
  readonly #options: GatewayOptions;
  readonly #password: string;
  readonly #exits: ExitTable;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #usernames = new Set<string>();
  readonly #now: () => number;
  readonly #stats = { challenged: 0, rejected: 0, swaps: 0, idleDrops: 0 };
  readonly #byExit: Record<ExitKind, number> = { good: 0, banned: 0, dead: 0, slow: 0 };
  #port = 0;
  #listening = false;
  #closed = false;

  private constructor(options: GatewayOptions) {
    this.#options = options;
    this.name = options.name ?? `gateway-${nextName++}`;
    this.grammar = options.grammar ?? 'username';
    this.account = options.account ?? 'acme';
    this.#password = options.password ?? 'secret';
    this.#now = options.now ?? Date.now;
    for (const key of ['stickyMs', 'idleMs', 'slowMs'] as const) {
      const value = options[key];
      if (value !== undefined && !(Number.isFinite(value) && value >= 0))
        throw new RangeError(`FarmGateway: ${key} must be a finite number ≥ 0, got ${value}`);
    }
    this.#exits = new ExitTable({
      name: this.name,
      mix: options.mix ?? { good: 1 },
      random: seededRandom(options.seed ?? 1),
      stickyMs: options.stickyMs ?? 600_000,
      idleMs: options.idleMs ?? 60_000,
    });
    this.#server = createServer();
    this.#server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
      socket.on('error', () => undefined);
    });
    this.#server.on('request', (req, res) => void this.#onRequest(req, res));
    this.#server.on('connect', (req, socket, head) => void this.#onConnect(req, socket as Socket, head));
    this.#server.on('clientError', (_error, socket) => socket.destroy());
  }

  static async start(options: GatewayOptions): Promise<FarmGateway> {
    const gateway = new FarmGateway(options);
    await gateway.#listen(0);
    return gateway;
  }

  get port(): number {
    return this.#port;
  }

  /** Whether the gateway accepts connections (false after `refuse()`). */
  get listening(): boolean {
    return this.#listening;
  }

  /**
   * The gateway as a proxy URL: `http://customer-acme-sessid-<token>:secret@127.0.0.1:PORT`
   * (username grammar) or `http://acme:secret_session-<token>_lifetime-10m@127.0.0.1:PORT`
   * (password grammar). The default token `{session}` gives a pool's gateway input; braces
   * are left as they are, not percent-encoded.
   */
  url(token = '{session}'): string {
    return `http://${gatewayUserinfo(this.grammar, this.account, this.#password, token)}@127.0.0.1:${this.#port}`;
  }

  /** The exit `token` is on now, if it has one (without counting a request). */
  exitOf(token: string): Exit | undefined {
    return this.#exits.exitOf(token);
  }

  /** Requests made with `token` that reached an exit. */
  requestsOf(token: string): number {
    return this.#exits.requestsOf(token);
  }

  stats(): GatewayStats {
    return {
      requests: this.log.length,
      byExit: { ...this.#byExit },
      sessions: this.#exits.sessions,
      usernames: this.#usernames.size,
      unauthorized: this.#stats.challenged + this.#stats.rejected,
      challenged: this.#stats.challenged,
      rejected: this.#stats.rejected,
      swaps: this.#stats.swaps,
      idleDrops: this.#stats.idleDrops,
    };
  }

  /** Stops listening: connections to the port are refused until `accept()`. Open connections are dropped. */
  async refuse(): Promise<void> {
    if (!this.#listening) return;
    this.#listening = false;
    closedOnPurpose.add(this.#port); // no other farm server may take the port meanwhile
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Listens again on the same port after `refuse()`. */
  async accept(): Promise<void> {
    if (this.#listening || this.#closed) return;
    await this.#listen(this.#port);
  }

  async #listen(port: number): Promise<void> {
    this.#port = await listenOnFreePort(this.#server, port);
    closedOnPurpose.delete(this.#port);
    this.#listening = true;
  }

  /** Authenticates a request; undefined (and the 407 counted) when it does not pass. */
  #authenticate(header: string | undefined): (GatewayCredentials & { username: string }) | undefined {
    const basic = basicCredentials(header);
    if (!basic) {
      this.#stats.challenged++;
      return undefined;
    }
    this.#usernames.add(basic.username);
    const parsed = parseGatewayCredentials(this.grammar, basic.username, basic.password);
    if (this.revoked || !parsed || parsed.account !== this.account || parsed.password !== this.#password) {
      this.#stats.rejected++;
      return undefined;
    }
    return { ...parsed, username: basic.username };
  }

  /** Chooses the exit for an authenticated request and records it. */
  #route(credentials: GatewayCredentials & { username: string }, request: string): Exit {
    const { exit, assignment } = this.#exits.use(credentials.token, this.#now());
    if (assignment === 'swapped') this.#stats.swaps++;
    if (assignment === 'idle') this.#stats.idleDrops++;
    if (exit.kind === 'banned') this.#options.registry.ban(exit.id, this.#options.bannedOn ?? 'all');
    this.#byExit[exit.kind]++;
    this.log.push({ token: credentials.token, username: credentials.username, exit, request, assignment });
    return exit;
  }

  #deadAnswer(): { headers: Record<string, string>; body: string } {
    const error = this.#options.deadError ?? 'destination_unavailable';
    const body = 'session failed: exit node unavailable\n';
    return {
      headers: {
        'proxy-status': `${this.name}; error=${error}; details="exit node unavailable"`,
        'x-gateway-error': 'session_failed',
        'content-type': 'text/plain',
        'content-length': String(Buffer.byteLength(body)),
      },
      body,
    };
  }

  async #delay(exit: Exit): Promise<void> {
    if (exit.kind !== 'slow') return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        resolve();
      }, this.#options.slowMs ?? 1_500);
      this.#timers.add(timer);
    });
  }

  async #onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const credentials = this.#authenticate(req.headers['proxy-authorization']);
    if (!credentials) {
      res.writeHead(407, { 'proxy-authenticate': `Basic realm="${this.name}"`, 'content-length': 0 });
      res.end();
      return;
    }
    const exit = this.#route(credentials, `${req.method} ${req.url}`);
    if (exit.kind === 'dead') {
      const { headers, body } = this.#deadAnswer();
      res.writeHead(502, headers);
      res.end(body);
      return;
    }
    await this.#delay(exit);
    if (this.#closed) return void res.destroy();
    let url: URL;
    try {
      url = new URL(req.url ?? '');
    } catch {
      res.writeHead(400, { 'content-length': 0 });
      res.end();
      return;
    }
    const ip = resolveFarmHost(url.hostname);
    if (!ip) {
      res.writeHead(502, { 'proxy-status': `${this.name}; error=dns_error`, 'content-length': 0 });
      res.end();
      return;
    }
    const headers: Record<string, string | string[] | undefined> = { ...req.headers, 'x-farm-proxy': exit.id };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const upstream = httpRequest({
      host: ip,
      port: Number(url.port) || 80,
      method: req.method,
      path: `${url.pathname}${url.search}`,
      headers,
    });
    upstream.on('response', (response) => {
      res.writeHead(response.statusCode ?? 502, response.headers);
      response.pipe(res);
    });
    upstream.on('error', () => {
      if (res.headersSent) return void res.destroy();
      res.writeHead(502, { 'proxy-status': `${this.name}; error=connection_refused`, 'content-length': 0 });
      res.end();
    });
    req.pipe(upstream);
  }

  async #onConnect(req: IncomingMessage, client: Socket, head: Buffer): Promise<void> {
    client.on('error', () => undefined);
    const answer = (status: number, headers: Record<string, string> = { 'content-length': '0' }, body = '') => {
      const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`);
      client.end(`HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? ''}\r\n${lines.join('')}\r\n${body}`);
    };
    const credentials = this.#authenticate(req.headers['proxy-authorization']);
    if (!credentials) return answer(407, { 'proxy-authenticate': `Basic realm="${this.name}"`, 'content-length': '0' });
    const exit = this.#route(credentials, `CONNECT ${req.url}`);
    if (exit.kind === 'dead') {
      const { headers, body } = this.#deadAnswer();
      return answer(502, headers, body);
    }
    await this.#delay(exit);
    if (this.#closed || client.destroyed) return void client.destroy();
    const [host = '', port = '443'] = (req.url ?? '').split(/:(?=\d+$)/);
    const ip = resolveFarmHost(host.replace(/^\[|\]$/g, ''));
    if (!ip) return answer(502, { 'proxy-status': `${this.name}; error=dns_error`, 'content-length': '0' });
    const registry = this.#options.registry;
    let established = false;
    const upstream = connect(Number(port), ip, () => {
      established = true;
      // The site reads which exit a tunnelled request came from by this socket's local port.
      registry.noteUpstream(upstream.localPort, exit.id);
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    this.#sockets.add(upstream);
    upstream.on('close', () => {
      this.#sockets.delete(upstream);
      registry.forgetUpstream(upstream.localPort);
      this.#exits.touch(credentials.token, this.#now());
      client.destroy();
    });
    upstream.on('error', () => {
      if (!established) answer(502, { 'proxy-status': `${this.name}; error=connection_refused`, 'content-length': '0' });
      else client.destroy();
    });
    client.on('close', () => upstream.destroy());
  }

  /** Closes every socket and the server; resolves when closed. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    await this.refuse();
    closedOnPurpose.delete(this.#port);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
