/**
 * Preparing the server's self-contained timeline HTML (contextLs.showTimeline) for a webview:
 * a Content-Security-Policy that allows only its inline CSS/JS and data: images (no network), and
 * a small bridge that turns clicks on record links into "reveal this line in the editor".
 * Pure logic (no `vscode` import).
 */

export function contentSecurityPolicy(cspSource: string): string {
  return [
    "default-src 'none'",
    `img-src data: ${cspSource}`,
    `font-src data: ${cspSource}`,
    "style-src 'unsafe-inline'",
    "script-src 'unsafe-inline'",
  ].join('; ');
}

/** Runs inside the webview. A click on a record reference ("line 27", data-line="27", #L27)
 * also reveals that line in the editor (in-page anchors still scroll the report); a click on an
 * http(s) link (rule documentation) asks the extension to open it in the browser; any other
 * navigation is blocked. */
export const BRIDGE_SCRIPT = `(function () {
  var vscode = typeof acquireVsCodeApi === 'function' ? acquireVsCodeApi() : undefined;
  function lineOf(el) {
    var attr = el.getAttribute('data-line') || el.getAttribute('data-lineno');
    if (attr && /^\\d+$/.test(attr)) return Number(attr);
    var href = el.getAttribute('href') || '';
    var m = /[#?&](?:L|line=)(\\d+)$/.exec(href);
    if (m) return Number(m[1]);
    m = /^\\s*line (\\d+)\\s*$/.exec(el.textContent || '');
    return m ? Number(m[1]) : undefined;
  }
  document.addEventListener('click', function (event) {
    var el = event.target && event.target.closest ? event.target.closest('a[href], [data-line]') : null;
    if (!el) return;
    var href = el.getAttribute('href') || '';
    var line = lineOf(el);
    if (line !== undefined && vscode) vscode.postMessage({ type: 'reveal', line: line });
    if (/^https?:/i.test(href)) {
      event.preventDefault();
      if (vscode) vscode.postMessage({ type: 'open', url: href });
    } else if (href && href.charAt(0) !== '#') {
      event.preventDefault();
    }
  }, true);
})();`;

/** Inserts the CSP meta (first thing in <head>) and the bridge script (end of <body>). */
export function prepareTimelineHtml(html: string, cspSource: string): string {
  const meta = `<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(cspSource)}">`;
  let out = html;
  if (/<head[^>]*>/i.test(out)) {
    out = out.replace(/<head[^>]*>/i, (m) => `${m}\n${meta}`);
  } else if (/<html[^>]*>/i.test(out)) {
    out = out.replace(/<html[^>]*>/i, (m) => `${m}\n<head>${meta}</head>`);
  } else {
    out = `<!DOCTYPE html><html><head>${meta}</head><body>${out}</body></html>`;
  }
  const script = `<script>${BRIDGE_SCRIPT}</script>`;
  const bodyClose = out.search(/<\/body>/i);
  return bodyClose >= 0 ? out.slice(0, bodyClose) + script + out.slice(bodyClose) : out + script;
}

export interface RevealMessage {
  type: 'reveal';
  /** 1-based line number, as in the report. */
  line: number;
}

export function isRevealMessage(m: unknown): m is RevealMessage {
  if (!m || typeof m !== 'object') return false;
  const o = m as Record<string, unknown>;
  return o.type === 'reveal' && typeof o.line === 'number' && Number.isInteger(o.line) && o.line >= 1;
}

export interface OpenMessage {
  type: 'open';
  url: string;
}

/** Only http(s) links leave the webview (to the browser). */
export function isOpenMessage(m: unknown): m is OpenMessage {
  if (!m || typeof m !== 'object') return false;
  const o = m as Record<string, unknown>;
  return o.type === 'open' && typeof o.url === 'string' && /^https?:\/\/[^\s]+$/i.test(o.url);
}

/** Title of the webview panel: "Timeline: rollout.jsonl". */
export function timelineTitle(fsPathOrUri: string): string {
  const name = fsPathOrUri.split(/[\\/]/).pop() || fsPathOrUri;
  return `Timeline: ${decodeURIComponent(name)}`;
}
