import type { Proxy } from '@proxy-pool/core';
import type { Page } from 'puppeteer-core';

interface AuthRequired {
  requestId: string;
  authChallenge: { source?: 'Server' | 'Proxy'; origin: string; scheme: string; realm: string };
}

/**
 * Answers the proxy's 407 challenges on one page with the proxy's credentials, and nothing
 * else. Puppeteer's `page.authenticate()` answers *every* challenge, so a site that asks for
 * Basic credentials (401) would receive the proxy's username and password. The DevTools
 * protocol's `Fetch.authRequired` says whose challenge it is (`authChallenge.source`): only
 * `Proxy` gets the credentials; a server's challenge is cancelled, so the page shows the
 * site's 401 (which is what a headless browser with no credentials for the site does). A proxy
 * challenge answered once and asked again (wrong credentials) is cancelled too, so that the
 * navigation fails with the 407 instead of looping.
 */
export async function answerProxyAuth(page: Page, proxy: Proxy): Promise<void> {
  const session = await page.createCDPSession();
  const answered = new Set<string>();
  session.on('Fetch.requestPaused', (event: { requestId: string }) => {
    session.send('Fetch.continueRequest', { requestId: event.requestId }).catch(() => undefined);
  });
  session.on('Fetch.authRequired', (event: AuthRequired) => {
    const isProxy = event.authChallenge.source === 'Proxy';
    const again = answered.has(event.requestId);
    answered.add(event.requestId);
    const authChallengeResponse =
      isProxy && !again
        ? { response: 'ProvideCredentials' as const, username: proxy.username ?? '', password: proxy.password ?? '' }
        : { response: 'CancelAuth' as const };
    session.send('Fetch.continueWithAuth', { requestId: event.requestId, authChallengeResponse }).catch(() => undefined);
  });
  await session.send('Fetch.enable', { handleAuthRequests: true, patterns: [{ urlPattern: '*', requestStage: 'Request' }] });
}
