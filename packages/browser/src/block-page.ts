/**
 * Words that block pages, captchas and bot walls put in front of you, in the page's text.
 * Checked only on small documents (a real article that mentions "captcha" is long).
 */
const BLOCK_PATTERNS = [
  /captcha/i,
  /access denied/i,
  /verify (that )?you are (a )?human/i,
  /are you a robot/i,
  /unusual traffic/i,
  /request (was |has been )?blocked/i,
  /attention required/i,
  /your ip (address )?(has been|is) (blocked|banned)/i,
  /bot (detection|protection)/i,
];

/** Pages longer than this are taken to be content, not a block page. */
export const BLOCK_PAGE_MAX_BYTES = 64 * 1024;

/**
 * The default block detector for a 2xx document: an empty body, or a short page whose text
 * reads like a captcha or an "access denied" wall. Returns the reason, or undefined.
 */
export function detectBlockPage(body: string | undefined): string | undefined {
  if (body === undefined) return undefined;
  if (body.trim() === '') return 'empty page';
  if (body.length > BLOCK_PAGE_MAX_BYTES) return undefined;
  const match = BLOCK_PATTERNS.find((pattern) => pattern.test(body));
  return match ? `block page (${match.source})` : undefined;
}
