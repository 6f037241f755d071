/** The timeline webview beside the editor: one panel per history, reused (VS Code API only). */
import * as vscode from 'vscode';
import { isOpenMessage, isRevealMessage, prepareTimelineHtml, timelineTitle } from './logic/timeline';

const timelinePanels = new Map<string, vscode.WebviewPanel>();

/** Shows the server's timeline HTML for `uri`; links open outside, record clicks reveal the line. */
export function showTimelinePanel(uri: vscode.Uri, html: string): void {
  const key = uri.toString();
  let panel = timelinePanels.get(key);
  if (!panel) {
    panel = vscode.window.createWebviewPanel(
      'contextLs.timeline',
      timelineTitle(uri.path),
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      { enableScripts: true, enableFindWidget: true, localResourceRoots: [], retainContextWhenHidden: false },
    );
    timelinePanels.set(key, panel);
    panel.onDidDispose(() => timelinePanels.delete(key));
    panel.webview.onDidReceiveMessage(async (message: unknown) => {
      if (isOpenMessage(message)) {
        await vscode.env.openExternal(vscode.Uri.parse(message.url));
        return;
      }
      if (!isRevealMessage(message)) return;
      const doc = await vscode.workspace.openTextDocument(uri);
      const line = Math.min(message.line - 1, doc.lineCount - 1);
      const range = new vscode.Range(line, 0, line, 0);
      await vscode.window.showTextDocument(doc, {
        viewColumn: vscode.ViewColumn.One,
        selection: range,
      });
    });
  } else {
    panel.reveal(vscode.ViewColumn.Beside, true);
  }
  panel.webview.html = prepareTimelineHtml(html, panel.webview.cspSource);
}

