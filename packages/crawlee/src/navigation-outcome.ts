import { detectBlockPage } from '@proxy-pool/browser';
import { type Classification, classifyResponse } from '@proxy-pool/core';

/** Documents larger than this are content, not a block page: not read (the adapters' navigation tracker's rule). */
const MAX_READ_BYTES = 256 * 1024;

/** A navigation's response, as Playwright's `Response` and Puppeteer's `HTTPResponse` both have it. */
export interface ResponseLike {
  status(): number;
  headers(): Record<string, string>;
  text(): Promise<string>;
}

export type BlockVerdict = boolean | string | undefined;

/** What a response's status, headers and length say (core's rules), without reading its body. */
export function classifyStatus(response: ResponseLike): Classification | undefined {
  const headers = response.headers();
  const length = headers['content-length'];
  return classifyResponse({ status: response.status(), headers, bodyLength: length === undefined ? undefined : Number(length) });
}

/**
 * What a main-frame response says: null for the target's own page, else a failure's
 * classification — core's reading of the status and the proxy's labels, then a block page
 * (`isBlocked`, or the default detector on small HTML and text documents only: a large page,
 * an image or a PDF is not read, as the adapters do not read it).
 */
export async function classifyNavigation(
  response: ResponseLike,
  isBlocked: (() => Promise<BlockVerdict> | BlockVerdict) | undefined,
): Promise<Classification | null> {
  const c = classifyStatus(response);
  if (c) return c;
  let verdict: BlockVerdict;
  if (isBlocked) verdict = await isBlocked();
  else {
    const headers = response.headers();
    const length = headers['content-length'] === undefined ? undefined : Number(headers['content-length']);
    const type = headers['content-type'];
    if ((type && !/html|text/i.test(type)) || (length ?? 0) > MAX_READ_BYTES) return null;
    // A page that moved on before its body could be read says nothing.
    verdict = detectBlockPage(await response.text().catch(() => undefined));
  }
  return verdict ? { kind: 'blocked', evidence: typeof verdict === 'string' ? verdict : 'isBlocked' } : null;
}
