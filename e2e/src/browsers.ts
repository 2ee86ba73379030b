import { type Browser, chromium } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumPath } from './chromium.js';
import { FIREFOX_PREFS, firefoxPath } from './firefox.js';

export function launchPlaywright(options: Parameters<typeof chromium.launch>[0] = {}): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS, ...options });
}

type PuppeteerModule = typeof import('puppeteer-core');

/** Puppeteer, the newest version this Node.js runs (24.x) or the lowest the adapter supports (22.0.0). */
export async function loadPuppeteer(version: 'newest' | 'lowest'): Promise<PuppeteerModule> {
  const module =
    version === 'newest' ? await import('puppeteer-core') : ((await import('puppeteer-core-lowest')) as unknown as PuppeteerModule);
  return ((module as unknown as { default?: PuppeteerModule }).default ?? module) as PuppeteerModule;
}

export async function launchPuppeteer(version: 'newest' | 'lowest' = 'newest', args: string[] = []) {
  const puppeteer = await loadPuppeteer(version);
  // The farm's HTTPS sites use a certificate made at test time: accept it (the option's name changed in v23).
  return puppeteer.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [...CHROMIUM_ARGS, ...args],
    acceptInsecureCerts: true,
    ignoreHTTPSErrors: true,
  } as never);
}

/**
 * Firefox through the newest Puppeteer (over WebDriver BiDi; the lowest Puppeteer the adapter
 * supports does not pass a context's proxy to Firefox). `extraPrefsFirefox` adds to the
 * closed-machine preferences (the adapter's `launch` hands its own, such as loopback through the
 * proxy).
 */
export async function launchPuppeteerFirefox(options: { extraPrefsFirefox?: Record<string, string | number | boolean> } = {}) {
  const puppeteer = await loadPuppeteer('newest');
  return puppeteer.launch({
    browser: 'firefox',
    executablePath: firefoxPath(),
    headless: true,
    // The farm's HTTPS sites use a certificate made at test time: accept it.
    acceptInsecureCerts: true,
    extraPrefsFirefox: { ...FIREFOX_PREFS, ...options.extraPrefsFirefox },
  });
}

/** Which browser a Puppeteer suite runs: Chromium with the newest or the lowest Puppeteer, or Firefox with the newest. */
export type PuppeteerBrowser = 'newest' | 'lowest' | 'firefox';

export function launchPuppeteerBrowser(which: PuppeteerBrowser) {
  return which === 'firefox' ? launchPuppeteerFirefox() : launchPuppeteer(which);
}
