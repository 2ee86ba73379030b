/** What sessions and their gateways are, as the pool's rooms see them (shared below them). */
import type { ResolvedGatewayOptions } from '../options.js';
import type { PoolEntry } from '../pool/entry.js';
import type { Proxy } from '../proxy.js';
import type { GatewayHealth } from './gateway-health.js';

/** One rotating gateway: its template (with `{session}`), settings, own health and live sessions. */
export interface Gateway {
  readonly id: string;
  readonly template: Proxy;
  readonly settings: ResolvedGatewayOptions;
  /** Leases at once on one session (1 unless the gateway's `limits.maxInFlight` says more). */
  readonly sessionMaxInFlight: number;
  health: GatewayHealth;
  readonly sessions: Set<PoolEntry>;
  minted: number;
  retired: number;
  /** When a session of it last succeeded. */
  lastSuccessAt: number | undefined;
}

/** What a session member knows of where it comes from. */
export interface SessionInfo {
  readonly gateway: Gateway;
  readonly id: string;
  readonly mintedAt: number;
  /** Why it is being retired (no new leases; removed at the next sweep once idle). */
  retiring: string | undefined;
}
