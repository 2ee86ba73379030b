import { type Browser, chromium } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumPath } from './chromium.js';

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
