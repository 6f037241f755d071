/* A small fake of the `vscode` module: enough of the API for the extension's activation and
 * commands, with every call recorded on `mock` for the tests to drive and inspect. */
import { vi } from 'vitest';

type Listener<T> = (e: T) => unknown;

export class EventEmitter<T> {
  private listeners: Listener<T>[] = [];
  event = (listener: Listener<T>) => {
    this.listeners.push(listener);
    return { dispose: () => (this.listeners = this.listeners.filter((l) => l !== listener)) };
  };
  fire(e: T): void {
    for (const l of [...this.listeners]) l(e);
  }
  dispose(): void {
    this.listeners = [];
  }
}

export class Uri {
  private constructor(
    readonly scheme: string,
    readonly path: string,
  ) {}
  static file(p: string): Uri {
    return new Uri('file', p);
  }
  static parse(s: string): Uri {
    const m = /^([a-z-]+):(?:\/\/)?(.*)$/.exec(s);
    return m ? new Uri(m[1], m[2].startsWith('/') ? m[2] : `/${m[2]}`) : new Uri('file', s);
  }
  static from(c: { scheme: string; path: string }): Uri {
    return new Uri(c.scheme, c.path);
  }
  get fsPath(): string {
    return this.path;
  }
  toString(): string {
    return `${this.scheme}://${this.path}`;
  }
}

export class Range {
  constructor(
    readonly startLine: number,
    readonly startCharacter: number,
    readonly endLine: number,
    readonly endCharacter: number,
  ) {}
}

export class ThemeColor {
  constructor(readonly id: string) {}
}

export class ThemeIcon {
  constructor(
    readonly id: string,
    readonly color?: ThemeColor,
  ) {}
}

export class MarkdownString {
  constructor(readonly value: string) {}
}

export enum TreeItemCollapsibleState {
  None = 0,
  Collapsed = 1,
  Expanded = 2,
}

export class TreeItem {
  id?: string;
  description?: string;
  tooltip?: unknown;
  iconPath?: unknown;
  contextValue?: string;
  resourceUri?: Uri;
  command?: { command: string; title: string; arguments?: unknown[] };
  accessibilityInformation?: { label: string };
  constructor(
    readonly label: string,
    readonly collapsibleState?: TreeItemCollapsibleState,
  ) {}
}

export class RelativePattern {
  constructor(
    readonly base: Uri,
    readonly pattern: string,
  ) {}
}

/** A file system watcher whose events a test fires (`mock.watchers`). */
export interface FakeWatcher {
  pattern: RelativePattern;
  created: EventEmitter<Uri>;
  changed: EventEmitter<Uri>;
  deleted: EventEmitter<Uri>;
  disposed: boolean;
}

/** A tree view: the provider the extension gave, and what it set. */
export interface FakeTreeView {
  id: string;
  provider: {
    getChildren(node?: unknown): unknown[];
    getTreeItem(node: unknown): TreeItem;
    onDidChangeTreeData?: (l: Listener<unknown>) => unknown;
  };
  message: string | undefined;
  visible: boolean;
  visibility: EventEmitter<{ visible: boolean }>;
}

export enum StatusBarAlignment {
  Left = 1,
  Right = 2,
}

export enum ViewColumn {
  Active = -1,
  Beside = -2,
  One = 1,
}

export enum ProgressLocation {
  SourceControl = 1,
  Window = 10,
  Notification = 15,
}

export enum DiagnosticSeverity {
  Error = 0,
  Warning = 1,
  Information = 2,
  Hint = 3,
}

export interface FakeDocument {
  uri: Uri;
  languageId: string;
  text: string;
  lineCount: number;
  getText: (range?: Range) => string;
}

export function fakeDocument(path: string, languageId: string, text: string): FakeDocument {
  return {
    uri: Uri.file(path),
    languageId,
    text,
    lineCount: text.split('\n').length,
    getText: () => text,
  };
}

function makeStatusItem() {
  return {
    text: '',
    tooltip: '' as unknown,
    name: '',
    command: '' as unknown,
    backgroundColor: undefined as unknown,
    visible: false,
    show() {
      this.visible = true;
    },
    hide() {
      this.visible = false;
    },
    dispose() {},
  };
}

export const mock = {
  commands: new Map<string, (...args: unknown[]) => unknown>(),
  executed: [] as { id: string; args: unknown[] }[],
  config: {} as Record<string, unknown>,
  diagnostics: new Map<string, unknown[]>(),
  activeEditorEmitter: new EventEmitter<unknown>(),
  diagnosticsEmitter: new EventEmitter<{ uris: Uri[] }>(),
  configEmitter: new EventEmitter<{ affectsConfiguration: (s: string) => boolean }>(),
  statusItems: [] as ReturnType<typeof makeStatusItem>[],
  panels: [] as { title: string; webview: { html: string; cspSource: string }; options: unknown }[],
  contentProviders: new Map<string, { provideTextDocumentContent: (u: Uri) => string }>(),
  extensions: new Map<string, unknown>(),
  treeViews: [] as FakeTreeView[],
  watchers: [] as FakeWatcher[],
  foldersEmitter: new EventEmitter<unknown>(),
  clipboard: '',
  reset(): void {
    this.treeViews = [];
    this.watchers = [];
    this.foldersEmitter = new EventEmitter();
    this.clipboard = '';
    this.commands.clear();
    this.executed = [];
    this.config = {};
    this.diagnostics.clear();
    this.statusItems = [];
    this.panels = [];
    this.contentProviders.clear();
    this.extensions.clear();
    this.activeEditorEmitter = new EventEmitter();
    this.diagnosticsEmitter = new EventEmitter();
    this.configEmitter = new EventEmitter();
    window.activeTextEditor = undefined;
    workspace.textDocuments = [];
    workspace.workspaceFolders = undefined;
    for (const fn of Object.values(window)) if (vi.isMockFunction(fn)) fn.mockClear();
    window.showErrorMessage.mockReset().mockResolvedValue(undefined);
    window.showInformationMessage.mockReset().mockResolvedValue(undefined);
    window.showWarningMessage.mockReset().mockResolvedValue(undefined);
    window.showQuickPick.mockReset().mockResolvedValue(undefined);
    window.showInputBox.mockReset().mockResolvedValue(undefined);
  },
};

const disposable = { dispose() {} };

export const window = {
  activeTextEditor: undefined as { document: FakeDocument } | undefined,
  createOutputChannel: vi.fn(() => ({
    info: vi.fn(),
    warn: vi.fn(),
    error: vi.fn(),
    appendLine: vi.fn(),
    append: vi.fn(),
    trace: vi.fn(),
    debug: vi.fn(),
    show: vi.fn(),
    clear: vi.fn(),
    dispose: vi.fn(),
    replace: vi.fn(),
    hide: vi.fn(),
    name: 'Context LS',
  })),
  createStatusBarItem: vi.fn(() => {
    const item = makeStatusItem();
    mock.statusItems.push(item);
    return item;
  }),
  showErrorMessage: vi.fn(),
  showInformationMessage: vi.fn(),
  showWarningMessage: vi.fn(),
  showQuickPick: vi.fn(),
  showInputBox: vi.fn(),
  withProgress: vi.fn(async (_options: unknown, task: (p: { report: (v: unknown) => void }) => Promise<unknown>) =>
    task({ report: () => undefined }),
  ),
  showTextDocument: vi.fn(async () => ({})),
  onDidChangeActiveTextEditor: (l: Listener<unknown>) => mock.activeEditorEmitter.event(l),
  createTreeView: vi.fn((id: string, options: { treeDataProvider: FakeTreeView['provider'] }) => {
    const view: FakeTreeView & { onDidChangeVisibility: unknown; dispose(): void } = {
      id,
      provider: options.treeDataProvider,
      message: undefined,
      visible: true,
      visibility: new EventEmitter(),
      onDidChangeVisibility: (l: Listener<{ visible: boolean }>) => view.visibility.event(l),
      dispose() {},
    };
    mock.treeViews.push(view);
    return view;
  }),
  createWebviewPanel: vi.fn((_viewType: string, title: string, _column: unknown, options: unknown) => {
    const panel = {
      title,
      options,
      webview: {
        html: '',
        cspSource: 'vscode-webview://fake',
        onDidReceiveMessage: vi.fn(() => disposable),
      },
      onDidDispose: vi.fn(() => disposable),
      reveal: vi.fn(),
      dispose: vi.fn(),
    };
    mock.panels.push(panel);
    return panel;
  }),
};

export const workspace = {
  workspaceFolders: undefined as { uri: Uri }[] | undefined,
  textDocuments: [] as FakeDocument[],
  getConfiguration: vi.fn((section?: string) => ({
    get: <T>(key: string, fallback?: T): T | undefined => {
      const full = section ? `${section}.${key}` : key;
      return (full in mock.config ? mock.config[full] : fallback) as T | undefined;
    },
  })),
  openTextDocument: vi.fn(async (uri: Uri) => {
    const doc = workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    return doc ?? fakeDocument(uri.path, 'json', '{}');
  }),
  registerTextDocumentContentProvider: vi.fn(
    (scheme: string, provider: { provideTextDocumentContent: (u: Uri) => string }) => {
      mock.contentProviders.set(scheme, provider);
      return disposable;
    },
  ),
  onDidChangeConfiguration: (l: Listener<{ affectsConfiguration: (s: string) => boolean }>) =>
    mock.configEmitter.event(l),
  onDidChangeWorkspaceFolders: (l: Listener<unknown>) => mock.foldersEmitter.event(l),
  createFileSystemWatcher: vi.fn((pattern: RelativePattern) => {
    const watcher: FakeWatcher = {
      pattern,
      created: new EventEmitter(),
      changed: new EventEmitter(),
      deleted: new EventEmitter(),
      disposed: false,
    };
    mock.watchers.push(watcher);
    return {
      onDidCreate: (l: Listener<Uri>) => watcher.created.event(l),
      onDidChange: (l: Listener<Uri>) => watcher.changed.event(l),
      onDidDelete: (l: Listener<Uri>) => watcher.deleted.event(l),
      dispose: () => {
        watcher.disposed = true;
      },
    };
  }),
};

export const languages = {
  getDiagnostics: vi.fn((uri: Uri) => mock.diagnostics.get(uri.toString()) ?? []),
  onDidChangeDiagnostics: (l: Listener<{ uris: Uri[] }>) => mock.diagnosticsEmitter.event(l),
  setTextDocumentLanguage: vi.fn(async (doc: unknown) => doc),
};

export const commands = {
  registerCommand: vi.fn((id: string, fn: (...args: unknown[]) => unknown) => {
    if (mock.commands.has(id)) throw new Error(`command '${id}' already exists`);
    mock.commands.set(id, fn);
    return { dispose: () => mock.commands.delete(id) };
  }),
  executeCommand: vi.fn(async (id: string, ...args: unknown[]) => {
    mock.executed.push({ id, args });
    const fn = mock.commands.get(id);
    return fn ? fn(...args) : undefined;
  }),
};

export const extensions = {
  getExtension: vi.fn((id: string) => mock.extensions.get(id)),
};

export const env = {
  openExternal: vi.fn(async () => true),
  clipboard: {
    writeText: vi.fn(async (text: string) => {
      mock.clipboard = text;
    }),
  },
};
