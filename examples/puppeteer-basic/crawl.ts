import { ProxyPool } from '@proxy-pool/core';
import { withProxyPool } from '@proxy-pool/puppeteer';
import puppeteer from 'puppeteer-core';

/** The README example: each page's title, fetched through a healthy proxy, retried on another when one fails. */
export async function crawl(proxies: string[], urls: string[], executablePath: string): Promise<string[]> {
  await using pool = new ProxyPool({ proxies, rotation: 'weighted' });
  const browser = await puppeteer.launch({ executablePath, args: ['--no-sandbox'] });
  const pooled = withProxyPool(browser, pool, { navigationTimeoutMs: 5_000 });
  try {
    const titles: string[] = [];
    for (const url of urls) {
      const title = await pooled.run(
        async ({ page }) => {
          await page.goto(url);
          return page.title();
        },
        { target: url, retries: 3 },
      );
      titles.push(title);
    }
    return titles;
  } finally {
    await browser.close();
  }
}
