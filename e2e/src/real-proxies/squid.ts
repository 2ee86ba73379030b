import { spawnSync } from 'node:child_process';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ChildServer, freePort, tempDir } from './child-server.js';
import type { NxdomainDns } from './dns-nxdomain.js';

export interface SquidOptions {
  /** Basic auth through `basic_ncsa_auth` and an htpasswd file written by the test. */
  auth?: { username: string; password: string };
  /** Names Squid resolves (its `hosts_file`), e.g. `{ 'site.test': '127.0.0.1' }`. */
  hosts?: Record<string, string>;
  /** Names an ACL denies (`http_access deny`): Squid's own ERR_ACCESS_DENIED page. */
  deny?: string[];
  /** The name server for every other name (an `NxdomainDns`), else the system's. */
  dns?: NxdomainDns;
}

/**
 * Debian's Squid on a free 127.0.0.1 port, in the foreground (`squid -N`), memory only (no
 * cache_dir), every file in a temporary directory. Unlike Debian's default config it allows
 * CONNECT to any port and requests to loopback addresses: the tests' targets are local sites.
 */
export async function startSquid(options: SquidOptions = {}): Promise<ChildServer> {
  const dir = await tempDir('squid');
  // Squid started by root drops to the `proxy` user, which writes its log here.
  await chmod(dir, 0o777);
  const port = await freePort();
  const hosts = Object.entries({ localhost: '127.0.0.1', ...options.hosts })
    .map(([name, ip]) => `${ip} ${name}`)
    .join('\n');
  await writeFile(join(dir, 'hosts'), `${hosts}\n`);
  const lines = [
    `http_port 127.0.0.1:${port}`,
    'pid_filename none',
    `cache_log ${join(dir, 'cache.log')}`,
    'access_log none',
    'cache deny all',
    'cache_mem 4 MB',
    `coredump_dir ${dir}`,
    `hosts_file ${join(dir, 'hosts')}`,
    ...(options.dns ? [`dns_nameservers ${options.dns.address}`] : []),
    'dns_timeout 5 seconds',
    'connect_timeout 5 seconds',
    'shutdown_lifetime 0 seconds',
    'pinger_enable off',
    'netdb_filename none',
    'max_filedescriptors 1024',
    'acl tests src 127.0.0.1/32',
  ];
  if (options.deny?.length) lines.push(`acl denied dstdomain ${options.deny.join(' ')}`, 'http_access deny denied');
  if (options.auth) {
    const passwd = join(dir, 'passwd');
    const made = spawnSync('htpasswd', ['-b', '-c', passwd, options.auth.username, options.auth.password], { encoding: 'utf8' });
    if (made.status !== 0) throw new Error(`htpasswd failed (apache2-utils installed?): ${made.stderr ?? made.error}`);
    await chmod(passwd, 0o644);
    lines.push(
      `auth_param basic program /usr/lib/squid/basic_ncsa_auth ${passwd}`,
      'auth_param basic realm squid-test',
      'acl authed proxy_auth REQUIRED',
      'http_access allow tests authed',
    );
  } else {
    lines.push('http_access allow tests');
  }
  lines.push('http_access deny all');
  const config = join(dir, 'squid.conf');
  await writeFile(config, `${lines.join('\n')}\n`);
  return ChildServer.start({
    name: options.auth ? 'squid-auth' : 'squid',
    command: process.env.SQUID_PATH ?? '/usr/sbin/squid',
    args: ['-N', '-f', config],
    port,
    dir,
  });
}
