import type { Browser } from 'puppeteer-core';

/** Which browser a Puppeteer `Browser` drives, and over which protocol: what the adapter adapts to. */
export interface Engine {
  /** `firefox` (over WebDriver BiDi) or `chromium` (Chrome, Chromium, over CDP or BiDi). */
  name: 'chromium' | 'firefox';
  /** WebDriver BiDi takes a context's proxy as `host:port` (no scheme) and as an HTTP proxy only. */
  bidi: boolean;
}

const engines = new WeakMap<Browser, Promise<Engine>>();

/**
 * Detects the browser once per `Browser` (no option needed): `browser.version()` says
 * `firefox/153.8.0` for Firefox, `HeadlessChrome/…` or `Chrome/…` for Chromium, and
 * `browser.protocol` (Puppeteer ≥ 22) which protocol it speaks.
 */
export function engineOf(browser: Browser): Promise<Engine> {
  let engine = engines.get(browser);
  if (!engine) {
    engine = detect(browser);
    engines.set(browser, engine);
  }
  return engine;
}

async function detect(browser: Browser): Promise<Engine> {
  const protocol = (browser as { protocol?: string }).protocol;
  const version = await browser.version().catch(() => '');
  const firefox = /firefox/i.test(version);
  return { name: firefox ? 'firefox' : 'chromium', bidi: protocol === 'webDriverBiDi' || (firefox && protocol === undefined) };
}
