/**
 * Arguments of the server's workspace/executeCommand commands and the texts the client shows
 * around them. Pure logic (no `vscode` import).
 */

export const SERVER_COMMANDS = {
  normalize: 'contextLs.normalize',
  trim: 'contextLs.trim',
  createSnapshot: 'contextLs.createSnapshot',
  listSnapshots: 'contextLs.listSnapshots',
  restoreSnapshot: 'contextLs.restoreSnapshot',
  showContext: 'contextLs.showContext',
  showTimeline: 'contextLs.showTimeline',
  activateContext: 'contextLs.activateContext',
} as const;

export const ACTIVE_EDITOR_NOTIFICATION = 'contextLs/didChangeActiveEditor';

export interface ExecuteCommandParams {
  command: string;
  arguments: unknown[];
}

export function normalizeCommand(uri: string): ExecuteCommandParams {
  return { command: SERVER_COMMANDS.normalize, arguments: [uri] };
}

export function trimCommand(uri: string, keep: number): ExecuteCommandParams {
  return { command: SERVER_COMMANDS.trim, arguments: [uri, keep] };
}

export function createSnapshotCommand(uri: string): ExecuteCommandParams {
  return { command: SERVER_COMMANDS.createSnapshot, arguments: [uri] };
}

export function listSnapshotsCommand(uri: string): ExecuteCommandParams {
  return { command: SERVER_COMMANDS.listSnapshots, arguments: [uri] };
}

export function restoreSnapshotCommand(uri: string, id: string): ExecuteCommandParams {
  return { command: SERVER_COMMANDS.restoreSnapshot, arguments: [uri, id] };
}

export function showContextCommand(uri: string | undefined): ExecuteCommandParams {
  return { command: SERVER_COMMANDS.showContext, arguments: uri ? [uri] : [] };
}

export function showTimelineCommand(uri: string): ExecuteCommandParams {
  return { command: SERVER_COMMANDS.showTimeline, arguments: [uri] };
}

export function activeEditorParams(uri: string | undefined): { uri: string | null } {
  return { uri: uri ?? null };
}

/** Validates the "Trim History…" input box: a whole number of records to keep, >= 1. */
export function validateKeep(input: string): string | undefined {
  const text = input.trim();
  if (!/^\d+$/.test(text)) return 'Type a whole number of records to keep, e.g. 500.';
  const n = Number(text);
  if (n < 1) return 'Keep at least 1 record.';
  if (!Number.isSafeInteger(n)) return 'That number is too large.';
  return undefined;
}

export function parseKeep(input: string): number | undefined {
  return validateKeep(input) === undefined ? Number(input.trim()) : undefined;
}

export interface SnapshotInfo {
  readonly id: string;
  /** ISO 8601 text, or seconds / milliseconds since the epoch. */
  readonly timestamp: string | number;
  readonly reason?: string;
  readonly bytes?: number;
}

export interface SnapshotPickItem {
  readonly label: string;
  readonly description: string;
  readonly detail: string;
  readonly id: string;
}

export function toDate(timestamp: string | number): Date | undefined {
  if (typeof timestamp === 'number') {
    // Seconds (what Python's time.time() gives) or milliseconds.
    return new Date(timestamp < 1e12 ? timestamp * 1000 : timestamp);
  }
  const trimmed = timestamp.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return toDate(Number(trimmed));
  const d = new Date(trimmed);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined || !Number.isFinite(bytes)) return '';
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** "5 minutes ago", "just now", "3 days ago". */
export function formatAge(date: Date, now: Date): string {
  const seconds = Math.round((now.getTime() - date.getTime()) / 1000);
  if (seconds < 45) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} minute${minutes === 1 ? '' : 's'} ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} hour${hours === 1 ? '' : 's'} ago`;
  const days = Math.round(hours / 24);
  return `${days} day${days === 1 ? '' : 's'} ago`;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** Local time as "2026-11-21 05:42:10". */
export function formatLocalTime(date: Date): string {
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  );
}

/**
 * Quick pick items for "Restore Snapshot…", newest first (sorted here too, whatever order the
 * server sent): label = time, description = reason, detail = age, size and id.
 */
export function snapshotPickItems(snapshots: readonly SnapshotInfo[], now: Date): SnapshotPickItem[] {
  const withDates = snapshots.map((s, index) => ({ s, index, date: toDate(s.timestamp) }));
  withDates.sort((a, b) => {
    const ta = a.date?.getTime() ?? -Infinity;
    const tb = b.date?.getTime() ?? -Infinity;
    return tb - ta || a.index - b.index;
  });
  return withDates.map(({ s, date }) => {
    const detail = [date ? formatAge(date, now) : undefined, formatBytes(s.bytes) || undefined, `id ${s.id}`]
      .filter(Boolean)
      .join(' · ');
    return {
      label: date ? formatLocalTime(date) : String(s.timestamp),
      description: s.reason?.trim() || 'snapshot',
      detail,
      id: s.id,
    };
  });
}

/** Validates the reply of contextLs.listSnapshots. */
export function parseSnapshotList(result: unknown): SnapshotInfo[] {
  if (!Array.isArray(result)) return [];
  return result.flatMap((item: unknown) => {
    if (!item || typeof item !== 'object') return [];
    const o = item as Record<string, unknown>;
    const id = o.id;
    if (typeof id !== 'string' && typeof id !== 'number') return [];
    const ts = o.timestamp;
    return [
      {
        id: String(id),
        timestamp: typeof ts === 'string' || typeof ts === 'number' ? ts : '',
        reason: typeof o.reason === 'string' ? o.reason : undefined,
        bytes: typeof o.bytes === 'number' ? o.bytes : undefined,
      },
    ];
  });
}

/** The text of the read-only "Show Context" document. */
export function contextDocumentText(result: unknown): string {
  if (typeof result === 'string') {
    try {
      return JSON.stringify(JSON.parse(result), null, 2) + '\n';
    } catch {
      return result;
    }
  }
  return JSON.stringify(result ?? {}, null, 2) + '\n';
}

/** Summary of a command result for an information message, e.g. after Normalize History. */
export function resultMessage(action: string, result: unknown): string {
  if (result && typeof result === 'object') {
    const o = result as Record<string, unknown>;
    if (typeof o.message === 'string' && o.message) return o.message;
    if (typeof o.summary === 'string' && o.summary) return o.summary;
  }
  if (typeof result === 'string' && result.trim()) return result.trim();
  return `${action}: done.`;
}

/**
 * Server commands that the client shows in its own UI: a code lens of the server that runs
 * `contextLs.showTimeline` (whose reply is HTML) is rewritten to the client command that opens
 * that HTML in a webview panel.
 */
export const CLIENT_UI_FOR_SERVER_COMMAND: Readonly<Record<string, string>> = {
  [SERVER_COMMANDS.showTimeline]: 'context-ls.showTimeline',
  [SERVER_COMMANDS.showContext]: 'context-ls.showContext',
};

export interface CommandLike {
  title: string;
  command: string;
  arguments?: unknown[];
}

export function rewriteLensCommand<T extends CommandLike>(command: T | undefined): T | undefined {
  if (!command) return command;
  const ui = CLIENT_UI_FOR_SERVER_COMMAND[command.command];
  return ui ? { ...command, command: ui } : command;
}

export type ActionKind = 'normalize' | 'trim' | 'createSnapshot' | 'restoreSnapshot';

/**
 * The message shown after a command, from the server's reply:
 * normalize/trim/restore `{applied, edits, snapshot, restored?}`, createSnapshot `{id, …}`.
 * Returns the text and whether it is a warning (the edit was not applied).
 */
export function describeResult(kind: ActionKind, result: unknown, detail = ''): { text: string; warning: boolean } {
  const o = result && typeof result === 'object' ? (result as Record<string, unknown>) : {};
  if (kind === 'createSnapshot') {
    const size = formatBytes(typeof o.bytes === 'number' ? o.bytes : undefined);
    return {
      text: typeof o.id === 'string' ? `Snapshot ${o.id} created${size ? ` (${size})` : ''}.` : resultMessage('Snapshot created', result),
      warning: false,
    };
  }
  const edits = typeof o.edits === 'number' ? o.edits : undefined;
  const applied = o.applied === true;
  const snapshot = o.snapshot && typeof o.snapshot === 'object' ? (o.snapshot as Record<string, unknown>).id : undefined;
  const taken = typeof snapshot === 'string' ? ` (snapshot ${snapshot} taken first)` : '';
  const label = { normalize: 'Normalize History', trim: 'Trim History', restoreSnapshot: 'Restore Snapshot' }[kind];
  if (edits === undefined) return { text: resultMessage(label, result), warning: false };
  if (edits === 0) {
    const nothing = {
      normalize: 'nothing to repair safely.',
      trim: 'the history is already that short.',
      restoreSnapshot: 'the file already has that content.',
    }[kind];
    return { text: `${label}: ${nothing}`, warning: false };
  }
  if (!applied) return { text: `${label}: the editor did not apply the change.`, warning: true };
  const done = {
    normalize: `${plural(edits, 'repair')} applied${taken}.`,
    trim: `${detail ? `kept the newest ${detail} records, ` : ''}${plural(edits, 'edit')}${taken}.`,
    restoreSnapshot: `restored${detail ? ` the snapshot of ${detail}` : ''}${taken}.`,
  }[kind];
  return { text: `${label}: ${done}`, warning: false };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
