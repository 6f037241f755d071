// The "Agent Sessions" view step of vscode_driver.mjs: on a fake HOME with a Codex and a Claude
// Code session of the workspace (both broken, the Claude one held open by a "running agent"),
// the view lists both with their counts; Fix is refused on the live one and repairs the other
// (its count goes to zero); Copy Resume Command fills the clipboard; a click opens the file.
import path from 'node:path';

/** The step's result for the driver's JSON: what the view showed, or the error. */
export async function agentSessionsStep(driver, sc) {
  try {
    const result = await agentSessions(driver, sc);
    driver.step('agent sessions', result);
    return result;
  } catch (err) {
    await driver.page.screenshot({ path: path.join(driver.artifacts, 'vscode-sessions-failed.png') }).catch(() => {});
    return { ok: false, error: String(err).slice(0, 2000) };
  }
}

async function agentSessions({ page, poll, runCommand, artifacts }, sc) {
  const result = { ok: false };
  await runCommand('View: Close All Editors');
  await runCommand('Explorer: Focus on Agent Sessions View');
  const pane = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Agent Sessions' }) });
  const rowsNow = async () =>
    pane.locator('.monaco-list-row').evaluateAll((rows) => rows.map((r) => (r.getAttribute('aria-label') || '').replace(/\u00a0/g, ' ')));
  const rowOf = (sid) => pane.locator(`.monaco-list-row[aria-label*="${sid.slice(0, 8)}"]`);
  const seen = await poll(
    async () => {
      const rows = await rowsNow();
      const codex = rows.find((r) => r.includes(sc.codexId.slice(0, 8))) || '';
      const claude = rows.find((r) => r.includes(sc.claudeId.slice(0, 8))) || '';
      return { ok: /1 problem: H001 ×1/.test(codex) && /live · 1 problem: H001 ×1/.test(claude), rows };
    },
    { timeout: 60000, what: 'both sessions with their problem counts in the Agent Sessions view' },
  );
  result.before = seen.rows;
  result.warningIcons = await pane.locator('.monaco-list-row .codicon-warning').count();
  await page.screenshot({ path: path.join(artifacts, 'vscode-sessions.png') });
  const toasts = async () =>
    page.$$eval('.notification-toast .notification-list-item-message', (els) => els.map((e) => (e.textContent || '').replace(/\u00a0/g, ' ')));
  const clearToasts = async () => {
    await runCommand('Notifications: Clear All Notifications').catch(() => {});
  };
  // Clicks an inline action of a session's row; resolves with the notification it brings.
  const inline = async (sid, title, expected, what, rowReady = () => true) => {
    await clearToasts();
    const row = rowOf(sid).first();
    await row.hover();
    await row.locator(`.action-label[aria-label="${title}"]`).click({ force: true });
    const shown = await poll(
      async () => {
        const toast = (await toasts()).find((x) => expected.test(x));
        const text = (await rowsNow()).find((r) => r.includes(sid.slice(0, 8))) || '';
        return { ok: !!toast && rowReady(text), toast, row: text };
      },
      { timeout: 60000, what },
    );
    return shown.toast;
  };

  // Fix on the live session: refused, and the refusal is shown.
  result.refusal = await inline(sc.claudeId, 'Fix Session', /Not fixed: .*Nothing was written/, 'the refusal to fix a live session');
  await page.screenshot({ path: path.join(artifacts, 'vscode-sessions-refused.png') });

  // Fix on the Codex session: repaired, and its count goes to zero.
  result.fixedToast = await inline(sc.codexId, 'Fix Session', /no problems left/, 'the Codex session to show no problems', (row) =>
    /, no problems$/.test(row),
  );
  result.after = await rowsNow();
  await page.screenshot({ path: path.join(artifacts, 'vscode-sessions-fixed.png') });

  // Copy the resume command.
  result.copiedToast = await inline(sc.codexId, 'Copy Resume Command', new RegExp(`copied .*${sc.codexId}`), 'the copy');
  result.clipboard = await page.evaluate(() => navigator.clipboard.readText()).catch((e) => `unreadable: ${e}`);

  // Open from the view: a click on the row opens the session file.
  await rowOf(sc.codexId).first().click();
  await page.waitForSelector(`.tabs-container .tab[aria-label*="${sc.codexFile}"]`, { timeout: 20000 });
  result.opened = true;
  result.ok = true;
  return result;
}
