/** A target as a URL (a bare host is taken as `http://host`); undefined when it is not one. */
export function targetUrl(target: string | URL | undefined): URL | undefined {
  if (target === undefined || target instanceof URL) return target;
  try {
    return new URL(target.includes('://') ? target : `http://${target}`);
  } catch {
    return undefined;
  }
}
