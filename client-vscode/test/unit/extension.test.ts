import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import * as vscode from 'vscode';
import { fakeDocument, mock, Uri } from '../mocks/vscode';

// The language client is faked: it records what the extension sends to the server.
interface FakeServer {
  requests: { method: string; params: any }[];
  notifications: { method: string; params: any }[];
  replies: Record<string, unknown>;
  started: { serverOptions: any; clientOptions: any }[];
  stopped: number;
}
const server: FakeServer = vi.hoisted(() => ({
  requests: [],
  notifications: [],
  replies: {},
  started: [],
  stopped: 0,
}));

vi.mock('vscode-languageclient/node', () => {
  class LanguageClient {
    running = false;
    constructor(_id: string, _name: string, serverOptions: any, clientOptions: any) {
      server.started.push({ serverOptions, clientOptions });
    }
    onDidChangeState() {
      return { dispose() {} };
    }
    async start() {
      this.running = true;
    }
    async stop() {
      this.running = false;
      server.stopped++;
    }
    async dispose() {}
    isRunning() {
      return this.running;
    }
    async sendRequest(type: { method: string } | string, params: any) {
      const method = typeof type === 'string' ? type : type.method;
      server.requests.push({ method, params });
      return server.replies[params.command ?? method];
    }
    async sendNotification(method: string, params: any) {
      server.notifications.push({ method, params });
    }
  }
  return {
    LanguageClient,
    ExecuteCommandRequest: { type: { method: 'workspace/executeCommand' } },
    RevealOutputChannelOn: { Never: 4 },
    State: { Stopped: 1, Running: 2, Starting: 3 },
  };
});

const PYTHON_311 = {
  version: [3, 11, 7],
  executable: '/usr/bin/python3',
  hasContextLs: true,
  platform: 'linux',
  machine: 'x86_64',
  libc: 'glibc',
  bits: 64,
};
const probe = vi.hoisted(() => ({
  result: {} as any,
  calls: [] as string[],
  // The commands of a private environment install, and what each does.
  runs: [] as { command: string; args: string[] }[],
  run: async (_command: string, _args: string[]): Promise<string> => '',
  // `context-ls fix` runs of the Agent Sessions view.
  tools: [] as { command: string; args: string[]; options: any }[],
}));

vi.mock('../../src/logic/probe', () => ({
  probePython: async (command: string) => {
    probe.calls.push(command);
    if (probe.result instanceof Error) throw probe.result;
    return probe.result;
  },
  runCommand: async (command: string, args: string[]) => {
    probe.runs.push({ command, args });
    return probe.run(command, args);
  },
  runTool: async (command: string, args: string[], options: any) => {
    probe.tools.push({ command, args, options });
    return { code: 0, stdout: '', stderr: '' };
  },
}));

const ext = await import('../../src/extension');
const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
// An installed linux-x64 .vsix with the server bundled for Python 3.11, and the storage folders.
const root = mkdtempSync(path.join(tmpdir(), 'context-ls-ext-test-'));
const extensionPath = path.join(root, 'ext');
mkdirSync(path.join(extensionPath, 'bundled', 'libs', 'py3.11'), { recursive: true });
writeFileSync(
  path.join(extensionPath, 'bundled', 'libs', 'MANIFEST.json'),
  JSON.stringify({ target: 'linux-x64', sysPlatform: 'linux', arch: 'x64', libc: 'glibc', pythons: ['3.11'], skipped: {} }),
);
const globalState = new Map<string, unknown>();
const context = {
  subscriptions: [] as { dispose(): unknown }[],
  extensionPath,
  extension: { packageJSON: { version: '0.1.0' } },
  globalStorageUri: Uri.file(path.join(root, 'storage')),
  globalState: {
    get: (key: string, fallback?: unknown) => (globalState.has(key) ? globalState.get(key) : fallback),
    update: async (key: string, value: unknown) => void globalState.set(key, value),
  },
} as any;
const HISTORY = '{"timestamp":"t","type":"response_item","payload":{"type":"function_call","call_id":"c1"}}\n';

function openHistory(path = '/w/rollout.jsonl') {
  const doc = fakeDocument(path, 'jsonl', HISTORY);
  mock.activeEditorEmitter.fire(undefined);
  (vscode.window as any).activeTextEditor = { document: doc };
  (vscode.workspace as any).textDocuments.push(doc);
  mock.activeEditorEmitter.fire({ document: doc });
  return doc;
}

const flush = () => new Promise((r) => setTimeout(r, 0));

beforeEach(async () => {
  await ext.deactivate();
  for (const d of context.subscriptions.splice(0)) d.dispose();
  mock.reset();
  server.requests = [];
  server.notifications = [];
  server.replies = {};
  server.started = [];
  probe.calls = [];
  probe.runs = [];
  probe.tools = [];
  probe.run = async () => '';
  probe.result = { ...PYTHON_311 };
  globalState.clear();
  rmSync(path.join(root, 'storage'), { recursive: true, force: true });
});

describe('activate', () => {
  it('registers every command the manifest contributes, and starts the server', async () => {
    await ext.activate(context);
    const contributed = manifest.contributes.commands.map((c: { command: string }) => c.command);
    expect([...mock.commands.keys()].sort()).toEqual([...contributed].sort());
    expect(server.started).toHaveLength(1);
    const { serverOptions, clientOptions } = server.started[0];
    expect(serverOptions.command).toBe('python3');
    expect(serverOptions.args).toEqual(['-m', 'context_ls', 'serve']);
    // The bundled server fits (linux-x64, Python 3.11): no question asked.
    expect(serverOptions.options.env.PYTHONPATH.split(path.delimiter)[0]).toBe(path.join(extensionPath, 'bundled', 'libs', 'py3.11'));
    expect(vscode.window.showWarningMessage).not.toHaveBeenCalled();
    expect(clientOptions.documentSelector).toContainEqual({ scheme: 'file', language: 'jsonl' });
    expect(clientOptions.documentSelector).toContainEqual({ scheme: 'file', language: 'json' });
    expect(clientOptions.synchronize.configurationSection).toBe('contextLs');
  });

  it('uses contextLs.server.pythonPath when set', async () => {
    mock.config['contextLs.server.pythonPath'] = '/opt/py/bin/python3';
    await ext.activate(context);
    expect(probe.calls).toEqual(['/opt/py/bin/python3']);
    expect(server.started[0].serverOptions.command).toBe('/opt/py/bin/python3');
  });

  it('asks the Python extension for its interpreter when it is installed', async () => {
    mock.extensions.set('ms-python.python', { id: 'ms-python.python' });
    vi.doMock('@vscode/python-extension', () => ({
      PythonExtension: {
        api: async () => ({
          environments: {
            getActiveEnvironmentPath: () => ({ id: 'x', path: '/venv/bin/python' }),
            resolveEnvironment: async () => ({ executable: { uri: Uri.file('/venv/bin/python3.12') } }),
          },
        }),
      },
    }));
    await ext.activate(context);
    expect(probe.calls[0]).toBe('/venv/bin/python3.12');
    vi.doUnmock('@vscode/python-extension');
  });

  it('shows an error with "Open settings" when no Python 3.10+ is found', async () => {
    probe.result = { version: [3, 8, 10], executable: '/usr/bin/python3', hasContextLs: false };
    (vscode.window.showErrorMessage as any).mockResolvedValue('Open settings');
    await ext.activate(context);
    await flush();
    expect(server.started).toHaveLength(0);
    const [message, button] = (vscode.window.showErrorMessage as any).mock.calls[0];
    expect(message).toContain('Python 3.10 or newer');
    expect(button).toBe('Open settings');
    expect(mock.executed).toContainEqual({ id: 'workbench.action.openSettings', args: ['contextLs.server.pythonPath'] });
  });
});

describe('the Agent Sessions view', () => {
  it("lists the workspace's sessions through the server it started, and fixes with the same Python", async () => {
    (vscode.workspace as any).workspaceFolders = [{ uri: Uri.file('/w') }];
    const row = { path: '/h/.codex/sessions/r.jsonl', agent: 'codex', session_id: 'abc', modified: '', records: 3, findings: { H001: 1 }, live: false, resume: null };
    server.replies['contextLs/sessions'] = { sessions: [row], searched: ['/h/.codex/sessions'], problems: [] };
    await ext.activate(context);
    await flush();
    expect(server.requests).toContainEqual({ method: 'contextLs/sessions', params: { folders: ['/w'] } });
    const view = mock.treeViews[0];
    const [group] = view.provider.getChildren();
    const [session] = view.provider.getChildren(group);
    expect(view.provider.getTreeItem(session).description).toBe('1 problem: H001 ×1');
    await vscode.commands.executeCommand('context-ls.sessions.fix', session);
    expect(probe.tools).toHaveLength(1);
    const { command, args, options } = probe.tools[0];
    expect([command, ...args]).toEqual(['python3', '-m', 'context_ls', 'fix', row.path]);
    expect(options.env.PYTHONPATH.split(path.delimiter)[0]).toBe(path.join(extensionPath, 'bundled', 'libs', 'py3.11'));
    expect(options.cwd).toBe('/w');
  });
});

describe('when nothing bundled fits', () => {
  const never = () => new Promise<undefined>(() => undefined);
  const prompts = () => (vscode.window.showWarningMessage as any).mock.calls;

  it('asks once, with the installed context-ls and PyPI as the ways out', async () => {
    probe.result = { ...PYTHON_311, version: [3, 15, 0], contextLsVersion: '0.1.0' };
    (vscode.window.showWarningMessage as any).mockImplementation(never);
    await ext.activate(context);
    expect(server.started).toHaveLength(0);
    // Commands while the question is open do not stack more notifications.
    await vscode.commands.executeCommand('context-ls.normalizeHistory', Uri.file('/w/a.jsonl'));
    await vscode.commands.executeCommand('context-ls.normalizeHistory', Uri.file('/w/a.jsonl'));
    expect(prompts()).toHaveLength(1);
    const [message, ...actions] = prompts()[0];
    expect(message).toContain('the .vsix bundles it for Python 3.11, not 3.15');
    expect(message).toContain('python3 has context-ls 0.1.0 installed');
    expect(actions).toEqual(['Use Installed context-ls', 'Install from PyPI']);
    expect((vscode.window.showErrorMessage as any).mock.calls.at(-1)[0]).toMatch(/server is not running/);
  });

  it('says the platform does not match: an arm64 Python with the x64 .vsix', async () => {
    probe.result = { ...PYTHON_311, machine: 'aarch64', hasContextLs: false };
    await ext.activate(context);
    expect(prompts()[0][0]).toContain('the .vsix is built for linux-x64, and this Python is for linux-arm64');
    expect(prompts()[0].slice(1)).toEqual(['Choose Interpreter…', 'Install from PyPI']);
  });

  it('"Use Installed context-ls" starts it and remembers the choice', async () => {
    probe.result = { ...PYTHON_311, version: [3, 15, 0] };
    (vscode.window.showWarningMessage as any).mockResolvedValue('Use Installed context-ls');
    await ext.activate(context);
    await vi.waitFor(() => expect(server.started).toHaveLength(1));
    const { serverOptions } = server.started[0];
    expect(serverOptions.command).toBe('python3');
    expect(serverOptions.options.env.PYTHONPATH ?? '').not.toContain('bundled');
    expect(globalState.get('contextLs.useInstalledContextLs')).toEqual(['/usr/bin/python3']);
    await vscode.commands.executeCommand('context-ls.restartServer');
    expect(server.started).toHaveLength(2);
    expect(prompts()).toHaveLength(1);
  });

  it('"Install from PyPI" makes a private environment, then starts its server', async () => {
    probe.result = { ...PYTHON_311, version: [3, 15, 0], executable: '/opt/py315/bin/python3', hasContextLs: false };
    (vscode.window.showWarningMessage as any).mockResolvedValue('Install from PyPI');
    probe.run = async (command, args) => {
      if (args.includes('venv')) {
        const dir = args.at(-1)!;
        mkdirSync(path.join(dir, 'bin'), { recursive: true });
        writeFileSync(path.join(dir, 'bin', 'python'), '');
      }
      return `ran ${command}`;
    };
    await ext.activate(context);
    await vi.waitFor(() => expect(server.started).toHaveLength(1));
    const [venv, pip] = probe.runs;
    expect(venv.command).toBe('/opt/py315/bin/python3');
    const dir = venv.args.at(-1)!;
    expect(dir.startsWith(path.join(root, 'storage', 'server-env', 'py3.15-'))).toBe(true);
    expect(pip).toEqual({
      command: path.join(dir, 'bin', 'python'),
      args: ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', 'context-ls==0.1.0'],
    });
    expect(vscode.window.withProgress).toHaveBeenCalledTimes(1);
    expect(server.started[0].serverOptions.command).toBe(path.join(dir, 'bin', 'python'));
    expect(JSON.parse(readFileSync(path.join(dir, 'context-ls-env.json'), 'utf8')).version).toBe('0.1.0');
    // Next time the environment is used without asking or installing.
    await vscode.commands.executeCommand('context-ls.restartServer');
    expect(server.started).toHaveLength(2);
    expect(probe.runs).toHaveLength(2);
    expect(prompts()).toHaveLength(1);
  });

  it('a failed install says why and starts nothing', async () => {
    probe.result = { ...PYTHON_311, version: [3, 15, 0], hasContextLs: false };
    (vscode.window.showWarningMessage as any).mockResolvedValue('Install from PyPI');
    probe.run = async (_command, args) => {
      if (args.includes('pip')) throw new Error('No matching distribution found for context-ls==0.1.0');
      return '';
    };
    await ext.activate(context);
    await vi.waitFor(() => expect(vscode.window.showErrorMessage).toHaveBeenCalled());
    expect((vscode.window.showErrorMessage as any).mock.calls[0][0]).toContain(
      'installing context-ls 0.1.0 from PyPI failed: No matching distribution found',
    );
    expect(server.started).toHaveLength(0);
    // No marker: the half-made environment is not used, and the next start asks again.
    const dir = probe.runs[0].args.at(-1)!;
    expect(existsSync(path.join(dir, 'context-ls-env.json'))).toBe(false);
    await vscode.commands.executeCommand('context-ls.restartServer');
    await vi.waitFor(() => expect(prompts()).toHaveLength(2));
    expect(server.started).toHaveLength(0);
  });

  it('"Choose Interpreter…" opens the interpreter setting', async () => {
    probe.result = { ...PYTHON_311, freeThreaded: true, hasContextLs: false };
    (vscode.window.showWarningMessage as any).mockResolvedValue('Choose Interpreter…');
    await ext.activate(context);
    await vi.waitFor(() =>
      expect(mock.executed).toContainEqual({ id: 'workbench.action.openSettings', args: ['contextLs.server.pythonPath'] }),
    );
    expect(prompts()[0][0]).toContain('free-threaded');
    expect(server.started).toHaveLength(0);
  });
});

describe('commands', () => {
  beforeEach(async () => {
    await ext.activate(context);
  });

  it('Normalize History sends contextLs.normalize with the document uri', async () => {
    const doc = openHistory();
    await vscode.commands.executeCommand('context-ls.normalizeHistory');
    expect(server.requests).toContainEqual({
      method: 'workspace/executeCommand',
      params: { command: 'contextLs.normalize', arguments: [doc.uri.toString()] },
    });
  });

  it('Normalize History from the Explorer uses the clicked file', async () => {
    const uri = Uri.file('/w/other.jsonl');
    await vscode.commands.executeCommand('context-ls.normalizeHistory', uri);
    expect(server.requests.at(-1)?.params).toEqual({ command: 'contextLs.normalize', arguments: [uri.toString()] });
  });

  it('Create Snapshot sends contextLs.createSnapshot', async () => {
    const doc = openHistory();
    await vscode.commands.executeCommand('context-ls.createSnapshot');
    expect(server.requests.at(-1)?.params).toEqual({ command: 'contextLs.createSnapshot', arguments: [doc.uri.toString()] });
  });

  it('Restore Snapshot… lists snapshots newest first and restores the one picked', async () => {
    const doc = openHistory();
    server.replies['contextLs.listSnapshots'] = [
      { id: 'a', timestamp: '2026-11-20T00:00:00Z', reason: 'before trim', bytes: 10 },
      { id: 'b', timestamp: '2026-11-21T00:00:00Z', reason: 'before normalize', bytes: 12 },
    ];
    (vscode.window.showQuickPick as any).mockImplementation(async (items: any[]) => items[0]);
    await vscode.commands.executeCommand('context-ls.restoreSnapshot');
    const items = (vscode.window.showQuickPick as any).mock.calls[0][0];
    expect(items.map((i: any) => i.id)).toEqual(['b', 'a']);
    expect(items[0].description).toBe('before normalize');
    expect(server.requests.at(-1)?.params).toEqual({
      command: 'contextLs.restoreSnapshot',
      arguments: [doc.uri.toString(), 'b'],
    });
  });

  it('Restore Snapshot… says so when there is none', async () => {
    openHistory();
    server.replies['contextLs.listSnapshots'] = [];
    await vscode.commands.executeCommand('context-ls.restoreSnapshot');
    expect(vscode.window.showQuickPick).not.toHaveBeenCalled();
    expect((vscode.window.showInformationMessage as any).mock.calls.at(-1)[0]).toMatch(/no snapshots/);
  });

  it('Trim History… asks how many records to keep (default from settings)', async () => {
    const doc = openHistory();
    mock.config['contextLs.trimKeep'] = 120;
    (vscode.window.showInputBox as any).mockImplementation(async (o: any) => {
      expect(o.value).toBe('120');
      expect(o.validateInput('x')).toMatch(/whole number/);
      return '80';
    });
    await vscode.commands.executeCommand('context-ls.trimHistory');
    expect(server.requests.at(-1)?.params).toEqual({ command: 'contextLs.trim', arguments: [doc.uri.toString(), 80] });
  });

  it('Trim History… does nothing when cancelled', async () => {
    openHistory();
    await vscode.commands.executeCommand('context-ls.trimHistory');
    expect(server.requests.filter((r) => r.params.command === 'contextLs.trim')).toHaveLength(0);
  });

  it('Show Context opens the three contexts as a read-only JSON document', async () => {
    openHistory();
    server.replies['contextLs.showContext'] = { workspace: { a: 1 }, user: {}, tool: {} };
    await vscode.commands.executeCommand('context-ls.showContext');
    const opened = (vscode.workspace.openTextDocument as any).mock.calls.at(-1)[0];
    expect(opened.scheme).toBe('context-ls');
    const text = mock.contentProviders.get('context-ls')!.provideTextDocumentContent(opened);
    expect(JSON.parse(text)).toEqual({ workspace: { a: 1 }, user: {}, tool: {} });
    expect(vscode.languages.setTextDocumentLanguage).toHaveBeenCalledWith(expect.anything(), 'json');
  });

  it('Show Timeline opens the server HTML in a webview beside the editor', async () => {
    const doc = openHistory();
    server.replies['contextLs.showTimeline'] = '<html><head></head><body><h1>Timeline</h1></body></html>';
    await vscode.commands.executeCommand('context-ls.showTimeline');
    expect(server.requests.at(-1)?.params).toEqual({ command: 'contextLs.showTimeline', arguments: [doc.uri.toString()] });
    expect(mock.panels).toHaveLength(1);
    const [viewType, title, column, options] = (vscode.window.createWebviewPanel as any).mock.calls[0];
    expect(viewType).toBe('contextLs.timeline');
    expect(title).toBe('Timeline: rollout.jsonl');
    expect(column.viewColumn).toBe(vscode.ViewColumn.Beside);
    expect(options.enableScripts).toBe(true);
    expect(mock.panels[0].webview.html).toContain('<h1>Timeline</h1>');
    expect(mock.panels[0].webview.html).toContain('Content-Security-Policy');
    // A second call reuses the panel.
    await vscode.commands.executeCommand('context-ls.showTimeline');
    expect(mock.panels).toHaveLength(1);
  });

  it('Show Timeline accepts the uri as text (from the code lens)', async () => {
    server.replies['contextLs.showTimeline'] = '<html><head></head><body>t</body></html>';
    await vscode.commands.executeCommand('context-ls.showTimeline', 'file:///w/lens.jsonl');
    expect(server.requests.at(-1)?.params).toEqual({ command: 'contextLs.showTimeline', arguments: ['file:///w/lens.jsonl'] });
  });

  it('rewrites the server timeline code lens to the webview command', async () => {
    const { clientOptions } = server.started.at(-1)!;
    const lens = { command: { title: 'open timeline', command: 'contextLs.showTimeline', arguments: ['u'] } };
    const lenses = await clientOptions.middleware.provideCodeLenses({}, {}, async () => [lens]);
    expect(lenses[0].command.command).toBe('context-ls.showTimeline');
  });

  it('reports a server error instead of throwing', async () => {
    openHistory();
    server.replies['contextLs.showTimeline'] = null;
    await vscode.commands.executeCommand('context-ls.showTimeline');
    expect((vscode.window.showErrorMessage as any).mock.calls.at(-1)[0]).toMatch(/Show Timeline failed/);
  });

  it('Show History Problems opens the Problems panel', async () => {
    await vscode.commands.executeCommand('context-ls.openProblems');
    expect(mock.executed.map((e) => e.id)).toContain('workbench.actions.view.problems');
  });
});

describe('status bar and active editor', () => {
  beforeEach(async () => {
    await ext.activate(context);
  });

  it('shows the state of the active history and follows its diagnostics', () => {
    const doc = openHistory();
    const item = mock.statusItems[0];
    expect(item.visible).toBe(true);
    expect(item.text).toBe('✓ history ok');
    expect(item.command).toBe('context-ls.openProblems');
    mock.diagnostics.set(doc.uri.toString(), [
      { source: 'context-ls', code: 'H001', message: 'no output' },
      { source: 'context-ls', code: 'H002', message: 'orphan' },
      { source: 'context-ls', code: 'H005', message: 'before' },
    ]);
    mock.diagnosticsEmitter.fire({ uris: [doc.uri] });
    expect(item.text).toBe('⚠ 3 pairing problems');
  });

  it('hides on a file that is not a history', () => {
    const doc = fakeDocument('/w/package.json', 'json', '{"name": "x"}');
    (vscode.window as any).activeTextEditor = { document: doc };
    mock.activeEditorEmitter.fire({ document: doc });
    expect(mock.statusItems[0].visible).toBe(false);
  });

  it('sends contextLs/didChangeActiveEditor when the focused editor changes', async () => {
    const doc = openHistory();
    await flush();
    expect(server.notifications.at(-1)).toEqual({
      method: 'contextLs/didChangeActiveEditor',
      params: { uri: doc.uri.toString() },
    });
  });

  it('restarts the server', async () => {
    const before = server.started.length;
    await vscode.commands.executeCommand('context-ls.restartServer');
    expect(server.stopped).toBeGreaterThan(0);
    expect(server.started.length).toBe(before + 1);
  });
});
