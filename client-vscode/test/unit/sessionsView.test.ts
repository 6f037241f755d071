import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as vscode from 'vscode';
import type { ToolResult } from '../../src/logic/probe';
import { EventEmitter, fakeDocument, mock, TreeItem, Uri } from '../mocks/vscode';

const tool: { runs: { command: string; args: string[]; options: any }[]; result: ToolResult } = vi.hoisted(() => ({
  runs: [],
  result: { code: 0, stdout: '', stderr: '' },
}));
vi.mock('../../src/logic/probe', () => ({
  runTool: async (command: string, args: string[], options: any) => {
    tool.runs.push({ command, args, options });
    return tool.result;
  },
}));

const { registerSessionsView } = await import('../../src/sessionsView');

const BROKEN = {
  path: '/h/.codex/sessions/2026/01/02/rollout-2026-01-02T03-04-05-0199a1b2.jsonl',
  agent: 'codex',
  session_id: '0199a1b2-0000-7000-8000-000000000001',
  modified: '2026-01-02T03:04:05+00:00',
  records: 4,
  findings: { H001: 1 },
  live: false,
  resume: 'codex resume 0199a1b2-0000-7000-8000-000000000001',
};
const LIVE = {
  path: '/h/.claude/projects/-w/5f2b8c1e.jsonl',
  agent: 'claude-code',
  session_id: '5f2b8c1e-0000-4000-8000-000000000001',
  modified: '2026-01-03T10:00:00+00:00',
  records: 2,
  findings: {},
  live: true,
  resume: null,
};
const SEARCHED = ['/h/.codex/sessions', '/h/.claude/projects', '/h/.gemini/tmp'];

let answer: unknown;
let requests: { method: string; params: any }[];
let logs: string[];
let started: EventEmitter<void>;
const context = { subscriptions: [] as { dispose(): unknown }[] } as any;
const launch = { command: '/usr/bin/python3', args: ['-m', 'context_ls', 'serve'], env: { PYTHONPATH: '/ext/libs' } };

function start() {
  registerSessionsView(context, {
    request: async (method, params) => {
      requests.push({ method, params });
      if (answer instanceof Error) throw answer;
      return answer;
    },
    launch: () => launch,
    log: (m) => logs.push(m),
    onServerStarted: (l) => started.event(l),
  });
  return mock.treeViews[0];
}

const settle = async () => {
  for (let i = 0; i < 5; i++) await vi.advanceTimersByTimeAsync(0);
};

/** The tree as text: "Codex (1 session, 1 with problems)" then its sessions, indented. */
function shown(view: ReturnType<typeof start>): string[] {
  const lines: string[] = [];
  for (const group of view.provider.getChildren()) {
    const g = view.provider.getTreeItem(group);
    lines.push(`${g.label} (${g.description})`);
    for (const s of view.provider.getChildren(group)) {
      const item = view.provider.getTreeItem(s);
      lines.push(`  ${(item.iconPath as vscode.ThemeIcon).id} ${item.description} [${item.contextValue}]`);
    }
  }
  return lines;
}

function sessionItems(view: ReturnType<typeof start>): TreeItem[] {
  return view.provider.getChildren().flatMap((g) => view.provider.getChildren(g).map((s) => view.provider.getTreeItem(s)));
}

async function run(command: string, item: TreeItem) {
  await vscode.commands.executeCommand(command, ...(item.command?.arguments ?? []));
}

beforeEach(() => {
  vi.useFakeTimers();
  for (const d of context.subscriptions.splice(0)) d.dispose();
  mock.reset();
  vi.mocked(vscode.commands.executeCommand).mockClear();
  (vscode.workspace as any).workspaceFolders = [{ uri: Uri.file('/w') }];
  answer = { sessions: [BROKEN, LIVE], searched: SEARCHED, problems: ['/h/x.jsonl: not a Codex session'] };
  requests = [];
  logs = [];
  started = new EventEmitter();
  tool.runs = [];
  tool.result = { code: 0, stdout: '', stderr: '' };
});

afterEach(() => {
  vi.useRealTimers();
});

describe('the Agent Sessions view', () => {
  it("lists the workspace's sessions by agent with their problem counts", async () => {
    const view = start();
    await settle();
    expect(requests).toEqual([{ method: 'contextLs/sessions', params: { folders: ['/w'] } }]);
    expect(shown(view)).toEqual([
      'Codex (1 session, 1 with problems)',
      '  warning 1 problem: H001 ×1 [session problems analysed resumable]',
      'Claude Code (1 session)',
      '  pass live · no problems [session clean analysed live]',
    ]);
    const [broken] = sessionItems(view);
    expect(broken.resourceUri?.fsPath).toBe(BROKEN.path);
    expect(broken.command?.command).toBe('context-ls.sessions.open');
    expect(view.message).toBeUndefined();
    expect(logs).toContain('Agent Sessions: /h/x.jsonl: not a Codex session');
    await vscode.commands.executeCommand('context-ls.sessions.refresh');
    expect(logs.filter((l) => l.includes('/h/x.jsonl'))).toHaveLength(1); // once, not per listing
  });

  it('watches the folders the server looked in, and lists again after a burst of changes', async () => {
    start();
    await settle();
    expect(mock.watchers.map((w) => [w.pattern.base.fsPath, w.pattern.pattern])).toEqual(
      SEARCHED.map((root) => [root, '**/*.{jsonl,json,zst}']),
    );
    answer = { sessions: [LIVE], searched: SEARCHED.slice(1), problems: [] };
    mock.watchers[0].changed.fire(Uri.file(BROKEN.path));
    mock.watchers[1].created.fire(Uri.file(LIVE.path));
    await vi.advanceTimersByTimeAsync(500);
    expect(requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(500);
    await settle();
    expect(requests).toHaveLength(2);
    expect(mock.watchers[0].disposed).toBe(true); // no longer searched
    expect(mock.watchers.filter((w) => !w.disposed)).toHaveLength(2);
  });

  it('lists again when the server starts and when folders change; not while hidden', async () => {
    const view = start();
    await settle();
    view.visibility.fire({ visible: false });
    started.fire();
    mock.foldersEmitter.fire({});
    await vi.advanceTimersByTimeAsync(3000);
    expect(requests).toHaveLength(1);
    view.visibility.fire({ visible: true });
    await settle();
    expect(requests).toHaveLength(2);
  });

  it('says why it is empty', async () => {
    (vscode.workspace as any).workspaceFolders = undefined;
    const view = start();
    await settle();
    expect(requests).toEqual([]);
    expect(view.message).toMatch(/Open a folder/);

    for (const d of context.subscriptions.splice(0)) d.dispose();
    mock.reset();
    (vscode.workspace as any).workspaceFolders = [{ uri: Uri.file('/w') }];
    answer = { sessions: [], searched: SEARCHED, problems: [] };
    const empty = start();
    await settle();
    expect(empty.message).toBe(`No Codex, Claude Code or Gemini CLI sessions of this workspace in ${SEARCHED.join(', ')}.`);

    for (const d of context.subscriptions.splice(0)) d.dispose();
    mock.reset();
    (vscode.workspace as any).workspaceFolders = [{ uri: Uri.file('/w') }];
    answer = new Error('Unhandled method contextLs/sessions');
    const failed = start();
    await settle();
    expect(failed.message).toBe('Could not list the sessions: Unhandled method contextLs/sessions');
  });
});

describe('its actions', () => {
  it('fix runs `context-ls fix` as the server runs, shows what it did, and lists again', async () => {
    const view = start();
    await settle();
    tool.result = { code: 0, stdout: `${BROKEN.path}: 1 problem (H001 ×1)\nChecked again: no problems left.\n`, stderr: '' };
    await run('context-ls.sessions.fix', sessionItems(view)[0]);
    expect(tool.runs).toEqual([
      {
        command: '/usr/bin/python3',
        args: ['-m', 'context_ls', 'fix', BROKEN.path],
        options: { env: { PYTHONPATH: '/ext/libs' }, cwd: '/w', timeoutMs: 300000 },
      },
    ]);
    expect(vscode.window.showInformationMessage).toHaveBeenCalledWith(
      'Context LS: rollout-2026-01-02T03-04-05-0199a1b2.jsonl: 1 problem (H001 ×1) Checked again: no problems left.',
    );
    expect(requests).toHaveLength(2);
  });

  it('fix shows the refusal while an agent writes the file', async () => {
    const view = start();
    await settle();
    tool.result = {
      code: 2,
      stdout: '',
      stderr: `context-ls: error: ${LIVE.path}: claude (pid 9) has it open for appending; replacing the file now would lose every line written after the repair. Stop claude (pid 9) first, or pass --force to write anyway. Nothing was written.\n`,
    };
    await run('context-ls.sessions.fix', sessionItems(view)[1]);
    const [message] = vi.mocked(vscode.window.showWarningMessage).mock.calls[0] as unknown as [string];
    expect(message).toMatch(/^Context LS: Not fixed: 5f2b8c1e\.jsonl: claude \(pid 9\) has it open for appending; .*Nothing was written\.$/);
    expect(vscode.window.showInformationMessage).not.toHaveBeenCalled();
  });

  it('fix leaves a file with unsaved edits in the editor alone', async () => {
    const view = start();
    await settle();
    const doc = { ...fakeDocument(BROKEN.path, 'jsonl', '{}'), isDirty: true };
    (vscode.workspace as any).textDocuments.push(doc);
    await run('context-ls.sessions.fix', sessionItems(view)[0]);
    expect(tool.runs).toEqual([]);
    expect(vscode.window.showWarningMessage).toHaveBeenCalledWith(expect.stringMatching(/unsaved changes/));
  });

  it('open, show timeline and copy the resume command', async () => {
    const view = start();
    await settle();
    const [broken, live] = sessionItems(view);
    await run('context-ls.sessions.open', broken);
    await run('context-ls.sessions.timeline', broken);
    const executed = mock.executed.filter((e) => !e.id.startsWith('context-ls.sessions.'));
    expect(executed.map((e) => [e.id, (e.args[0] as Uri).fsPath])).toEqual([
      ['vscode.open', BROKEN.path],
      ['context-ls.showTimeline', BROKEN.path],
    ]);
    await run('context-ls.sessions.copyResume', broken);
    expect(mock.clipboard).toBe(BROKEN.resume);
    expect(vscode.window.showInformationMessage).toHaveBeenCalledWith(`Context LS: copied \`${BROKEN.resume}\``);
    await run('context-ls.sessions.copyResume', live);
    expect(mock.clipboard).toBe(BROKEN.resume);
    expect(vscode.window.showWarningMessage).toHaveBeenCalledWith(expect.stringMatching(/no resume command/));
  });

  it('the refresh button lists at once', async () => {
    start();
    await settle();
    await vscode.commands.executeCommand('context-ls.sessions.refresh');
    expect(requests).toHaveLength(2);
  });
});
