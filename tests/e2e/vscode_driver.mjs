// Drives a real VS Code workbench (code-server) in headless Chromium with playwright-core.
// Run by test_vscode.py: `node vscode_driver.mjs` with CONTEXT_LS_DRIVER (JSON config) set.
// Prints one JSON line with what it saw; screenshots go to config.artifacts.
import { createRequire } from 'node:module';
import path from 'node:path';
import { agentSessionsStep } from './vscode_sessions.mjs';

const cfg = JSON.parse(process.env.CONTEXT_LS_DRIVER);
const require = createRequire(path.join(cfg.playwrightDir, 'package.json'));
const { chromium } = require('playwright-core');

const out = { steps: [], blocked: [], consoleErrors: [] };
const t0 = Date.now();
const step = (name, data = {}) => {
  out.steps.push({ name, ms: Date.now() - t0, ...data });
  process.stderr.write(`[driver ${((Date.now() - t0) / 1000).toFixed(1)}s] ${name} ${JSON.stringify(data)}\n`);
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function poll(fn, { timeout = 60000, interval = 250, what = 'condition' } = {}) {
  const end = Date.now() + timeout;
  let last;
  while (Date.now() < end) {
    last = await fn();
    if (last && last.ok) return last;
    await sleep(interval);
  }
  throw new Error(`timed out waiting for ${what}: ${JSON.stringify(last)}`);
}

const browser = await chromium.launch({
  executablePath: cfg.chromium,
  headless: true,
  args: [
    '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--disable-dev-shm-usage',
  ],
});
let page;
try {
  const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: `http://127.0.0.1:${cfg.port}` });
  // Every request that is not to 127.0.0.1 is aborted (and recorded).
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === '127.0.0.1' || url.protocol === 'data:' || url.protocol === 'blob:') return route.continue();
    out.blocked.push(route.request().url());
    return route.abort();
  });
  page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') out.consoleErrors.push(m.text().slice(0, 300));
  });

  const base = `http://127.0.0.1:${cfg.port}`;
  await page.goto(`${base}/?folder=${encodeURIComponent(cfg.workspace)}`, { waitUntil: 'domcontentloaded' });
  await page.waitForSelector('.monaco-workbench', { timeout: 60000 });
  await page.waitForSelector('.explorer-folders-view .monaco-list-row', { timeout: 60000 });
  await sleep(1500);
  step('workbench');

  // Dismiss anything that grabs focus, then open the history with Quick Open.
  await page.keyboard.press('Escape');
  await page.locator('.monaco-workbench').click({ position: { x: 800, y: 500 } }).catch(() => {});
  await page.keyboard.press('Control+P');
  await page.waitForSelector('.quick-input-widget input', { state: 'visible', timeout: 20000 });
  await page.keyboard.type(cfg.file, { delay: 10 });
  await poll(
    async () => {
      const t = await page.locator('.quick-input-widget .monaco-list-row').first().textContent().catch(() => '');
      return { ok: (t || '').includes(cfg.file), t };
    },
    { timeout: 20000, what: 'the file in Quick Open' },
  );
  await page.keyboard.press('Enter');
  await page.waitForSelector(`.tabs-container .tab[aria-label*="${cfg.file}"]`, { timeout: 20000 });
  step('file opened');

  const allProblemRows = async () => {
    return page.$$eval('.markers-panel .monaco-list-row', (rows) =>
      rows.map((r) => (r.getAttribute('aria-label') || '') + ' || ' + (r.textContent || '')),
    );
  };
  // Marker rows of one file: the panel lists each file as a header row followed by its markers
  // (the server also reports histories of the workspace that are not open).
  const problemsOf = async (file) => {
    const rows = await allProblemRows();
    const mine = [];
    let inFile = false;
    for (const r of rows) {
      if (/ problems? in file /.test(r)) inFile = r.includes(` in file ${file} `);
      else if (inFile) mine.push(r);
    }
    return mine;
  };
  const problems = () => problemsOf(cfg.file);
  const statusTexts = async () =>
    page.$$eval('.statusbar-item', (items) => items.map((i) => (i.textContent || '').trim()).filter(Boolean));
  const ourStatus = async () => {
    const all = await statusTexts();
    return all.find((t) => /history ok|pairing problem|history problem|pending call/.test(t)) || '';
  };
  const codesOf = (rows) =>
    rows.flatMap((r) => [...r.matchAll(/context-ls\s*\(?\s*(H\d{3})\b/g)].map((m) => m[1])).slice(0, 200);
  const uniqueRowCodes = (rows) => {
    // One marker row = one diagnostic; the regex may hit aria-label and text of the same row.
    return rows.map((r) => codesOf([r])[0]).filter(Boolean).sort();
  };

  await page.keyboard.press('Control+Shift+M');
  await page.waitForSelector('.markers-panel', { timeout: 20000 });
  const before = await poll(
    async () => {
      const rows = await problems();
      const codes = uniqueRowCodes(rows);
      return { ok: codes.length >= cfg.expected.length, codes, rows };
    },
    { timeout: 90000, what: 'the expected diagnostics in the Problems panel' },
  );
  // Let late diagnostics arrive, then read again.
  await sleep(1000);
  const rowsBefore = await problems();
  const statusBefore = await poll(async () => {
    const s = await ourStatus();
    return { ok: /problem/.test(s), s };
  }, { timeout: 20000, what: 'the status bar item' });
  const squiggles = await page.locator('.squiggly-error, .squiggly-warning').count();
  const codeLens = (await page.locator('.contentWidgets .codelens-decoration').allTextContents()).join(' | ');
  await page.screenshot({ path: path.join(cfg.artifacts, 'vscode-diagnostics.png') });
  step('diagnostics', { codes: uniqueRowCodes(rowsBefore), status: statusBefore.s, squiggles, codeLens });
  out.before = { codes: uniqueRowCodes(rowsBefore), rows: rowsBefore, status: statusBefore.s, squiggles, codeLens };
  void before;

  const runCommand = async (title) => {
    await page.keyboard.press('Escape');
    await page.keyboard.press('F1');
    await page.waitForSelector('.quick-input-widget input', { state: 'visible', timeout: 20000 });
    await page.keyboard.type(title, { delay: 5 });
    await poll(
      async () => {
        const t = await page
          .locator('.quick-input-widget .monaco-list-row.focused, .quick-input-widget .monaco-list-row')
          .first()
          .textContent()
          .catch(() => '');
        return { ok: (t || '').includes(title.replace(/^Context LS: /, '')), t };
      },
      { timeout: 20000, what: `"${title}" in the command palette` },
    );
    await page.keyboard.press('Enter');
  };
  const focusEditor = async () => {
    await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click();
    await page.keyboard.press('Control+Home');
  };
  const save = async () => {
    await focusEditor();
    await page.keyboard.press('Control+S');
    await poll(
      async () => {
        const dirty = await page.locator('.tabs-container .tab.dirty').count();
        return { ok: dirty === 0, dirty };
      },
      { timeout: 20000, what: 'the editor to be saved' },
    );
  };

  // Normalize History from the command palette.
  await focusEditor();
  await runCommand('Context LS: Normalize History');
  const afterNormalize = await poll(
    async () => {
      const rows = await problems();
      const codes = uniqueRowCodes(rows);
      const s = await ourStatus();
      return { ok: codes.length === 0 && s.includes('history ok'), codes, rows, s };
    },
    { timeout: 60000, what: 'an empty Problems panel after Normalize History' },
  );
  await save();
  const empty = await page.locator('.markers-panel .monaco-tl-contents, .markers-panel .message-box-container').allTextContents();
  await page.screenshot({ path: path.join(cfg.artifacts, 'vscode-after-normalize.png') });
  step('normalized', { status: afterNormalize.s, panel: empty.join(' ').slice(0, 200) });
  out.afterNormalize = { codes: afterNormalize.codes, status: afterNormalize.s };

  // Restore Snapshot…: the quick pick lists the snapshots newest first; take the newest.
  await focusEditor();
  await runCommand('Context LS: Restore Snapshot');
  await poll(
    async () => {
      const rows = await page.$$eval('.quick-input-widget .monaco-list-row', (r) => r.map((x) => x.textContent || ''));
      const placeholder = await page
        .locator('.quick-input-widget input')
        .getAttribute('placeholder')
        .catch(() => '');
      return { ok: rows.length > 0 && /snapshot/i.test(placeholder || ''), rows, placeholder };
    },
    { timeout: 30000, what: 'the snapshot quick pick' },
  ).then((r) => {
    out.snapshotItems = r.rows;
    step('snapshot pick', { items: r.rows.slice(0, 5) });
  });
  await page.screenshot({ path: path.join(cfg.artifacts, 'vscode-restore-pick.png') });
  await page.keyboard.press('Enter');
  const afterRestore = await poll(
    async () => {
      const rows = await problems();
      const codes = uniqueRowCodes(rows);
      const s = await ourStatus();
      return { ok: codes.length >= cfg.expected.length && /problem/.test(s), codes, s };
    },
    { timeout: 60000, what: 'the diagnostics to come back after Restore Snapshot' },
  );
  await sleep(800);
  await save().catch((e) => step('save after restore', { error: String(e) }));
  const rowsRestored = await problems();
  out.afterRestore = { codes: uniqueRowCodes(rowsRestored), status: await ourStatus() };
  step('restored', out.afterRestore);
  void afterRestore;

  // The other palette commands: Create Snapshot, Show Context, Restart Server, Show Server Log.
  try {
    const toasts = async () =>
      page.$$eval('.notification-toast .notification-list-item-message', (els) => els.map((e) => e.textContent || ''));
    await focusEditor();
    await runCommand('Context LS: Create Snapshot');
    const created = await poll(
      async () => {
        const t = await toasts();
        return { ok: t.some((x) => /Context LS: (?!.*failed)/.test(x) && /snapshot/i.test(x)), t };
      },
      { timeout: 20000, what: 'the Create Snapshot notification' },
    );
    await focusEditor();
    await runCommand('Context LS: Show Context');
    await page.waitForSelector('.tabs-container .tab[aria-label*="Context LS contexts.json"]', { timeout: 20000 });
    const contextText = await page
      .locator('.editor-group-container.active .monaco-editor .view-lines')
      .first()
      .innerText()
      .then((t) => t.replace(/\u00a0/g, ' '))
      .catch(() => '');
    await page.keyboard.press('Control+W');
    await focusEditor();
    await runCommand('Context LS: Restart Server');
    const restarted = await poll(
      async () => {
        const codes = uniqueRowCodes(await problems());
        const s = await ourStatus();
        return { ok: codes.length === cfg.expected.length && /problem/.test(s), codes, s };
      },
      { timeout: 60000, what: 'the diagnostics after Restart Server' },
    );
    await runCommand('Context LS: Show Server Log');
    const logText = await poll(
      async () => {
        const raw = await page.locator('.output-view, .panel .monaco-editor .view-lines').first().innerText().catch(() => '');
        const text = raw.replace(/\u00a0/g, ' '); // Monaco renders spaces as no-break spaces
        // The view shows its last lines: the restart's "Starting the server" is among them.
        return { ok: text.includes('Starting the server'), text: text.slice(-1500) };
      },
      { timeout: 20000, what: 'the server log in the Output panel' },
    );
    await page.screenshot({ path: path.join(cfg.artifacts, 'vscode-server-log.png') });
    await page.keyboard.press('Control+Shift+M');
    out.commands = {
      ok: true,
      snapshotToast: created.t,
      context: contextText.slice(0, 500),
      restarted: restarted.codes,
      log: logText.text,
    };
    step('commands', { snapshotToast: created.t, restarted: restarted.codes });
  } catch (err) {
    out.commands = { ok: false, error: String(err).slice(0, 1500) };
    await page.screenshot({ path: path.join(cfg.artifacts, 'vscode-commands-failed.png') }).catch(() => {});
    await page.keyboard.press('Control+Shift+M').catch(() => {});
  }

  // Show Timeline: the server's HTML in a webview beside the editor.
  if (cfg.timeline) {
    try {
      // The server's code lens at the top of the history ("… · open timeline") opens the panel.
      await focusEditor();
      try {
        await page.locator('.codelens-decoration a', { hasText: 'open timeline' }).first().click({ timeout: 10000 });
        await page.waitForSelector('.tabs-container .tab[aria-label*="Timeline"]', { timeout: 20000 });
        out.timelineFromLens = true;
        step('timeline from the code lens');
      } catch (err) {
        out.timelineFromLens = false;
        step('timeline from the code lens failed', { error: String(err).slice(0, 300) });
      }
      await focusEditor();
      await runCommand('Context LS: Show Timeline');
      await page.waitForSelector('.tabs-container .tab[aria-label*="Timeline"]', { timeout: 30000 });
      let reportFrame;
      const frame = await poll(
        async () => {
          for (const f of page.frames()) {
            const text = await f.evaluate(() => document.body?.innerText || '').catch(() => '');
            if (/H00\d/.test(text) && f !== page.mainFrame()) {
              reportFrame = f;
              return { ok: true, text: text.slice(0, 2000) };
            }
          }
          return { ok: false };
        },
        { timeout: 30000, what: 'the timeline webview content' },
      );
      await sleep(500);
      await page.screenshot({ path: path.join(cfg.artifacts, 'vscode-timeline.png') });
      out.timeline = { ok: true, text: frame.text };
      step('timeline');
      // A finding's "line N" link in the report reveals that line in the editor.
      try {
        const link = reportFrame.locator('a', { hasText: /^line \d+$/ }).first();
        const line = Number(/\d+/.exec(await link.textContent())[0]);
        await link.click();
        const cursor = await poll(
          async () => {
            const s = (await statusTexts()).find((t) => /^Ln \d+, Col \d+/.test(t)) || '';
            return { ok: s.startsWith(`Ln ${line},`), s };
          },
          { timeout: 15000, what: `the editor cursor on line ${line}` },
        );
        out.timelineReveal = { ok: true, line, cursor: cursor.s };
      } catch (err) {
        out.timelineReveal = { ok: false, error: String(err).slice(0, 500) };
      }
      step('timeline reveal', out.timelineReveal);
    } catch (err) {
      out.timeline = { ok: false, error: String(err) };
      await page.screenshot({ path: path.join(cfg.artifacts, 'vscode-timeline-failed.png') }).catch(() => {});
    }
  }
  // Fix on save: `editor.codeActionsOnSave` with source.fixAll.context-ls is set for [json] in
  // the test settings: edit and save the second history, its problems must go.
  if (cfg.fixOnSave) {
    try {
      // One editor only: the history of the restore test must not receive the keystrokes.
      await runCommand('View: Close All Editors');
      await poll(async () => {
        const tabs = await page.locator('.tabs-container .tab').count();
        return { ok: tabs === 0, tabs };
      }, { timeout: 10000, what: 'all editors to close' });
      await page.keyboard.press('Control+P');
      await page.waitForSelector('.quick-input-widget input', { state: 'visible', timeout: 20000 });
      await page.keyboard.type(cfg.fixOnSave.file, { delay: 10 });
      await poll(
        async () => {
          const t = await page.locator('.quick-input-widget .monaco-list-row').first().textContent().catch(() => '');
          return { ok: (t || '').includes(cfg.fixOnSave.file), t };
        },
        { timeout: 20000, what: 'the second file in Quick Open' },
      );
      await page.keyboard.press('Enter');
      await page.waitForSelector(`.tabs-container .tab.active[aria-label*="${cfg.fixOnSave.file}"]`, { timeout: 20000 });
      const fileRows = () => problemsOf(cfg.fixOnSave.file);
      const seen = await poll(
        async () => {
          const codes = uniqueRowCodes(await fileRows());
          return { ok: codes.length >= cfg.fixOnSave.expected.length, codes };
        },
        { timeout: 60000, what: 'the diagnostics of the second file' },
      );
      await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click();
      await page.keyboard.press('Control+End');
      await page.keyboard.type(' ');
      await page.keyboard.press('Control+S');
      const fixed = await poll(
        async () => {
          const codes = uniqueRowCodes(await fileRows());
          const dirty = await page.locator('.tabs-container .tab.dirty').count();
          return { ok: codes.length === 0 && dirty === 0, codes, dirty };
        },
        { timeout: 30000, what: 'the problems of the second file to go on save' },
      );
      await page.screenshot({ path: path.join(cfg.artifacts, 'vscode-fix-on-save.png') });
      out.fixOnSave = { ok: true, before: seen.codes, after: fixed.codes };
      step('fix on save', out.fixOnSave);
    } catch (err) {
      out.fixOnSave = { ok: false, error: String(err).slice(0, 2000) };
      await page.screenshot({ path: path.join(cfg.artifacts, 'vscode-fix-on-save-failed.png') }).catch(() => {});
    }
  }
  // The Agent Sessions view on the fake HOME (vscode_sessions.mjs).
  if (cfg.sessions) out.sessions = await agentSessionsStep({ page, poll, runCommand, step, artifacts: cfg.artifacts }, cfg.sessions);
  out.ok = true;
} catch (err) {
  out.ok = false;
  out.error = String(err && err.stack ? err.stack : err);
  if (page) await page.screenshot({ path: path.join(cfg.artifacts, 'vscode-failure.png') }).catch(() => {});
} finally {
  await browser.close().catch(() => {});
}
out.seconds = (Date.now() - t0) / 1000;
process.stdout.write(JSON.stringify(out) + '\n');
process.exit(out.ok ? 0 : 1);
