import * as vscode from 'vscode';
import {
  ExecuteCommandRequest,
  LanguageClient,
  RevealOutputChannelOn,
  State,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import {
  ACTIVE_EDITOR_NOTIFICATION,
  activeEditorParams,
  contextDocumentText,
  createSnapshotCommand,
  describeResult,
  listSnapshotsCommand,
  normalizeCommand,
  parseKeep,
  parseSnapshotList,
  restoreSnapshotCommand,
  rewriteLensCommand,
  showContextCommand,
  showTimelineCommand,
  snapshotPickItems,
  trimCommand,
  validateKeep,
  type ExecuteCommandParams,
} from './logic/commands';
import { versionText } from './logic/interpreter';
import { forgetPendingQuestion, resolveServer } from './server';
import { looksLikeHistory, statusFor } from './logic/status';
import { registerSessionsView } from './sessionsView';
import { showTimelinePanel } from './timelinePanel';
import type { Launch } from './logic/serverPlan';

export const LANGUAGES = ['json', 'jsonl', 'jsonc'];
const CONTEXT_SCHEME = 'context-ls';

let client: LanguageClient | undefined;
let outputChannel: vscode.LogOutputChannel | undefined;
let statusItem: vscode.StatusBarItem | undefined;
let starting: Promise<void> | undefined;
let launched: Launch | undefined; // how the server was started: `context-ls fix` runs the same way
const serverStarted = new vscode.EventEmitter<void>();
const contextDocs = new Map<string, string>();
const contextDocsChanged = new vscode.EventEmitter<vscode.Uri>();

function isCandidateDocument(doc: vscode.TextDocument | undefined): doc is vscode.TextDocument {
  return !!doc && LANGUAGES.includes(doc.languageId) && (doc.uri.scheme === 'file' || doc.uri.scheme === 'untitled');
}

function log(message: string): void {
  outputChannel?.info(message);
}

function serverSettings(): Record<string, unknown> {
  const cfg = vscode.workspace.getConfiguration('contextLs');
  return {
    enforceHistoryInvariants: cfg.get('enforceHistoryInvariants'),
    severity: cfg.get('severity'),
    syntheticOutputText: cfg.get('syntheticOutputText'),
    pendingGraceSeconds: cfg.get('pendingGraceSeconds'),
    trimKeep: cfg.get('trimKeep'),
    snapshots: cfg.get('snapshots'),
    watch: cfg.get('watch'),
  };
}

async function startClient(context: vscode.ExtensionContext): Promise<void> {
  const resource = vscode.window.activeTextEditor?.document.uri ?? vscode.workspace.workspaceFolders?.[0]?.uri;
  const resolved = await resolveServer({ context, log, restart: () => startAgain(context) }, resource);
  if (!resolved) return;
  const { launch, probe, candidate } = resolved;
  launched = launch;
  log(
    `Starting the server: ${launch.command} ${launch.args.join(' ')} ` +
      `(Python ${versionText(probe.version)} from ${candidate.source}, ${launch.origin} server` +
      (launch.env.PYTHONPATH ? `, PYTHONPATH=${launch.env.PYTHONPATH}` : '') +
      ')',
  );
  const serverOptions: ServerOptions = {
    command: launch.command,
    args: launch.args,
    options: { env: launch.env },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: LANGUAGES.flatMap((language) => [
      { scheme: 'file', language },
      { scheme: 'untitled', language },
    ]),
    synchronize: { configurationSection: 'contextLs' },
    initializationOptions: serverSettings(),
    outputChannel,
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    middleware: {
      // The server's "open timeline" lens runs contextLs.showTimeline, which returns HTML:
      // in VS Code it opens the webview panel instead.
      provideCodeLenses: async (document, token, next) => {
        const lenses = await next(document, token);
        for (const lens of lenses ?? []) lens.command = rewriteLensCommand(lens.command);
        return lenses;
      },
      resolveCodeLens: async (lens, token, next) => {
        const resolved = await next(lens, token);
        if (resolved) resolved.command = rewriteLensCommand(resolved.command);
        return resolved;
      },
    },
  };
  const next = new LanguageClient('contextLs', 'Context LS', serverOptions, clientOptions);
  client = next;
  next.onDidChangeState((e) => {
    if (e.newState === State.Running) void notifyActiveEditor();
    if (e.newState === State.Running) serverStarted.fire();
    updateStatus();
  });
  try {
    await next.start();
  } catch (err) {
    log(`The server did not start: ${String(err)}`);
    void vscode.window.showErrorMessage(`Context LS: the server did not start (${String(err)}). See "Context LS: Show Server Log".`);
  }
}

async function ensureClient(context: vscode.ExtensionContext): Promise<LanguageClient | undefined> {
  if (!client) {
    starting ??= startClient(context).finally(() => {
      starting = undefined;
    });
    await starting;
  } else if (starting) {
    await starting;
  }
  return client;
}

/** After a start that found no server (the user answered the fallback question): try again. */
async function startAgain(context: vscode.ExtensionContext): Promise<void> {
  if (starting) await starting;
  await ensureClient(context);
  updateStatus();
}

async function request(context: vscode.ExtensionContext, method: string, params: unknown): Promise<unknown> {
  const c = await ensureClient(context);
  if (!c) throw new Error('the Context LS server is not running (see "Context LS: Show Server Log")');
  if (!c.isRunning()) await c.start();
  return c.sendRequest(method, params);
}

async function execute(context: vscode.ExtensionContext, params: ExecuteCommandParams): Promise<unknown> {
  log(`Running ${params.command} ${JSON.stringify(params.arguments)}`);
  return request(context, ExecuteCommandRequest.type.method, params);
}

function historyUri(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  // From a code lens or another extension: the uri as text.
  if (typeof arg === 'string' && /^[a-z][a-z0-9+.-]*:/i.test(arg)) return vscode.Uri.parse(arg);
  const doc = vscode.window.activeTextEditor?.document;
  if (doc && LANGUAGES.includes(doc.languageId)) return doc.uri;
  return undefined;
}

function requireUri(arg: unknown): vscode.Uri | undefined {
  const uri = historyUri(arg);
  if (!uri) void vscode.window.showWarningMessage('Context LS: open a history file (JSON or JSONL) first.');
  return uri;
}

async function ensureOpen(uri: vscode.Uri): Promise<void> {
  // The server works on the open document: open it when the command came from the Explorer.
  if (!vscode.workspace.textDocuments.some((d) => d.uri.toString() === uri.toString())) {
    await vscode.workspace.openTextDocument(uri);
  }
}

function showResult(r: { text: string; warning: boolean }): void {
  log(r.text);
  if (r.warning) void vscode.window.showWarningMessage(`Context LS: ${r.text}`);
  else void vscode.window.showInformationMessage(`Context LS: ${r.text}`);
}

function reportError(action: string, err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  log(`${action} failed: ${message}`);
  void vscode.window.showErrorMessage(`Context LS: ${action} failed: ${message}`);
}

function updateStatus(): void {
  if (!statusItem) return;
  const editor = vscode.window.activeTextEditor;
  if (!isCandidateDocument(editor?.document)) {
    statusItem.hide();
    return;
  }
  const doc = editor.document;
  const diagnostics = vscode.languages.getDiagnostics(doc.uri);
  const state = statusFor(diagnostics, looksLikeHistory(doc.getText(new vscode.Range(0, 0, 200, 0))));
  if (!state.visible) {
    statusItem.hide();
    return;
  }
  statusItem.text = state.text;
  statusItem.tooltip = state.tooltip;
  statusItem.backgroundColor =
    state.kind === 'problems' ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
  statusItem.show();
}

async function notifyActiveEditor(): Promise<void> {
  const c = client;
  if (!c || !c.isRunning()) return;
  const doc = vscode.window.activeTextEditor?.document;
  const uri = isCandidateDocument(doc) ? doc.uri.toString() : undefined;
  try {
    await c.sendNotification(ACTIVE_EDITOR_NOTIFICATION, activeEditorParams(uri));
  } catch (err) {
    log(`${ACTIVE_EDITOR_NOTIFICATION} failed: ${String(err)}`);
  }
}

async function showTimeline(context: vscode.ExtensionContext, uri: vscode.Uri): Promise<void> {
  await ensureOpen(uri);
  const html = await execute(context, showTimelineCommand(uri.toString()));
  if (typeof html !== 'string' || !html.trim()) throw new Error('the server returned no timeline');
  showTimelinePanel(uri, html);
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  outputChannel = vscode.window.createOutputChannel('Context LS', { log: true });
  statusItem = vscode.window.createStatusBarItem('contextLs.status', vscode.StatusBarAlignment.Left, 50);
  statusItem.name = 'Context LS';
  statusItem.command = 'context-ls.openProblems';
  context.subscriptions.push(outputChannel, statusItem, contextDocsChanged);

  context.subscriptions.push(
    vscode.workspace.registerTextDocumentContentProvider(CONTEXT_SCHEME, {
      onDidChange: contextDocsChanged.event,
      provideTextDocumentContent: (uri) => contextDocs.get(uri.toString()) ?? '{}\n',
    }),
  );

  const register = (id: string, fn: (...args: unknown[]) => unknown): void => {
    context.subscriptions.push(vscode.commands.registerCommand(id, fn));
  };

  register('context-ls.normalizeHistory', async (arg) => {
    const uri = requireUri(arg);
    if (!uri) return;
    try {
      await ensureOpen(uri);
      const result = await execute(context, normalizeCommand(uri.toString()));
      showResult(describeResult('normalize', result));
    } catch (err) {
      reportError('Normalize History', err);
    }
  });

  register('context-ls.createSnapshot', async (arg) => {
    const uri = requireUri(arg);
    if (!uri) return;
    try {
      await ensureOpen(uri);
      const result = await execute(context, createSnapshotCommand(uri.toString()));
      showResult(describeResult('createSnapshot', result));
    } catch (err) {
      reportError('Create Snapshot', err);
    }
  });

  register('context-ls.restoreSnapshot', async (arg) => {
    const uri = requireUri(arg);
    if (!uri) return;
    try {
      await ensureOpen(uri);
      const snapshots = parseSnapshotList(await execute(context, listSnapshotsCommand(uri.toString())));
      if (snapshots.length === 0) {
        void vscode.window.showInformationMessage('Context LS: this history has no snapshots yet.');
        return;
      }
      const picked = await vscode.window.showQuickPick(snapshotPickItems(snapshots, new Date()), {
        title: 'Restore Snapshot',
        placeHolder: 'Pick the snapshot to restore (newest first)',
        matchOnDescription: true,
        matchOnDetail: true,
      });
      if (!picked) return;
      const result = await execute(context, restoreSnapshotCommand(uri.toString(), picked.id));
      showResult(describeResult('restoreSnapshot', result, picked.label));
    } catch (err) {
      reportError('Restore Snapshot', err);
    }
  });

  register('context-ls.trimHistory', async (arg) => {
    const uri = requireUri(arg);
    if (!uri) return;
    const keepDefault = vscode.workspace.getConfiguration('contextLs', uri).get<number>('trimKeep', 500);
    const input = await vscode.window.showInputBox({
      title: 'Trim History',
      prompt: 'How many of the newest records to keep (calls and their outputs stay together; a snapshot is taken first)',
      value: String(keepDefault),
      validateInput: validateKeep,
    });
    const keep = input === undefined ? undefined : parseKeep(input);
    if (keep === undefined) return;
    try {
      await ensureOpen(uri);
      const result = await execute(context, trimCommand(uri.toString(), keep));
      showResult(describeResult('trim', result, String(keep)));
    } catch (err) {
      reportError('Trim History', err);
    }
  });

  register('context-ls.showContext', async (arg) => {
    const uri = historyUri(arg);
    try {
      const result = await execute(context, showContextCommand(uri?.toString()));
      const docUri = vscode.Uri.from({ scheme: CONTEXT_SCHEME, path: '/Context LS contexts.json' });
      contextDocs.set(docUri.toString(), contextDocumentText(result));
      contextDocsChanged.fire(docUri);
      const doc = await vscode.workspace.openTextDocument(docUri);
      await vscode.languages.setTextDocumentLanguage(doc, 'json');
      await vscode.window.showTextDocument(doc, { preview: true, viewColumn: vscode.ViewColumn.Beside });
    } catch (err) {
      reportError('Show Context', err);
    }
  });

  register('context-ls.showTimeline', async (arg) => {
    const uri = requireUri(arg);
    if (!uri) return;
    try {
      await showTimeline(context, uri);
    } catch (err) {
      reportError('Show Timeline', err);
    }
  });

  register('context-ls.restartServer', async () => {
    const old = client;
    client = undefined;
    if (old) {
      try {
        await old.stop();
      } catch (err) {
        log(`Stopping the server: ${String(err)}`);
      }
      try {
        await old.dispose();
      } catch {
        // already disposed
      }
    }
    await ensureClient(context);
    updateStatus();
  });

  register('context-ls.showServerLog', () => outputChannel?.show(true));
  registerSessionsView(context, { request: (m, p) => request(context, m, p), launch: () => launched, log, onServerStarted: serverStarted.event });
  register('context-ls.openProblems', () => vscode.commands.executeCommand('workbench.actions.view.problems'));

  context.subscriptions.push(
    vscode.window.onDidChangeActiveTextEditor(() => {
      updateStatus();
      void notifyActiveEditor();
    }),
    vscode.languages.onDidChangeDiagnostics((e) => {
      const active = vscode.window.activeTextEditor?.document.uri.toString();
      if (active && e.uris.some((u) => u.toString() === active)) updateStatus();
    }),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (e.affectsConfiguration('contextLs.server.pythonPath')) {
        const choice = await vscode.window.showInformationMessage(
          'Context LS: the Python interpreter setting changed. Restart the server to use it?',
          'Restart',
        );
        if (choice === 'Restart') await vscode.commands.executeCommand('context-ls.restartServer');
      }
    }),
    { dispose: () => void client?.stop() },
  );

  updateStatus();
  await ensureClient(context);
}

export async function deactivate(): Promise<void> {
  forgetPendingQuestion();
  const c = client;
  client = undefined;
  if (c) await c.stop();
}
