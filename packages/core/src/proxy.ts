import { inspect } from 'node:util';

export type ProxyProtocol = 'http' | 'https' | 'socks4' | 'socks5';

export const DEFAULT_PORTS: Record<ProxyProtocol, number> = { http: 80, https: 443, socks4: 1080, socks5: 1080 };

/** The credentials-apart form that Playwright's `proxy` option and most crawlers take. */
export interface ServerForm {
  server: string;
  username?: string;
  password?: string;
}

/**
 * One proxy endpoint, normalized. Its string, JSON and `util.inspect` forms never show
 * the password; only the `password` getter does, for the code that hands it to a browser.
 */
export class Proxy {
  /** Stable identity: `protocol://[username@]host:port`. Never contains the password. */
  readonly id: string;
  readonly protocol: ProxyProtocol;
  /** Host name or IP address; IPv6 addresses without brackets. */
  readonly host: string;
  readonly port: number;
  readonly username: string | undefined;
  /** Playwright's `server` form: `protocol://host:port`, never with credentials. */
  readonly server: string;
  readonly #password: string | undefined;

  constructor(fields: {
    protocol: ProxyProtocol;
    host: string;
    port: number;
    username?: string | undefined;
    password?: string | undefined;
    /** An id of the caller's making (a gateway session's `<gateway id>#<session>`); never put a password in it. */
    id?: string | undefined;
  }) {
    this.protocol = fields.protocol;
    this.host = fields.host;
    this.port = fields.port;
    this.username = fields.username || undefined;
    this.#password = fields.password || undefined;
    const hostPart = this.host.includes(':') ? `[${this.host}]` : this.host;
    this.server = `${this.protocol}://${hostPart}:${this.port}`;
    this.id =
      fields.id ?? (this.username ? `${this.protocol}://${encodeURIComponent(this.username)}@${hostPart}:${this.port}` : this.server);
    Object.freeze(this);
  }

  get password(): string | undefined {
    return this.#password;
  }

  get hasCredentials(): boolean {
    return this.username !== undefined || this.#password !== undefined;
  }

  /** The `Proxy-Authorization` header's value (Basic), or undefined for a proxy without credentials. */
  get authorization(): string | undefined {
    if (!this.hasCredentials) return undefined;
    return `Basic ${Buffer.from(`${this.username ?? ''}:${this.#password ?? ''}`).toString('base64')}`;
  }

  /** `{ server, username?, password? }`: what `browser.newContext({ proxy })` takes. */
  toServerForm(): ServerForm {
    const form: ServerForm = { server: this.server };
    if (this.username !== undefined) form.username = this.username;
    if (this.#password !== undefined) form.password = this.#password;
    return form;
  }

  /** The full URL with credentials, for clients that want one string. Treat it as a secret. */
  toUrlWithCredentials(): string {
    if (!this.hasCredentials) return this.server;
    const user = encodeURIComponent(this.username ?? '');
    const pass = this.#password === undefined ? '' : `:${encodeURIComponent(this.#password)}`;
    const hostPart = this.host.includes(':') ? `[${this.host}]` : this.host;
    return `${this.protocol}://${user}${pass}@${hostPart}:${this.port}`;
  }

  toString(): string {
    return this.id;
  }

  toJSON(): { id: string; protocol: ProxyProtocol; host: string; port: number; username?: string; server: string; hasPassword: boolean } {
    const json: ReturnType<Proxy['toJSON']> = {
      id: this.id,
      protocol: this.protocol,
      host: this.host,
      port: this.port,
      server: this.server,
      hasPassword: this.#password !== undefined,
    };
    if (this.username !== undefined) json.username = this.username;
    return json;
  }

  [inspect.custom](): string {
    return `Proxy(${this.id}${this.#password === undefined ? '' : ', password: ***'})`;
  }
}
