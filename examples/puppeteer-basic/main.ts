/**
 * Runs the example. With PROXIES set it uses your proxies and the URLs given as arguments;
 * without, it starts a local farm (two good proxies, one with credentials, a dead one, a hanging one) and local pages.
 *
 *   pnpm start                                  # local farm
 *   PROXIES=http://u:p@1.2.3.4:8080 pnpm start https://example.com/
 */
import { ProxyFarm } from '@proxy-pool/e2e/farm';
import { chromiumPath } from '../../e2e/src/chromium.js';
import { crawl } from './crawl.js';

const farm = process.env.PROXIES
  ? undefined
  : await ProxyFarm.start({
      proxies: [{ mode: 'refuse' }, { mode: 'good', credentials: { username: 'u', password: 'p' } }, { mode: 'hang' }, { mode: 'good' }],
    });
const proxies = farm ? farm.urls : process.env.PROXIES!.split(',');
const urls = farm ? [1, 2, 3, 4, 5].map((n) => farm.site.url(`/page/${n}`, 'example.test')) : process.argv.slice(2);
try {
  for (const [i, title] of (await crawl(proxies, urls, chromiumPath())).entries()) console.log(`${urls[i]} → ${title}`);
} finally {
  await farm?.close();
}
