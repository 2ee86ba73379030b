import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { type Proxy, ProxyParseError, parseProxy, parseProxyList } from '../src/index.js';

const SECRET = 's3cr3t-P@ss';

describe('parseProxy', () => {
  it.each([
    ['http://user:pass@10.0.0.1:8080', { protocol: 'http', host: '10.0.0.1', port: 8080, username: 'user', password: 'pass' }],
    ['https://proxy.example:443', { protocol: 'https', host: 'proxy.example', port: 443 }],
    ['socks5://10.0.0.2:1080', { protocol: 'socks5', host: '10.0.0.2', port: 1080 }],
    ['socks5h://u:p@10.0.0.2:1080', { protocol: 'socks5', host: '10.0.0.2', port: 1080, username: 'u', password: 'p' }],
    ['socks4://10.0.0.2:1080', { protocol: 'socks4', host: '10.0.0.2', port: 1080 }],
    ['socks4://userid@10.0.0.2:1080', { protocol: 'socks4', host: '10.0.0.2', port: 1080, username: 'userid' }],
    ['10.0.0.3:3128', { protocol: 'http', host: '10.0.0.3', port: 3128 }],
    ['user:pass@10.0.0.3:3128', { protocol: 'http', host: '10.0.0.3', port: 3128, username: 'user', password: 'pass' }],
    ['10.0.0.4:3128:user:pass', { protocol: 'http', host: '10.0.0.4', port: 3128, username: 'user', password: 'pass' }],
    ['10.0.0.4:3128:user:pa:ss@#x', { protocol: 'http', host: '10.0.0.4', port: 3128, username: 'user', password: 'pa:ss@#x' }],
    ['[::1]:8080', { protocol: 'http', host: '::1', port: 8080 }],
    ['http://u:p@[2001:db8::1]:3128', { protocol: 'http', host: '2001:db8::1', port: 3128, username: 'u', password: 'p' }],
    ['[2001:db8::1]:3128:u:p', { protocol: 'http', host: '2001:db8::1', port: 3128 }],
    ['http://us%40er:p%3Ass%2F@host.example:80', { host: 'host.example', port: 80, username: 'us@er', password: 'p:ss/' }],
    ['HTTP://Proxy.Example:8080/', { protocol: 'http', host: 'proxy.example', port: 8080 }],
  ])('reads %s', (input, expected) => {
    const proxy = parseProxy(input);
    for (const [key, value] of Object.entries(expected)) {
      expect(proxy[key as keyof Proxy], key).toEqual(value);
    }
  });

  it('gives the server form without credentials and an id without the password', () => {
    const proxy = parseProxy(`http://alice:${SECRET}@10.0.0.1:8080`);
    expect(proxy.server).toBe('http://10.0.0.1:8080');
    expect(proxy.id).toBe('http://alice@10.0.0.1:8080');
    expect(proxy.toServerForm()).toEqual({ server: 'http://10.0.0.1:8080', username: 'alice', password: SECRET });
    expect(parseProxy('[::1]:8080').server).toBe('http://[::1]:8080');
  });

  it('accepts the { server, username, password } form', () => {
    const proxy = parseProxy({ server: 'socks5://10.0.0.9:1080', username: 'bob', password: SECRET });
    expect(proxy.id).toBe('socks5://bob@10.0.0.9:1080');
    expect(proxy.password).toBe(SECRET);
  });

  it('never shows the password in its string, JSON or inspect forms', () => {
    const proxy = parseProxy(`http://alice:${SECRET}@10.0.0.1:8080`);
    expect(String(proxy)).not.toContain(SECRET);
    expect(JSON.stringify(proxy)).not.toContain(SECRET);
    expect(JSON.stringify({ nested: [proxy] })).not.toContain(SECRET);
    expect(inspect(proxy)).not.toContain(SECRET);
    expect(inspect({ proxy }, { depth: 5, showHidden: true })).not.toContain(SECRET);
    expect(`${proxy}`).toBe('http://alice@10.0.0.1:8080');
    expect({ ...proxy }).not.toHaveProperty('password');
  });

  it.each([
    ['10.0.0.1', /no port/],
    ['http://10.0.0.1', /no port/],
    [`alice:${SECRET}@10.0.0.1`, /no port/],
    ['10.0.0.1:0', /port 0 is out of range/],
    ['10.0.0.1:65536', /port 65536 is out of range/],
    ['10.0.0.1:80x', /port "80x" is not a number/],
    ['ftp://10.0.0.1:21', /unknown scheme "ftp"/],
    [`socks4://alice:${SECRET}@10.0.0.1:1080`, /SOCKS4 has no passwords/],
    ['http://10.0.0.1:8080/path', /no path/],
    ['bad host:80', /spaces/],
    ['bad$host:80', /not a valid host name/],
    ['[::1:8080', /closing "]"/],
    ['[zz::1]:8080', /not a valid IPv6/],
    [`:${SECRET}@10.0.0.1:80`, /username before "@" is empty/],
    ['http://u:%E0%A4%A@10.0.0.1:80', /malformed percent-encoding/],
  ])('rejects %s with a reason', (input, reason) => {
    let error: unknown;
    try {
      parseProxy(input);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ProxyParseError);
    expect((error as ProxyParseError).message).toMatch(reason);
    expect((error as ProxyParseError).code).toBe('ERR_PROXY_PARSE');
    expect((error as ProxyParseError).message).not.toContain(SECRET);
  });

  it('rejects what is not a proxy at all', () => {
    expect(() => parseProxy(42 as never)).toThrow(/expected a proxy string/);
    expect(() => parseProxy({ server: `http://a:${SECRET}@h:1`, username: 'x' })).toThrow(/credentials are given twice/);
  });
});

describe('parseProxyList', () => {
  it('reads lines, commas, comments and blank lines, and merges duplicates', () => {
    const list = parseProxyList(
      [
        '# my proxies',
        'http://10.0.0.1:8080',
        '',
        '10.0.0.2:3128, 10.0.0.3:3128   # two on a line',
        '10.0.0.1:8080',
        `10.0.0.4:3128:user:pa#ss`,
        '   ',
      ].join('\n'),
    );
    expect(list.map((p) => p.id)).toEqual([
      'http://10.0.0.1:8080',
      'http://10.0.0.2:3128',
      'http://10.0.0.3:3128',
      'http://user@10.0.0.4:3128',
    ]);
    expect(list[3]!.password).toBe('pa#ss');
  });

  it('names the line of a bad entry, never its password', () => {
    const text = `10.0.0.1:8080\n# comment\n\nhttp://alice:${SECRET}@10.0.0.2\n`;
    expect(() => parseProxyList(text, { source: 'proxies.txt' })).toThrow(ProxyParseError);
    try {
      parseProxyList(text, { source: 'proxies.txt' });
    } catch (error) {
      const e = error as ProxyParseError;
      expect(e.line).toBe(4);
      expect(e.message).toMatch(/^line 4 of proxies.txt: no port/);
      expect(e.message).toContain('alice:***@10.0.0.2');
      expect(e.message).not.toContain(SECRET);
    }
  });

  it('redacts provider-format passwords in errors', () => {
    expect(() => parseProxyList(`10.0.0.1:99999:alice:${SECRET}`)).toThrow(/line 1: the port 99999 is out of range/);
    try {
      parseProxyList(`10.0.0.1:99999:alice:${SECRET}`);
    } catch (error) {
      expect((error as Error).message).not.toContain(SECRET);
    }
  });

  it('redacts passwords of space-separated lines in errors', () => {
    const plain = 'hunter2plain'; // no '@' or ':' that other redaction rules would catch
    for (const line of [`10.0.0.1:8080 alice ${plain}`, `10.0.0.1:8080 ${plain}`, `http://alice:${SECRET}@10.0.0.1:8080 extra`]) {
      const error = (() => {
        try {
          parseProxyList(line);
        } catch (e) {
          return e as Error;
        }
      })();
      expect(error, line).toBeInstanceOf(ProxyParseError);
      expect(error!.message, line).not.toContain(plain);
      expect(error!.message, line).not.toContain(SECRET);
    }
  });

  it('rejects an empty list', () => {
    expect(() => parseProxyList('# nothing\n\n')).toThrow(/no proxies found/);
    expect(() => parseProxyList([])).toThrow(/no proxies found/);
  });

  it('names the index of a bad array item', () => {
    expect(() => parseProxyList(['10.0.0.1:1', 'nope'])).toThrow(/^line 2 of the proxies array: no port/);
  });
});

describe('redaction of bracketed provider format', () => {
  it('hides the password of [ipv6]:port:user:pass', () => {
    try {
      parseProxy(`[zz::1]:3128:alice:${SECRET}`);
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).not.toContain(SECRET);
    }
    expect(parseProxy(`[2001:db8::1]:3128:alice:${SECRET}`).password).toBe(SECRET);
  });
});
