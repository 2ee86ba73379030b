/**
 * What the farm's proxies and targets share, in one process: which proxy opened which
 * upstream connection (so that a target can tell, even through a CONNECT tunnel, which
 * proxy a request came through) and which proxies each site bans.
 */
export class FarmRegistry {
  readonly #byLocalPort = new Map<number, string>();
  readonly #bans = new Map<string, Set<string> | 'all'>();

  noteUpstream(localPort: number | undefined, proxyName: string): void {
    if (localPort !== undefined) this.#byLocalPort.set(localPort, proxyName);
  }

  forgetUpstream(localPort: number | undefined): void {
    if (localPort !== undefined) this.#byLocalPort.delete(localPort);
  }

  proxyOf(remotePort: number | undefined, header: string | undefined): string | undefined {
    return header ?? (remotePort === undefined ? undefined : this.#byLocalPort.get(remotePort));
  }

  /** Makes `proxyName` banned on `sites` (host names), or on every site. */
  ban(proxyName: string, sites: readonly string[] | 'all'): void {
    if (sites === 'all') {
      this.#bans.set(proxyName, 'all');
      return;
    }
    const current = this.#bans.get(proxyName);
    const set = current instanceof Set ? current : new Set<string>();
    for (const site of sites) set.add(site);
    this.#bans.set(proxyName, set);
  }

  unban(proxyName: string): void {
    this.#bans.delete(proxyName);
  }

  isBanned(proxyName: string | undefined, site: string): boolean {
    if (proxyName === undefined) return false;
    const bans = this.#bans.get(proxyName);
    return bans === 'all' || bans?.has(site) === true;
  }
}

/** The farm resolves every `*.test` and `localhost` name to 127.0.0.1: targets never leave the machine. */
export function resolveFarmHost(host: string): string | undefined {
  const h = host.toLowerCase();
  if (h === 'localhost' || h === '127.0.0.1' || h.endsWith('.test') || h.endsWith('.localhost')) return '127.0.0.1';
  return undefined;
}
