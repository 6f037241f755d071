/**
 * The "Agent Sessions" view: what the server's `contextLs/sessions` answer means for the tree
 * (groups, labels, problem counts, icons, the menus an item gets), how `context-ls fix` is run
 * and what its output says, and when the view lists again. Pure logic (no `vscode` import).
 */

export const SESSIONS_REQUEST = 'contextLs/sessions';
export const VIEW_ID = 'contextLs.sessions';

/** Session files, as each agent names them (Codex also compresses old rollouts). */
export const WATCH_GLOB = '**/*.{jsonl,json,zst}';

export const AGENT_NAMES: Readonly<Record<string, string>> = {
  codex: 'Codex',
  'claude-code': 'Claude Code',
  gemini: 'Gemini CLI',
};
const AGENT_ORDER = Object.keys(AGENT_NAMES);

/** One row of `context-ls sessions --format json`. `findings`/`records` are null when the
 * engine cannot read the agent's format yet (unknown, not clean). */
export interface SessionRow {
  readonly path: string;
  readonly agent: string;
  readonly sessionId: string | null;
  readonly modified: string;
  readonly records: number | null;
  readonly findings: Readonly<Record<string, number>> | null;
  readonly live: boolean;
  readonly resume: string | null;
}

export interface Listing {
  readonly sessions: SessionRow[];
  /** The folders the server looked in: the view watches them. */
  readonly searched: string[];
  readonly problems: string[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];
}

function findingsOf(v: unknown): Record<string, number> | null {
  if (!isRecord(v)) return null;
  const out: Record<string, number> = {};
  for (const [code, n] of Object.entries(v)) if (typeof n === 'number' && n > 0) out[code] = n;
  return out;
}

function rowOf(v: unknown): SessionRow | undefined {
  if (!isRecord(v) || typeof v.path !== 'string' || !v.path || typeof v.agent !== 'string') return undefined;
  return {
    path: v.path,
    agent: v.agent,
    sessionId: typeof v.session_id === 'string' && v.session_id ? v.session_id : null,
    modified: typeof v.modified === 'string' ? v.modified : '',
    records: typeof v.records === 'number' ? v.records : null,
    findings: v.findings === null || v.findings === undefined ? null : findingsOf(v.findings),
    live: v.live === true,
    resume: typeof v.resume === 'string' && v.resume ? v.resume : null,
  };
}

/** The server's answer, checked: rows that are not sessions are dropped, not shown broken. */
export function parseListing(raw: unknown): Listing {
  if (!isRecord(raw) || !Array.isArray(raw.sessions)) {
    throw new Error('the server answered contextLs/sessions with no session list (is it an older context-ls?)');
  }
  const sessions = raw.sessions.map(rowOf).filter((r): r is SessionRow => r !== undefined);
  return { sessions, searched: strings(raw.searched), problems: strings(raw.problems) };
}

export function problemCount(row: SessionRow): number {
  return Object.values(row.findings ?? {}).reduce((a, b) => a + b, 0);
}

/** `H001 ×2, H009 ×1` */
export function countsText(findings: Readonly<Record<string, number>>): string {
  return Object.keys(findings)
    .sort()
    .map((code) => `${code} ×${findings[code]}`)
    .join(', ');
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** What the row says of its problems: the tree item's description. */
export function problemsText(row: SessionRow): string {
  if (row.findings === null) return 'not read yet';
  const n = problemCount(row);
  return n ? `${plural(n, 'problem')}: ${countsText(row.findings)}` : 'no problems';
}

export interface AgentGroup {
  readonly agent: string;
  readonly label: string;
  readonly description: string;
  readonly sessions: SessionRow[];
}

/** One group per agent with sessions (Codex, Claude Code, Gemini CLI, then any other), each
 * newest first as the server sorted them. */
export function groupByAgent(listing: Listing): AgentGroup[] {
  const byAgent = new Map<string, SessionRow[]>();
  for (const row of listing.sessions) byAgent.set(row.agent, [...(byAgent.get(row.agent) ?? []), row]);
  const rank = (a: string) => (AGENT_ORDER.includes(a) ? AGENT_ORDER.indexOf(a) : AGENT_ORDER.length);
  return [...byAgent.keys()]
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
    .map((agent) => {
      const sessions = byAgent.get(agent) ?? [];
      const broken = sessions.filter((r) => problemCount(r) > 0).length;
      const description = `${plural(sessions.length, 'session')}` + (broken ? `, ${broken} with problems` : '');
      return { agent, label: AGENT_NAMES[agent] ?? agent, description, sessions };
    });
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** `2026-01-02 03:04` in local time (the ISO time as given when it does not parse). */
export function localTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The same time as short as the sidebar needs: `03:04` today, `01-02 03:04` this year,
 * `2025-01-02` before. */
export function shortTime(iso: string, now: Date): string {
  const full = localTime(iso);
  const today = localTime(now.toISOString());
  if (full.length !== 16 || today.length !== 16) return full;
  if (full.slice(0, 10) === today.slice(0, 10)) return full.slice(11);
  return full.slice(0, 4) === today.slice(0, 4) ? full.slice(5) : full.slice(0, 10);
}

export type SessionIcon = 'warning' | 'pass' | 'question';

export interface SessionItemModel {
  readonly label: string;
  readonly description: string;
  readonly tooltip: string;
  readonly icon: SessionIcon;
  /** Flags the menus test (`viewItem =~ /\bproblems\b/`). */
  readonly contextValue: string;
  readonly ariaLabel: string;
}

function fileName(path: string): string {
  return path.split(/[\\/]/).pop() || path;
}

/** Markdown-safe inline code. */
function code(text: string): string {
  const ticks = text.includes('`') ? '``' : '`';
  return `${ticks}${text}${ticks}`;
}

/** A session as a tree item: when and which (label, short enough for the sidebar to show the
 * description), its problems (description), live first when an agent still writes it; a
 * warning icon when it has problems. */
export function sessionItem(row: SessionRow, now: Date = new Date()): SessionItemModel {
  const n = problemCount(row);
  const label = `${shortTime(row.modified, now)} · ${row.sessionId ? row.sessionId.slice(0, 8) : fileName(row.path)}`;
  const description = (row.live ? 'live · ' : '') + problemsText(row);
  const icon: SessionIcon = row.findings === null ? 'question' : n > 0 ? 'warning' : 'pass';
  const flags = [
    'session',
    n > 0 ? 'problems' : 'clean',
    row.findings === null ? '' : 'analysed', // the timeline needs a format the engine reads
    row.live ? 'live' : '',
    row.resume ? 'resumable' : '',
  ];
  const agent = AGENT_NAMES[row.agent] ?? row.agent;
  const lines = [
    `**${agent}** session ${row.sessionId ? code(row.sessionId) : '(no session id)'}`,
    code(row.path),
    `Last written ${localTime(row.modified)}` + (row.records === null ? '' : ` · ${plural(row.records, 'record')}`),
    row.findings === null
      ? `context-ls does not read ${agent} sessions yet.`
      : n
        ? `${plural(n, 'problem')}: ${countsText(row.findings)}`
        : 'No problems.',
  ];
  if (row.live) lines.push(`An agent still writes it: quit the agent before fixing it.`);
  if (row.resume) lines.push(`Resume: ${code(row.resume)}`);
  return {
    label,
    description,
    tooltip: lines.join('\n\n'),
    icon,
    contextValue: flags.filter(Boolean).join(' '),
    ariaLabel: `${agent} session ${label}, ${description}`,
  };
}

/** The view's message when it shows no session (undefined when it shows some). */
export function emptyMessage(listing: Listing | undefined, folders: number): string | undefined {
  if (folders === 0) return 'Open a folder to see the sessions coding agents keep for it.';
  if (!listing || listing.sessions.length) return undefined;
  const where = listing.searched.length ? ` in ${listing.searched.join(', ')}` : '';
  return `No Codex, Claude Code or Gemini CLI sessions of this workspace${where}.`;
}

export interface ToolLaunch {
  readonly command: string;
  readonly args: string[];
  readonly env: Record<string, string | undefined>;
}

/** `context-ls fix PATH` with the interpreter and environment the server runs with. */
export function fixLaunch(server: ToolLaunch, path: string): ToolLaunch {
  const at = server.args.indexOf('serve');
  const prefix = at >= 0 ? server.args.slice(0, at) : ['-m', 'context_ls'];
  return { command: server.command, args: [...prefix, 'fix', path], env: server.env };
}

export interface FixOutcome {
  readonly level: 'info' | 'warning' | 'error';
  readonly message: string;
}

/** What `context-ls fix` said, for a notification: exit 0 repaired (or nothing to do), 1 left
 * problems for a person, 2 refused (an agent still writes the file) or could not read it. */
export function fixOutcome(path: string, exitCode: number | null, stdout: string, stderr: string): FixOutcome {
  const name = fileName(path);
  // The summary lines; the per-finding lines are indented.
  const said = stdout
    .split('\n')
    .filter((l) => l.trim() && !/^\s/.test(l))
    .map((l) => (l.startsWith(`${path}: `) ? l.slice(path.length + 2) : l));
  const errors = stderr
    .split('\n')
    .map((l) => l.replace(/^context-ls: error: /, '').trim())
    .filter(Boolean)
    .map((l) => (l.startsWith(`${path}: `) ? l.slice(path.length + 2) : l));
  if (exitCode === 0) return { level: 'info', message: `${name}: ${said.join(' ')}` };
  if (exitCode === 1) return { level: 'warning', message: `${name}: ${said.join(' ')}` };
  if (exitCode === 2) return { level: 'warning', message: `Not fixed: ${name}: ${errors.join(' ')}` };
  const why = errors.slice(-3).join(' ') || (exitCode === null ? 'it was stopped' : `exit ${exitCode}`);
  return { level: 'error', message: `context-ls fix failed on ${name}: ${why}` };
}
