/**
 * The status bar text for the active editor, from the context-ls diagnostics of its document.
 * Pure logic (no `vscode` import).
 */

export interface DiagnosticLike {
  readonly source?: string;
  readonly code?: string | number | { readonly value: string | number };
  readonly message: string;
  /** vscode.DiagnosticSeverity: 0 error, 1 warning, 2 information, 3 hint */
  readonly severity?: number;
  readonly data?: unknown;
}

export const SOURCE = 'context-ls';

/** Codes about the call/output pairing (the ones that make an API refuse the history). */
export const PAIRING_CODES = new Set(['H001', 'H002', 'H003', 'H004', 'H005', 'H006']);

export function codeOf(d: DiagnosticLike): string {
  const c = d.code;
  if (c === undefined) return '';
  if (typeof c === 'object') return String(c.value);
  return String(c);
}

/** A call still waiting for its output (not yet a problem: the agent may be writing it). */
export function isPending(d: DiagnosticLike): boolean {
  const data = d.data as { pending?: unknown } | undefined;
  if (data && typeof data === 'object' && data.pending === true) return true;
  const code = codeOf(d).toLowerCase();
  if (code === 'pending') return true;
  return /\bpending\b|waiting for (its |an |the )?output/i.test(d.message);
}

export interface StatusState {
  /** Hidden when the document is not a history. */
  readonly visible: boolean;
  readonly text: string;
  readonly tooltip: string;
  readonly kind: 'ok' | 'problems' | 'pending' | 'hidden';
  readonly problems: number;
  readonly pending: number;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function statusFor(diagnostics: readonly DiagnosticLike[], isHistory: boolean): StatusState {
  const ours = diagnostics.filter((d) => d.source === SOURCE);
  const pending = ours.filter(isPending);
  const problems = ours.filter((d) => !isPending(d));
  if (!isHistory && ours.length === 0) {
    return { visible: false, text: '', tooltip: '', kind: 'hidden', problems: 0, pending: 0 };
  }
  const parts: string[] = [];
  if (problems.length > 0) {
    const allPairing = problems.every((d) => PAIRING_CODES.has(codeOf(d)));
    parts.push(`⚠ ${plural(problems.length, allPairing ? 'pairing problem' : 'history problem', allPairing ? 'pairing problems' : 'history problems')}`);
  }
  if (pending.length > 0) parts.push(`⏳ ${plural(pending.length, 'pending call', 'pending calls')}`);
  if (parts.length === 0) {
    return {
      visible: true,
      text: '✓ history ok',
      tooltip: 'Context LS: every tool call of this history has its output. Click to open the Problems panel.',
      kind: 'ok',
      problems: 0,
      pending: 0,
    };
  }
  const codes = [...new Set(problems.map(codeOf).filter(Boolean))].sort();
  return {
    visible: true,
    text: parts.join('  '),
    tooltip:
      'Context LS' +
      (codes.length ? `: ${codes.join(', ')}` : '') +
      (problems.length ? '. "Normalize History" repairs what can be repaired safely.' : '') +
      ' Click to open the Problems panel.',
    kind: problems.length > 0 ? 'problems' : 'pending',
    problems: problems.length,
    pending: pending.length,
  };
}

const HISTORY_MARKERS = [
  /"type"\s*:\s*"(session_meta|response_item|event_msg|turn_context|function_call|function_call_output|custom_tool_call|local_shell_call|tool_call|tool_output|message)"/,
  /"(tool_calls|tool_call_id|tool_use_id|parentUuid|sessionId)"\s*:/,
  /"type"\s*:\s*"(tool_use|tool_result)"/,
  /"role"\s*:\s*"(user|assistant|tool|system|developer)"/,
];

/**
 * A cheap guess, from the first kilobytes of a JSON/JSONL document, whether it is an agent
 * history (so the status bar shows "✓ history ok" on a clean one and stays hidden on
 * package.json). The server stays the judge of what it checks.
 */
export function looksLikeHistory(head: string): boolean {
  const sample = head.slice(0, 64 * 1024);
  return HISTORY_MARKERS.some((re) => re.test(sample));
}
