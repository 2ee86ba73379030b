import { ChildServer, freePort, tempDir } from './child-server.js';

/**
 * Debian's microsocks (a SOCKS5 server) on a free 127.0.0.1 port. With `auth` it takes only
 * username/password (method 0x02): a client that offers no credentials gets 0xFF.
 */
export async function startMicrosocks(options: { auth?: { username: string; password: string } } = {}): Promise<ChildServer> {
  const dir = await tempDir('microsocks');
  const port = await freePort();
  const auth = options.auth ? ['-u', options.auth.username, '-P', options.auth.password] : [];
  return ChildServer.start({
    name: options.auth ? 'microsocks-auth' : 'microsocks',
    command: process.env.MICROSOCKS_PATH ?? '/usr/bin/microsocks',
    args: ['-i', '127.0.0.1', '-p', String(port), ...auth],
    port,
    dir,
  });
}
