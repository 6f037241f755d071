/**
 * The "Agent Sessions" view (Explorer): this workspace's Codex, Claude Code and Gemini CLI
 * sessions from the server (`contextLs/sessions`), with their problem counts, and four actions:
 * open, fix (`context-ls fix`, which refuses while an agent writes the file), show timeline,
 * copy the resume command. It lists again as the agents' session folders change. The
 * decisions are in logic/sessions.ts and logic/refresh.ts; this file does the I/O.
 */
import * as vscode from 'vscode';
import { runTool } from './logic/probe';
import { Refresher } from './logic/refresh';
import {
  emptyMessage,
  fixLaunch,
  fixOutcome,
  groupByAgent,
  parseListing,
  sessionItem,
  SESSIONS_REQUEST,
  VIEW_ID,
  WATCH_GLOB,
  type AgentGroup,
  type Listing,
  type SessionRow,
  type ToolLaunch,
} from './logic/sessions';

const FIX_TIMEOUT_MS = 5 * 60 * 1000;

export interface SessionsHost {
  /** A request to the language server (started when needed). */
  request(method: string, params: unknown): Promise<unknown>;
  /** How the server was started: `context-ls fix` runs the same way. */
  launch(): ToolLaunch | undefined;
  log(message: string): void;
  /** Fires when the server (re)starts. */
  readonly onServerStarted: vscode.Event<void>;
}

type Node = AgentGroup | SessionRow;

function isSession(node: Node): node is SessionRow {
  return 'path' in node;
}

const ICON_COLORS: Record<string, string | undefined> = { warning: 'list.warningForeground' };

class SessionsTree implements vscode.TreeDataProvider<Node> {
  listing: Listing | undefined;
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  show(listing: Listing | undefined): void {
    this.listing = listing;
    this.changed.fire(undefined);
  }

  getChildren(node?: Node): Node[] {
    if (!node) return this.listing ? groupByAgent(this.listing) : [];
    return isSession(node) ? [] : node.sessions;
  }

  getTreeItem(node: Node): vscode.TreeItem {
    if (!isSession(node)) {
      const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.Expanded);
      item.id = `agent:${node.agent}`;
      item.description = node.description;
      item.contextValue = 'agent';
      return item;
    }
    const model = sessionItem(node);
    const item = new vscode.TreeItem(model.label, vscode.TreeItemCollapsibleState.None);
    item.id = `session:${node.path}`;
    item.description = model.description;
    item.tooltip = new vscode.MarkdownString(model.tooltip);
    const color = ICON_COLORS[model.icon];
    item.iconPath = new vscode.ThemeIcon(model.icon, color ? new vscode.ThemeColor(color) : undefined);
    item.contextValue = model.contextValue;
    item.resourceUri = vscode.Uri.file(node.path);
    item.accessibilityInformation = { label: model.ariaLabel };
    item.command = { command: 'context-ls.sessions.open', title: 'Open Session', arguments: [node] };
    return item;
  }
}

function folders(): string[] {
  return (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
}

/** The session an action was run on: the tree passes its row. */
function rowOf(arg: unknown): SessionRow | undefined {
  return arg && typeof arg === 'object' && 'path' in arg && typeof arg.path === 'string' ? (arg as SessionRow) : undefined;
}

function notify(level: 'info' | 'warning' | 'error', message: string): void {
  if (level === 'info') void vscode.window.showInformationMessage(message);
  else if (level === 'warning') void vscode.window.showWarningMessage(message);
  else void vscode.window.showErrorMessage(message);
}

export function registerSessionsView(context: vscode.ExtensionContext, host: SessionsHost): void {
  const tree = new SessionsTree();
  const view = vscode.window.createTreeView(VIEW_ID, { treeDataProvider: tree });
  const watchers = new Map<string, vscode.Disposable>();
  const logged = new Set<string>(); // problem lines already in the log (it lists every few seconds)

  const watch = (roots: string[]): void => {
    for (const [root, watcher] of watchers) {
      if (!roots.includes(root)) {
        watcher.dispose();
        watchers.delete(root);
      }
    }
    for (const root of roots) {
      if (watchers.has(root)) continue;
      // Outside the workspace: watched recursively (the glob has **), from when it exists.
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(root), WATCH_GLOB));
      const poke = () => refresher.poke();
      watcher.onDidCreate(poke);
      watcher.onDidChange(poke);
      watcher.onDidDelete(poke);
      watchers.set(root, watcher);
    }
  };

  const list = async (): Promise<{ live: boolean }> => {
    const open = folders();
    if (open.length === 0) {
      tree.show(undefined);
      view.message = emptyMessage(undefined, 0);
      return { live: false };
    }
    try {
      const listing = await vscode.window.withProgress({ location: { viewId: VIEW_ID } }, async () =>
        parseListing(await host.request(SESSIONS_REQUEST, { folders: open })),
      );
      for (const problem of listing.problems.filter((p) => !logged.has(p))) {
        logged.add(problem);
        host.log(`Agent Sessions: ${problem}`);
      }
      tree.show(listing);
      view.message = emptyMessage(listing, open.length);
      watch(listing.searched);
      return { live: listing.sessions.some((r) => r.live) };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      host.log(`Agent Sessions: listing failed: ${message}`);
      view.message = `Could not list the sessions: ${message}`;
      return { live: false };
    }
  };
  const refresher = new Refresher(list);

  const fix = async (row: SessionRow): Promise<void> => {
    const server = host.launch();
    if (!server) {
      void vscode.window.showErrorMessage('Context LS: the server is not running, so context-ls fix cannot run (see "Context LS: Show Server Log").');
      return;
    }
    const dirty = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === row.path && d.isDirty);
    if (dirty) {
      void vscode.window.showWarningMessage(`Context LS: ${row.path} has unsaved changes in the editor; save or revert them first.`);
      return;
    }
    const run = fixLaunch(server, row.path);
    host.log(`$ ${run.command} ${run.args.join(' ')}`);
    const result = await vscode.window.withProgress({ location: { viewId: VIEW_ID }, title: 'Fixing' }, () =>
      runTool(run.command, run.args, { env: run.env, cwd: folders()[0], timeoutMs: FIX_TIMEOUT_MS }),
    );
    host.log(`${result.stdout}${result.stderr}`.trim() + `\n(exit ${result.code})`);
    const outcome = fixOutcome(row.path, result.code, result.stdout, result.stderr);
    notify(outcome.level, `Context LS: ${outcome.message}`);
    await refresher.now();
  };

  const register = (id: string, fn: (row: SessionRow) => unknown): void => {
    context.subscriptions.push(
      vscode.commands.registerCommand(id, async (arg: unknown) => {
        const row = rowOf(arg);
        if (!row) return;
        try {
          await fn(row);
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          host.log(`${id} failed: ${message}`);
          void vscode.window.showErrorMessage(`Context LS: ${message}`);
        }
      }),
    );
  };
  register('context-ls.sessions.open', async (row) => {
    await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(row.path));
  });
  register('context-ls.sessions.fix', fix);
  register('context-ls.sessions.timeline', async (row) => {
    await vscode.commands.executeCommand('context-ls.showTimeline', vscode.Uri.file(row.path));
  });
  register('context-ls.sessions.copyResume', async (row) => {
    if (!row.resume) {
      void vscode.window.showWarningMessage('Context LS: this session has no id, so it has no resume command.');
      return;
    }
    await vscode.env.clipboard.writeText(row.resume);
    void vscode.window.showInformationMessage(`Context LS: copied \`${row.resume}\``);
  });

  context.subscriptions.push(
    view,
    vscode.commands.registerCommand('context-ls.sessions.refresh', () => refresher.now()),
    view.onDidChangeVisibility((e) => refresher.setVisible(e.visible)),
    vscode.workspace.onDidChangeWorkspaceFolders(() => refresher.poke()),
    host.onServerStarted(() => refresher.poke()),
    {
      dispose: () => {
        for (const watcher of watchers.values()) watcher.dispose();
      },
    },
    refresher,
  );
  refresher.setVisible(view.visible);
}
