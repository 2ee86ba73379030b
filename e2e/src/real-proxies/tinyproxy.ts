import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ChildServer, freePort, tempDir } from './child-server.js';

export interface TinyproxyOptions {
  /** tinyproxy's `BasicAuth` (1.11 answers a missing or wrong one with 401, not 407). */
  auth?: { username: string; password: string };
  /** Ports CONNECT may reach (`ConnectPort`); every port when absent. */
  connectPorts?: number[];
}

/** Debian's tinyproxy on a free 127.0.0.1 port, in the foreground (`-d`), its config in a temporary directory. */
export async function startTinyproxy(options: TinyproxyOptions = {}): Promise<ChildServer> {
  const dir = await tempDir('tinyproxy');
  const port = await freePort();
  const lines = [
    `Port ${port}`,
    'Listen 127.0.0.1',
    'Timeout 10',
    'MaxClients 64',
    'LogLevel Warning',
    'Allow 127.0.0.1',
    ...(options.connectPorts ?? []).map((p) => `ConnectPort ${p}`),
    ...(options.auth ? [`BasicAuth ${options.auth.username} ${options.auth.password}`] : []),
  ];
  const config = join(dir, 'tinyproxy.conf');
  await writeFile(config, `${lines.join('\n')}\n`);
  return ChildServer.start({
    name: options.auth ? 'tinyproxy-auth' : 'tinyproxy',
    command: process.env.TINYPROXY_PATH ?? '/usr/bin/tinyproxy',
    args: ['-d', '-c', config],
    port,
    dir,
  });
}
