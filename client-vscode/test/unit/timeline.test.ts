import { Script } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { BRIDGE_SCRIPT, isOpenMessage, isRevealMessage, prepareTimelineHtml, timelineTitle } from '../../src/logic/timeline';

describe('prepareTimelineHtml', () => {
  it('puts a no-network CSP first in <head> and the bridge before </body>', () => {
    const html = prepareTimelineHtml(
      '<!DOCTYPE html><html lang="en"><head><title>t</title><style>b{}</style></head><body><p>x</p></body></html>',
      'vscode-webview://abc',
    );
    const meta = html.indexOf('Content-Security-Policy');
    expect(meta).toBeGreaterThan(html.indexOf('<head>'));
    expect(meta).toBeLessThan(html.indexOf('<title>'));
    expect(html).toContain("default-src 'none'");
    expect(html).not.toMatch(/connect-src|https?:/);
    expect(html.indexOf('acquireVsCodeApi')).toBeLessThan(html.indexOf('</body>'));
    expect(html.indexOf('acquireVsCodeApi')).toBeGreaterThan(html.indexOf('<p>x</p>'));
  });

  it('wraps a fragment', () => {
    const html = prepareTimelineHtml('<p>only</p>', 'src');
    expect(html).toMatch(/^<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy"/);
    expect(html).toContain('<p>only</p>');
  });

  it('bridge script is valid JavaScript', () => {
    const html = prepareTimelineHtml('<html><head></head><body></body></html>', 'src');
    const script = /<script>([\s\S]*)<\/script>/.exec(html)?.[1] ?? '';
    expect(() => new Script(script)).not.toThrow();
  });
});

describe('messages and titles', () => {
  it('accepts only well-formed reveal messages', () => {
    expect(isRevealMessage({ type: 'reveal', line: 3 })).toBe(true);
    expect(isRevealMessage({ type: 'reveal', line: 0 })).toBe(false);
    expect(isRevealMessage({ type: 'reveal', line: '3' })).toBe(false);
    expect(isRevealMessage({ type: 'other', line: 3 })).toBe(false);
    expect(isRevealMessage(null)).toBe(false);
  });
  it('opens only http(s) links outside', () => {
    expect(isOpenMessage({ type: 'open', url: 'https://github.com/context-ls/context-ls#h001' })).toBe(true);
    expect(isOpenMessage({ type: 'open', url: 'file:///etc/passwd' })).toBe(false);
    expect(isOpenMessage({ type: 'open', url: 'javascript:alert(1)' })).toBe(false);
    expect(isOpenMessage({ type: 'reveal', line: 1 })).toBe(false);
  });

  it('names the panel after the file', () => {
    expect(timelineTitle('/w/sessions/rollout%201.jsonl')).toBe('Timeline: rollout 1.jsonl');
  });
});

describe('bridge script in a page', () => {
  // Runs the bridge against a tiny fake DOM: clicks on record references and links.
  function run(el: { href?: string; text?: string; dataLine?: string }) {
    const posted: unknown[] = [];
    let prevented = false;
    let handler: ((e: unknown) => void) | undefined;
    const element = {
      getAttribute: (name: string) =>
        name === 'href' ? (el.href ?? null) : name === 'data-line' ? (el.dataLine ?? null) : null,
      textContent: el.text ?? '',
    };
    const sandbox = {
      acquireVsCodeApi: () => ({ postMessage: (m: unknown) => posted.push(m) }),
      document: {
        addEventListener: (_type: string, h: (e: unknown) => void) => {
          handler = h;
        },
      },
    };
    new Script(BRIDGE_SCRIPT).runInNewContext(sandbox);
    handler!({ target: { closest: () => element }, preventDefault: () => (prevented = true) });
    return { posted, prevented };
  }

  it('reveals "line N" references and keeps the in-page jump', () => {
    expect(run({ href: '#r12', text: 'line 27' })).toEqual({ posted: [{ type: 'reveal', line: 27 }], prevented: false });
  });
  it('sends documentation links to the browser', () => {
    expect(run({ href: 'https://example.org/README.md#h001', text: 'H001' })).toEqual({
      posted: [{ type: 'open', url: 'https://example.org/README.md#h001' }],
      prevented: true,
    });
  });
  it('blocks other navigation', () => {
    expect(run({ href: 'file:///etc/passwd', text: 'x' })).toEqual({ posted: [], prevented: true });
  });
  it('reads data-line', () => {
    expect(run({ dataLine: '5' }).posted).toEqual([{ type: 'reveal', line: 5 }]);
  });
});
