import type { FileHandle } from 'node:fs/promises';
import type { Proxy } from '@proxy-pool/core';
import { SESSION_PLACEHOLDER } from './gateway.js';

const ENCODED_PLACEHOLDER = encodeURIComponent(SESSION_PLACEHOLDER);

/**
 * One proxy as a line that `parseProxyList` (and so the pool, and most tools) reads back:
 * the full URL, credentials kept and percent-encoded, a gateway's `{session}` left readable.
 */
export function proxyLine(proxy: Proxy): string {
  return proxy.toUrlWithCredentials().replaceAll(ENCODED_PLACEHOLDER, SESSION_PLACEHOLDER);
}

/** Writes the usable proxies, fastest first, to a file opened (mode 0600: it holds credentials) before the check. */
export async function writeUsable(file: FileHandle, proxies: readonly Proxy[], header: string): Promise<void> {
  await file.truncate(0);
  await file.write(`# ${header}\n${proxies.map((p) => `${proxyLine(p)}\n`).join('')}`, 0);
}
