import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  countsText,
  emptyMessage,
  fixLaunch,
  fixOutcome,
  groupByAgent,
  localTime,
  parseListing,
  problemsText,
  sessionItem,
  shortTime,
  type SessionRow,
} from '../../src/logic/sessions';

process.env.TZ = 'UTC';

// Rows as `context-ls sessions --format json` prints them (and contextLs/sessions answers).
const CODEX_BROKEN = {
  path: '/h/.codex/sessions/2026/01/02/rollout-2026-01-02T03-04-05-0199a1b2-0000-7000-8000-000000000001.jsonl',
  agent: 'codex',
  session_id: '0199a1b2-0000-7000-8000-000000000001',
  modified: '2026-01-02T03:04:05+00:00',
  records: 4,
  findings: { H009: 1, H001: 2 },
  live: false,
  resume: 'codex resume 0199a1b2-0000-7000-8000-000000000001',
};
const CLAUDE_LIVE = {
  path: '/h/.claude/projects/-w/5f2b8c1e-0000-4000-8000-000000000001.jsonl',
  agent: 'claude-code',
  session_id: '5f2b8c1e-0000-4000-8000-000000000001',
  modified: '2026-01-03T10:00:00+00:00',
  records: 2,
  findings: { H001: 1 },
  live: true,
  resume: 'claude --resume 5f2b8c1e-0000-4000-8000-000000000001',
};
const CODEX_CLEAN = { ...CODEX_BROKEN, path: '/h/.codex/sessions/x/rollout-clean.jsonl', findings: {}, session_id: null, resume: null };
const GEMINI = {
  path: '/h/.gemini/tmp/w/chats/session-2026-01-02T03-04-9b1e0c7a.json',
  agent: 'gemini',
  session_id: '9b1e0c7a-0000-4000-8000-000000000001',
  modified: '2026-01-01T00:00:00+00:00',
  records: null,
  findings: null,
  live: false,
  resume: 'gemini --resume 9b1e0c7a-0000-4000-8000-000000000001',
};
const ANSWER = {
  sessions: [CLAUDE_LIVE, CODEX_BROKEN, GEMINI, CODEX_CLEAN],
  searched: ['/h/.codex/sessions', '/h/.claude/projects', '/h/.gemini/tmp'],
  problems: ['/h/.codex/sessions/x/rollout-bad.jsonl: not a Codex session (no records the engine reads); skipped'],
};

const rows = () => parseListing(ANSWER).sessions;
const row = (sid: string | null): SessionRow => rows().find((r) => r.sessionId === sid)!;
const NOW = new Date('2026-03-01T12:00:00Z');

describe('parseListing', () => {
  it('reads the rows of the server, keeping unknown findings apart from none', () => {
    const listing = parseListing(ANSWER);
    expect(listing.sessions).toHaveLength(4);
    expect(listing.searched).toEqual(ANSWER.searched);
    expect(listing.problems).toEqual(ANSWER.problems);
    expect(row(GEMINI.session_id).findings).toBeNull();
    expect(row(null).findings).toEqual({});
    expect(row(CLAUDE_LIVE.session_id)).toMatchObject({ live: true, records: 2, resume: CLAUDE_LIVE.resume });
  });

  it('drops what is not a session row and refuses an answer without a list', () => {
    const listing = parseListing({ sessions: [CODEX_BROKEN, { agent: 'codex' }, 'x', null, { ...GEMINI, findings: { H001: 'many' } }] });
    expect(listing.sessions.map((r) => r.path)).toEqual([CODEX_BROKEN.path, GEMINI.path]);
    expect(listing.sessions[1].findings).toEqual({});
    expect(listing.searched).toEqual([]);
    expect(() => parseListing(null)).toThrow(/no session list/);
    expect(() => parseListing({ sessions: {} })).toThrow(/no session list/);
  });
});

describe('problem counts', () => {
  it('counts per code, sorted by code', () => {
    expect(countsText({ H009: 1, H001: 2 })).toBe('H001 ×2, H009 ×1');
    expect(problemsText(row(CODEX_BROKEN.session_id))).toBe('3 problems: H001 ×2, H009 ×1');
    expect(problemsText(row(CLAUDE_LIVE.session_id))).toBe('1 problem: H001 ×1');
    expect(problemsText(row(null))).toBe('no problems');
    expect(problemsText(row(GEMINI.session_id))).toBe('not read yet');
  });
});

describe('groupByAgent', () => {
  it('groups Codex, Claude Code, Gemini CLI in that order, sessions in the server order', () => {
    const groups = groupByAgent(parseListing(ANSWER));
    expect(groups.map((g) => g.label)).toEqual(['Codex', 'Claude Code', 'Gemini CLI']);
    expect(groups[0].sessions.map((r) => r.path)).toEqual([CODEX_BROKEN.path, CODEX_CLEAN.path]);
    expect(groups.map((g) => g.description)).toEqual(['2 sessions, 1 with problems', '1 session, 1 with problems', '1 session']);
  });

  it('puts an agent it does not know last, by its own name', () => {
    const groups = groupByAgent(parseListing({ sessions: [{ ...CODEX_BROKEN, agent: 'aider' }, GEMINI] }));
    expect(groups.map((g) => g.label)).toEqual(['Gemini CLI', 'aider']);
    expect(groupByAgent(parseListing({ sessions: [] }))).toEqual([]);
  });
});

describe('sessionItem', () => {
  it('a broken session: counts as the description, a warning icon, the fix menu', () => {
    const item = sessionItem(row(CODEX_BROKEN.session_id), NOW);
    expect(item.label).toBe('01-02 03:04 · 0199a1b2');
    expect(item.description).toBe('3 problems: H001 ×2, H009 ×1');
    expect(item.icon).toBe('warning');
    expect(item.contextValue).toBe('session problems analysed resumable');
    expect(item.tooltip).toContain('**Codex** session `0199a1b2-0000-7000-8000-000000000001`');
    expect(item.tooltip).toContain('Resume: `codex resume 0199a1b2-0000-7000-8000-000000000001`');
    expect(item.tooltip).toContain('4 records');
    expect(item.ariaLabel).toBe('Codex session 01-02 03:04 · 0199a1b2, 3 problems: H001 ×2, H009 ×1');
    expect(item.tooltip).toContain('Last written 2026-01-02 03:04 · 4 records');
  });

  it('a session an agent still writes says live first, and why not to fix it now', () => {
    const item = sessionItem(row(CLAUDE_LIVE.session_id));
    expect(item.description).toBe('live · 1 problem: H001 ×1');
    expect(item.contextValue.split(' ')).toEqual(['session', 'problems', 'analysed', 'live', 'resumable']);
    expect(item.tooltip).toMatch(/still writes it: quit the agent before fixing it/);
  });

  it('a clean session without an id: the file name, no fix or copy menu', () => {
    const item = sessionItem(row(null), NOW);
    expect(item.label).toBe('01-02 03:04 · rollout-clean.jsonl');
    expect(item.icon).toBe('pass');
    expect(item.contextValue).toBe('session clean analysed');
    expect(item.tooltip).toContain('(no session id)');
  });

  it('a session the engine cannot read yet is unknown, not clean', () => {
    const item = sessionItem(row(GEMINI.session_id));
    expect(item.icon).toBe('question');
    expect(item.contextValue).toBe('session clean resumable'); // no timeline: not analysed
    expect(item.tooltip).toContain('does not read Gemini CLI sessions yet');
  });

  it('the time is as short as can be: today, this year, before', () => {
    expect(shortTime('2026-03-01T09:30:00+00:00', NOW)).toBe('09:30');
    expect(shortTime('2026-02-28T23:59:59+00:00', NOW)).toBe('02-28 23:59');
    expect(shortTime('2025-03-01T09:30:00+00:00', NOW)).toBe('2025-03-01');
    expect(shortTime('yesterday', NOW)).toBe('yesterday');
    expect(localTime('2026-12-31T23:59:59+00:00')).toBe('2026-12-31 23:59');
  });
});

describe('emptyMessage', () => {
  it('says what to do: open a folder, or where it looked', () => {
    expect(emptyMessage(undefined, 0)).toMatch(/Open a folder/);
    expect(emptyMessage(parseListing(ANSWER), 1)).toBeUndefined();
    expect(emptyMessage(undefined, 1)).toBeUndefined(); // not listed yet
    expect(emptyMessage(parseListing({ sessions: [], searched: ['/h/.codex/sessions'] }), 1)).toBe(
      'No Codex, Claude Code or Gemini CLI sessions of this workspace in /h/.codex/sessions.',
    );
  });
});

describe('fixLaunch', () => {
  it('runs `context-ls fix PATH` the way the server runs, environment included', () => {
    const server = { command: '/usr/bin/python3', args: ['-m', 'context_ls', 'serve'], env: { PYTHONPATH: '/ext/bundled/libs/py3.11' } };
    expect(fixLaunch(server, '/h/a b.jsonl')).toEqual({
      command: '/usr/bin/python3',
      args: ['-m', 'context_ls', 'fix', '/h/a b.jsonl'],
      env: { PYTHONPATH: '/ext/bundled/libs/py3.11' },
    });
    expect(fixLaunch({ command: 'python3', args: ['-X', 'utf8', '-m', 'context_ls', 'serve'], env: {} }, '/p').args).toEqual([
      '-X', 'utf8', '-m', 'context_ls', 'fix', '/p',
    ]);
  });
});

describe('fixOutcome', () => {
  const path = '/h/.codex/sessions/2026/01/02/rollout-x.jsonl';
  it('exit 0: what was repaired and how to resume, without the per-line detail', () => {
    const stdout = [
      `${path}: 1 problem (H001 ×1)`,
      '  line 3: H001 call call_1 has no output',
      'Repaired H001 ×1 with 1 edit:',
      '  line 3: Add the missing output',
      `The previous content is snapshot 42; undo with \`context-ls snapshot restore ${path}\`.`,
      'Checked again: no problems left.',
      'Resume with: codex resume X',
      '',
    ].join('\n');
    const outcome = fixOutcome(path, 0, stdout, '');
    expect(outcome.level).toBe('info');
    expect(outcome.message).toBe(
      `rollout-x.jsonl: 1 problem (H001 ×1) Repaired H001 ×1 with 1 edit: The previous content is snapshot 42; undo with \`context-ls snapshot restore ${path}\`. Checked again: no problems left. Resume with: codex resume X`,
    );
    expect(fixOutcome(path, 0, `${path}: no problems found; nothing to fix.\n`, '').message).toBe(
      'rollout-x.jsonl: no problems found; nothing to fix.',
    );
  });

  it('exit 1: problems left for a person are a warning', () => {
    const outcome = fixOutcome(path, 1, 'None of these can be repaired automatically; nothing was written.\n', '');
    expect(outcome).toEqual({ level: 'warning', message: 'rollout-x.jsonl: None of these can be repaired automatically; nothing was written.' });
  });

  it('exit 2: the refusal while an agent writes is shown as the command says it', () => {
    const stderr = `context-ls: error: ${path}: codex (pid 7) holds it open for writing; replacing the file now would lose every line written after the repair. Quit it first, or pass --force to write anyway. Nothing was written.\n`;
    const outcome = fixOutcome(path, 2, '', stderr);
    expect(outcome.level).toBe('warning');
    expect(outcome.message).toMatch(/^Not fixed: rollout-x\.jsonl: codex \(pid 7\) holds it open for writing; .* Nothing was written\.$/);
  });

  it('a crash or a timeout is an error with the end of what it said', () => {
    expect(fixOutcome(path, null, '', '')).toEqual({ level: 'error', message: 'context-ls fix failed on rollout-x.jsonl: it was stopped' });
    const outcome = fixOutcome(path, 3, '', 'Traceback\n  File x\nValueError: boom\n');
    expect(outcome.level).toBe('error');
    expect(outcome.message).toMatch(/ValueError: boom$/);
  });
});

describe('the menus of package.json', () => {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  const menus: { command: string; when: string; group: string }[] = manifest.contributes.menus['view/item/context'];
  /** The inline actions an item gets, from the `viewItem =~ /…/` of each menu entry. */
  const inline = (contextValue: string) =>
    menus
      .filter((m) => m.group.startsWith('inline'))
      .filter((m) => {
        const match = /viewItem =~ \/(.+)\/$/.exec(m.when);
        return m.when.startsWith('view == contextLs.sessions') && !!match && new RegExp(match[1]).test(contextValue);
      })
      .map((m) => m.command.replace('context-ls.sessions.', ''));

  it('offers fix only with problems, the timeline only when analysed, copy only with an id', () => {
    expect(inline(sessionItem(row(CODEX_BROKEN.session_id)).contextValue)).toEqual(['fix', 'timeline', 'copyResume']);
    expect(inline(sessionItem(row(CLAUDE_LIVE.session_id)).contextValue)).toEqual(['fix', 'timeline', 'copyResume']);
    expect(inline(sessionItem(row(null)).contextValue)).toEqual(['timeline']);
    expect(inline(sessionItem(row(GEMINI.session_id)).contextValue)).toEqual(['copyResume']);
    expect(inline('agent')).toEqual([]);
  });

  it('every action of an item is also in its context menu, and hidden from the palette', () => {
    const commands = new Set(menus.map((m) => m.command));
    for (const command of commands) {
      expect(menus.filter((m) => m.command === command && !m.group.startsWith('inline')), command).toHaveLength(1);
      expect(manifest.contributes.menus.commandPalette).toContainEqual({ command, when: 'false' });
    }
    expect(commands).toContain('context-ls.sessions.open');
  });
});
