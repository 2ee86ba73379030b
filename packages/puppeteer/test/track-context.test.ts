import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { NavigationReport } from '@proxy-pool/browser';
import { trackContext } from '../src/track-context.js';

/** A Puppeteer page as the tracking reads it: its events and its main frame. */
class FakePage extends EventEmitter {
  readonly frame = {};
  mainFrame() {
    return this.frame;
  }
}

/** The main frame's navigation request to `url`, failing with `errorText` if it fails. */
function navigation(page: FakePage, url: string, errorText = 'net::ERR_PROXY_CONNECTION_FAILED') {
  return {
    url: () => url,
    isNavigationRequest: () => true,
    frame: () => page.frame,
    redirectChain: () => [],
    failure: () => ({ errorText }),
    response: () => null,
  };
}

describe('trackContext (Puppeteer events)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const setup = async () => {
    const page = new FakePage();
    const context = { on: () => undefined, newPage: async () => page };
    const reports: NavigationReport[] = [];
    trackContext(context as never, { report: (r) => reports.push(r), navigationTimeoutMs: 1_000 });
    await (context as unknown as { newPage(): Promise<FakePage> }).newPage();
    return { page, reports };
  };

  it('reports a navigation that failed in order: request, then requestfailed', async () => {
    const { page, reports } = await setup();
    const request = navigation(page, 'http://site.test/');
    page.emit('request', request);
    page.emit('requestfailed', request);
    expect(reports.map((r) => r.outcome)).toMatchObject([{ ok: false, kind: 'proxy_unreachable' }]);
  });

  it('reports a navigation whose requestfailed came before its request event (Puppeteer 22 on a loaded machine), once, never as a timeout after', async () => {
    const { page, reports } = await setup();
    const request = navigation(page, 'http://site.test/');
    page.emit('requestfailed', request);
    page.emit('request', request);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(reports.map((r) => r.outcome)).toMatchObject([{ ok: false, kind: 'proxy_unreachable' }]);
    expect(reports).toHaveLength(1);
  });

  it('ignores a failed request that is not the main frame navigation', async () => {
    const { page, reports } = await setup();
    const image = { ...navigation(page, 'http://site.test/a.png'), isNavigationRequest: () => false };
    page.emit('requestfailed', image);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(reports).toEqual([]);
  });
});
