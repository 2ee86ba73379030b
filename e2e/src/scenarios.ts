import type { FailureKind } from '@proxy-pool/core';
import type { ProxySpec } from './farm/index.js';

/** Who runs a scenario: an adapter with Chromium, or Puppeteer with Firefox. */
export type ScenarioRunner = 'playwright' | 'puppeteer' | 'firefox';

/**
 * The failure scenarios every adapter's e2e suite runs, against the same farm: which proxy,
 * which site and path, and what the adapter must report. `expected: 'success'` is a success,
 * `'unreported'` means nothing may be reported (the caller's own doing).
 */
export interface Scenario {
  name: string;
  proxy: ProxySpec;
  https?: boolean;
  path: string;
  expected: FailureKind | 'success' | 'unreported';
  /** The HTTP status that goes with it, when there is one. */
  status?: number;
  /**
   * Puppeteer and Playwright differ here (see the reference table), or Firefox (through
   * Puppeteer) and Chromium (docs/firefox.md): per-adapter expectations.
   */
  expectedBy?: Partial<Record<ScenarioRunner, FailureKind | 'success' | 'unreported'>>;
  /** Marks the target site down for the scenario. */
  siteDown?: boolean;
}

const creds = { username: 'farm-user', password: 'farm-pass' };

export const SCENARIOS: Scenario[] = [
  { name: 'good proxy, target 200', proxy: { mode: 'good' }, path: '/page/1', expected: 'success' },
  { name: 'good proxy, https target 200', proxy: { mode: 'good' }, https: true, path: '/page/1', expected: 'success' },
  { name: 'target 404', proxy: { mode: 'good' }, path: '/status/404', expected: 'target_error', status: 404 },
  { name: 'target 500', proxy: { mode: 'good' }, path: '/status/500', expected: 'target_error', status: 500 },
  { name: 'proxy refuses connections (http)', proxy: { mode: 'refuse' }, path: '/page/1', expected: 'proxy_unreachable' },
  { name: 'proxy refuses connections (https)', proxy: { mode: 'refuse' }, https: true, path: '/page/1', expected: 'proxy_unreachable' },
  { name: 'proxy hangs', proxy: { mode: 'hang' }, path: '/page/1', expected: 'timeout' },
  { name: 'proxy hangs on CONNECT', proxy: { mode: 'hang' }, https: true, path: '/page/1', expected: 'timeout' },
  { name: 'proxy resets connections', proxy: { mode: 'reset' }, path: '/page/1', expected: 'connection' },
  { name: 'proxy answers garbage', proxy: { mode: 'garbage' }, path: '/page/1', expected: 'proxy_error' },
  { name: 'proxy answers 502 itself', proxy: { mode: 'error502' }, path: '/page/1', expected: 'proxy_error', status: 502 },
  { name: 'proxy refuses the tunnel (CONNECT 502)', proxy: { mode: 'error502' }, https: true, path: '/page/1', expected: 'tunnel_failed' },
  { name: 'right credentials', proxy: { mode: 'good', credentials: creds }, path: '/page/1', expected: 'success' },
  { name: 'right credentials (https)', proxy: { mode: 'good', credentials: creds }, https: true, path: '/page/1', expected: 'success' },
  {
    name: 'wrong credentials',
    proxy: { mode: 'good', credentials: creds, listedCredentials: { ...creds, password: 'wrong' } },
    path: '/page/1',
    expected: 'proxy_auth',
  },
  {
    name: 'wrong credentials (https)',
    proxy: { mode: 'good', credentials: creds, listedCredentials: { ...creds, password: 'wrong' } },
    https: true,
    path: '/page/1',
    expected: 'proxy_auth',
  },
  {
    name: 'no credentials for a proxy that wants them',
    proxy: { mode: 'good', credentials: creds, listedCredentials: null },
    path: '/page/1',
    expected: 'proxy_auth',
  },
  { name: 'proxy banned by the target', proxy: { mode: 'good', bannedOn: 'all' }, path: '/page/1', expected: 'blocked', status: 403 },
  { name: 'captcha page', proxy: { mode: 'good' }, path: '/captcha', expected: 'blocked' },
  { name: 'empty 200', proxy: { mode: 'good' }, path: '/empty', expected: 'blocked' },
  { name: 'rate limited (429)', proxy: { mode: 'good' }, path: '/rate-limit', expected: 'rate_limited', status: 429 },
  {
    name: 'target down (http, through a good proxy)',
    proxy: { mode: 'good' },
    path: '/page/1',
    siteDown: true,
    // The proxy's 502 says `Proxy-Status: …; error=connection_refused`: it worked, the far side did not.
    expected: 'tunnel_failed',
    status: 502,
  },
  {
    name: 'target down (https, through a good proxy)',
    proxy: { mode: 'good' },
    https: true,
    siteDown: true,
    path: '/page/1',
    expected: 'tunnel_failed',
  },
  { name: 'a download', proxy: { mode: 'good' }, path: '/download', expected: 'unreported' },
  { name: 'target 204', proxy: { mode: 'good' }, path: '/no-content', expected: 'unreported' },
];
