import { type Classification, classifyResponse } from '@proxy-pool/core';
import type { NavigationTrackerOptions } from './navigation-tracker.js';

/** What Playwright's `Response` and Puppeteer's `HTTPResponse` have in common, and all the tracker needs. */
export interface ResponseLike {
  status(): number;
  headers(): Record<string, string>;
  text(): Promise<string>;
}

export function isResponseLike(value: unknown): value is ResponseLike & { request(): unknown } {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ResponseLike).status === 'function' &&
    typeof (value as ResponseLike).headers === 'function' &&
    typeof (value as { request?: unknown }).request === 'function'
  );
}

function contentLength(response: ResponseLike): number | undefined {
  const length = response.headers()['content-length'];
  return length === undefined ? undefined : Number(length);
}

/** What a browser response says about the proxy (core's rules on its status, headers and length). */
export function classifyResponseLike(response: ResponseLike): Classification | undefined {
  return classifyResponse({ status: response.status(), headers: response.headers(), bodyLength: contentLength(response) });
}

/** The tracker options that only read responses, for any library whose responses are `ResponseLike`. */
export function responseTrackerOptions<S extends ResponseLike>(): Pick<NavigationTrackerOptions<object, S>, 'isRedirect' | 'document'> {
  return {
    isRedirect: (response) => response.status() >= 300 && response.status() < 400 && response.headers().location !== undefined,
    document: {
      contentType: (response) => response.headers()['content-type'] ?? '',
      contentLength,
      text: (response) => response.text(),
    },
  };
}
