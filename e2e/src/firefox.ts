import { existsSync } from 'node:fs';

/** Debian's Firefox ESR, or the one FIREFOX_PATH names. */
export function firefoxPath(): string {
  const path = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';
  if (!existsSync(path)) {
    throw new Error(`No Firefox at ${path}. Install Debian's firefox-esr package (apt-get install firefox-esr) or set FIREFOX_PATH.`);
  }
  return path;
}

/**
 * Preferences for headless Firefox on a closed machine: none of the background traffic to
 * Mozilla's services (updates, telemetry, safe browsing, captive-portal and connectivity
 * checks, remote settings) that a closed network refuses, which would also go through a
 * context's proxy and be counted by the farm. Loopback through the proxy is the adapter's to
 * ask for (`bypass: ['<-loopback>']`); the farm's targets are `*.test` names anyway.
 */
export const FIREFOX_PREFS: Record<string, string | number | boolean> = {
  'app.update.enabled': false,
  'app.update.auto': false,
  'browser.safebrowsing.malware.enabled': false,
  'browser.safebrowsing.phishing.enabled': false,
  'browser.safebrowsing.downloads.enabled': false,
  'browser.safebrowsing.blockedURIs.enabled': false,
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
  'network.dns.disablePrefetch': true,
  'network.prefetch-next': false,
  'network.http.speculative-parallel-limit': 0,
  'datareporting.healthreport.uploadEnabled': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'toolkit.telemetry.enabled': false,
  'services.settings.server': 'http://127.0.0.1:9/',
  'extensions.update.enabled': false,
  'browser.shell.checkDefaultBrowser': false,
};
