/**
 * Proxy inputs with settings of their own. The object form may carry, beside `server`,
 * `username` and `password`, the proxy's own `limits` and, for a gateway, its sessions'
 * settings (`sessions`, `sessionTtlMs`, `idleTtlMs`, `sessionId`). Text lists and strings carry
 * none. Names are checked like the pool's options, with the item's place in the message.
 */
import { InvalidOptionError, ProxyParseError } from '../errors.js';
import { checkOptionNames } from '../option-names.js';
import type { GatewayOptions, LimitOptions } from '../options.js';
import { type ProxyInput, parseProxy, parseProxyList } from '../parse.js';
import { Proxy } from '../proxy.js';

/** What the object form of one proxy may say about it beyond where it is. */
export type MemberSettings = GatewayOptions & { limits?: LimitOptions | undefined };

export interface MemberInput {
  proxy: Proxy;
  settings: MemberSettings | undefined;
  /** How the item is named in errors about its settings: `proxies[2]`. */
  option: string;
}

const OBJECT_KEYS = ['server', 'username', 'password', 'bypass', 'limits', 'sessions', 'sessionTtlMs', 'idleTtlMs', 'sessionId'];

/** Like `parseProxyList`, keeping each object item's settings. Duplicates (same id) are merged, the first kept. */
export function parseMembers(input: string | readonly ProxyInput[], source: string): MemberInput[] {
  if (typeof input === 'string' || !Array.isArray(input)) {
    return parseProxyList(input as string, { source }).map((proxy) => ({ proxy, settings: undefined, option: source }));
  }
  if (input.length === 0) parseProxyList(input, { source }); // throws: no proxies found
  const seen = new Map<string, MemberInput>();
  for (const [index, item] of input.entries()) {
    const option = `proxies[${index}]`;
    const proxy = parseProxy(item, { line: index + 1, source: `${source} array` });
    let settings: MemberSettings | undefined;
    if (typeof item === 'object' && item !== null && !(item instanceof Proxy)) {
      checkOptionNames(item, OBJECT_KEYS, `${option}.`);
      const { server: _s, username: _u, password: _p, bypass: _b, ...rest } = item as MemberSettings & Record<string, unknown>;
      if (Object.keys(rest).length > 0) settings = rest;
    }
    if (!seen.has(proxy.id)) seen.set(proxy.id, { proxy, settings, option });
  }
  if (seen.size === 0) throw new ProxyParseError(`no proxies found in ${source}`);
  return [...seen.values()];
}

/** Gateway settings given on a proxy that is not a gateway are a mistake worth saying. */
export function rejectGatewaySettings(member: MemberInput): void {
  const settings = member.settings;
  if (!settings) return;
  for (const key of ['sessions', 'sessionTtlMs', 'idleTtlMs', 'sessionId'] as const) {
    if (settings[key] !== undefined) {
      throw new InvalidOptionError(
        `\`${member.option}.${key}\` is for rotating gateways, and ${member.proxy.id} is not one (a gateway has \`{session}\` in its username or password).`,
        `${member.option}.${key}`,
      );
    }
  }
}
