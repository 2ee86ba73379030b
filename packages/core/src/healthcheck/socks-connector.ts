import { connect as tlsConnect } from 'node:tls';
import { SocksClient } from 'socks';
import type { buildConnector } from 'undici';
import type { Proxy } from '../proxy.js';

/** A TCP connection to `host:port` through a SOCKS4/5 proxy (the `socks` library). */
export function socksConnect(proxy: Proxy, host: string, port: number, timeoutMs: number): ReturnType<typeof SocksClient.createConnection> {
  return SocksClient.createConnection({
    proxy: {
      host: proxy.host,
      port: proxy.port,
      type: proxy.protocol === 'socks4' ? 4 : 5,
      userId: proxy.username,
      password: proxy.password,
    },
    command: 'connect',
    destination: { host, port },
    timeout: timeoutMs,
  });
}

/**
 * An undici connector that reaches the target through a SOCKS4/5 proxy (with the `socks`
 * library), then speaks TLS to the target itself for https URLs. Lets the health checker
 * probe SOCKS proxies with the same `request()` it uses for HTTP proxies.
 */
export function socksConnector(proxy: Proxy, timeoutMs: number, rejectUnauthorized = true): buildConnector.connector {
  return (options, callback) => {
    const https = options.protocol === 'https:';
    const port = Number(options.port) || (https ? 443 : 80);
    socksConnect(proxy, options.hostname, port, timeoutMs).then(
      ({ socket }) => {
        if (!https) {
          callback(null, socket);
          return;
        }
        const secure = tlsConnect({ socket, servername: options.servername ?? options.hostname, rejectUnauthorized });
        secure.once('secureConnect', () => callback(null, secure));
        secure.once('error', (error) => callback(error, null));
      },
      (error: Error) => callback(error, null),
    );
  };
}
