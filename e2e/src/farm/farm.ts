import { FarmProxy, type ProxySpec } from './farm-proxy.js';
import { FarmGateway, type GatewayOptions } from './gateway.js';
import { FarmRegistry } from './registry.js';
import { TargetSite, type TargetSiteOptions } from './target-site.js';

export interface FarmOptions {
  proxies: readonly ProxySpec[];
  /** Target sites to start. @default one plain-HTTP site */
  sites?: ReadonlyArray<{ https?: boolean; rateBan?: TargetSiteOptions['rateBan'] }>;
  /** For flaky proxies. @default Math.random */
  random?: () => number;
  /** Rotating gateways to start (see `FarmGateway`). @default none */
  gateways?: ReadonlyArray<Omit<GatewayOptions, 'registry'>>;
}

/**
 * A farm of local proxies and target sites on 127.0.0.1. Everything it starts, `close()`
 * stops; `await using farm = await ProxyFarm.start(…)` does it for you.
 */
export class ProxyFarm {
  readonly registry: FarmRegistry;
  readonly proxies: FarmProxy[];
  readonly sites: TargetSite[];
  readonly gateways: FarmGateway[];

  private constructor(registry: FarmRegistry, proxies: FarmProxy[], sites: TargetSite[], gateways: FarmGateway[]) {
    this.registry = registry;
    this.proxies = proxies;
    this.sites = sites;
    this.gateways = gateways;
  }

  static async start(options: FarmOptions): Promise<ProxyFarm> {
    const registry = new FarmRegistry();
    const proxies = await Promise.all(options.proxies.map((spec) => FarmProxy.start(spec, registry, options.random)));
    const sites = await Promise.all((options.sites ?? [{}]).map((site) => TargetSite.start({ ...site, registry })));
    const gateways = await Promise.all((options.gateways ?? []).map((g) => FarmGateway.start({ ...g, registry })));
    return new ProxyFarm(registry, proxies, sites, gateways);
  }

  /** Starts one more rotating gateway. */
  async addGateway(options: Omit<GatewayOptions, 'registry'> = {}): Promise<FarmGateway> {
    const gateway = await FarmGateway.start({ ...options, registry: this.registry });
    this.gateways.push(gateway);
    return gateway;
  }

  /** The first gateway. */
  get gateway(): FarmGateway {
    const first = this.gateways[0];
    if (!first) throw new Error('this farm has no gateway: pass `gateways` to ProxyFarm.start or call addGateway');
    return first;
  }

  /** Starts one more proxy (to add to a pool while it works). */
  async addProxy(spec: ProxySpec): Promise<FarmProxy> {
    const proxy = await FarmProxy.start(spec, this.registry);
    this.proxies.push(proxy);
    return proxy;
  }

  get site(): TargetSite {
    return this.sites[0]!;
  }

  /** Every proxy's URL, in the form a pool takes. */
  get urls(): string[] {
    return this.proxies.map((p) => p.url);
  }

  proxy(name: string): FarmProxy {
    const found = this.proxies.find((p) => p.name === name);
    if (!found) throw new Error(`no farm proxy named ${name}`);
    return found;
  }

  byId(id: string): FarmProxy | undefined {
    return this.proxies.find((p) => p.id === id);
  }

  async close(): Promise<void> {
    await Promise.all([...this.proxies.map((p) => p.close()), ...this.gateways.map((g) => g.close()), ...this.sites.map((s) => s.close())]);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
