import { describe, expect, it } from 'vitest';
import {
  activeEditorParams,
  contextDocumentText,
  formatAge,
  formatBytes,
  listSnapshotsCommand,
  normalizeCommand,
  parseKeep,
  parseSnapshotList,
  restoreSnapshotCommand,
  resultMessage,
  showContextCommand,
  showTimelineCommand,
  snapshotPickItems,
  toDate,
  trimCommand,
  validateKeep,
  createSnapshotCommand,
  describeResult,
  rewriteLensCommand,
} from '../../src/logic/commands';

const URI = 'file:///w/rollout.jsonl';

describe('server command arguments', () => {
  it('builds every command as the server expects it', () => {
    expect(normalizeCommand(URI)).toEqual({ command: 'contextLs.normalize', arguments: [URI] });
    expect(trimCommand(URI, 200)).toEqual({ command: 'contextLs.trim', arguments: [URI, 200] });
    expect(createSnapshotCommand(URI)).toEqual({ command: 'contextLs.createSnapshot', arguments: [URI] });
    expect(listSnapshotsCommand(URI)).toEqual({ command: 'contextLs.listSnapshots', arguments: [URI] });
    expect(restoreSnapshotCommand(URI, 's1')).toEqual({ command: 'contextLs.restoreSnapshot', arguments: [URI, 's1'] });
    expect(showTimelineCommand(URI)).toEqual({ command: 'contextLs.showTimeline', arguments: [URI] });
    expect(showContextCommand(URI)).toEqual({ command: 'contextLs.showContext', arguments: [URI] });
    expect(showContextCommand(undefined)).toEqual({ command: 'contextLs.showContext', arguments: [] });
    expect(activeEditorParams(undefined)).toEqual({ uri: null });
    expect(activeEditorParams(URI)).toEqual({ uri: URI });
  });
});

describe('Trim History input', () => {
  it('accepts whole numbers >= 1', () => {
    expect(validateKeep('500')).toBeUndefined();
    expect(parseKeep(' 12 ')).toBe(12);
  });
  it('refuses the rest with a readable message', () => {
    expect(validateKeep('')).toMatch(/whole number/);
    expect(validateKeep('-3')).toMatch(/whole number/);
    expect(validateKeep('2.5')).toMatch(/whole number/);
    expect(validateKeep('0')).toMatch(/at least 1/);
    expect(validateKeep('99999999999999999999')).toMatch(/too large/);
    expect(parseKeep('abc')).toBeUndefined();
  });
});

describe('snapshot quick pick', () => {
  const now = new Date('2026-11-21T06:00:00Z');
  it('sorts newest first and shows time, reason, age, size and id', () => {
    const items = snapshotPickItems(
      [
        { id: 'old', timestamp: '2026-11-20T06:00:00Z', reason: 'before trim', bytes: 2048 },
        { id: 'new', timestamp: '2026-11-21T05:55:00Z', reason: 'before normalize', bytes: 512 },
        { id: 'mid', timestamp: 1795222800, reason: '' }, // 2026-11-21T01:00:00Z, seconds
      ],
      now,
    );
    expect(items.map((i) => i.id)).toEqual(['new', 'mid', 'old']);
    expect(items[0].description).toBe('before normalize');
    expect(items[0].detail).toBe('5 minutes ago · 512 B · id new');
    expect(items[1].description).toBe('snapshot');
    expect(items[1].detail).toBe('5 hours ago · id mid');
    expect(items[2].detail).toBe('1 day ago · 2.0 KB · id old');
    expect(items[0].label).toMatch(/^2026-11-2\d \d\d:\d\d:\d\d$/);
  });

  it('keeps unreadable timestamps last', () => {
    const items = snapshotPickItems([{ id: 'x', timestamp: 'garbage' }, { id: 'y', timestamp: '2026-01-01T00:00:00Z' }], now);
    expect(items.map((i) => i.id)).toEqual(['y', 'x']);
    expect(items[1].label).toBe('garbage');
  });

  it('validates the server reply', () => {
    expect(parseSnapshotList(null)).toEqual([]);
    expect(parseSnapshotList([{ id: 3, timestamp: 5, reason: 'r', bytes: 9 }, { nope: 1 }, 'x'])).toEqual([
      { id: '3', timestamp: 5, reason: 'r', bytes: 9 },
    ]);
  });

  it('reads timestamps', () => {
    expect(toDate(1_700_000_000)?.toISOString()).toBe('2023-11-14T22:13:20.000Z');
    expect(toDate(1_700_000_000_000)?.toISOString()).toBe('2023-11-14T22:13:20.000Z');
    expect(toDate('1700000000')?.toISOString()).toBe('2023-11-14T22:13:20.000Z');
    expect(toDate('nope')).toBeUndefined();
  });

  it('formats sizes and ages', () => {
    expect(formatBytes(undefined)).toBe('');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(5 * 1024 * 1024)).toBe('5.0 MB');
    expect(formatBytes(300 * 1024)).toBe('300 KB');
    expect(formatAge(new Date(now.getTime() - 10_000), now)).toBe('just now');
    expect(formatAge(new Date(now.getTime() - 60_000), now)).toBe('1 minute ago');
  });
});

describe('texts', () => {
  it('pretty-prints the contexts', () => {
    expect(contextDocumentText({ workspace: { a: 1 }, user: {}, tool: {} })).toBe(
      '{\n  "workspace": {\n    "a": 1\n  },\n  "user": {},\n  "tool": {}\n}\n',
    );
    expect(contextDocumentText('{"a":1}')).toBe('{\n  "a": 1\n}\n');
    expect(contextDocumentText('not json')).toBe('not json');
  });
  it('summarises results', () => {
    expect(resultMessage('Normalize History', { message: 'fixed 3 findings' })).toBe('fixed 3 findings');
    expect(resultMessage('Normalize History', 'ok')).toBe('ok');
    expect(resultMessage('Normalize History', null)).toBe('Normalize History: done.');
  });
});

describe('code lens commands', () => {
  it('opens the timeline in the client instead of running the server command', () => {
    expect(rewriteLensCommand({ title: '7 calls · open timeline', command: 'contextLs.showTimeline', arguments: [URI] })).toEqual({
      title: '7 calls · open timeline',
      command: 'context-ls.showTimeline',
      arguments: [URI],
    });
    expect(rewriteLensCommand({ title: 'x', command: 'contextLs.normalize' })?.command).toBe('contextLs.normalize');
    expect(rewriteLensCommand(undefined)).toBeUndefined();
  });
});

describe('describeResult', () => {
  const snap = { id: 's1', timestamp: '2026-11-21T00:00:00Z', reason: 'normalize', bytes: 2048 };
  it('normalize', () => {
    expect(describeResult('normalize', { applied: true, edits: 4, snapshot: snap })).toEqual({
      text: 'Normalize History: 4 repairs applied (snapshot s1 taken first).',
      warning: false,
    });
    expect(describeResult('normalize', { applied: false, edits: 0, snapshot: null }).text).toBe(
      'Normalize History: nothing to repair safely.',
    );
    expect(describeResult('normalize', { applied: false, edits: 2, snapshot: snap })).toEqual({
      text: 'Normalize History: the editor did not apply the change.',
      warning: true,
    });
  });
  it('trim, snapshots', () => {
    expect(describeResult('trim', { applied: true, edits: 1, snapshot: snap }, '200').text).toBe(
      'Trim History: kept the newest 200 records, 1 edit (snapshot s1 taken first).',
    );
    expect(describeResult('createSnapshot', snap).text).toBe('Snapshot s1 created (2.0 KB).');
    expect(describeResult('restoreSnapshot', { applied: true, edits: 1, snapshot: null, restored: 's1' }, '2026-11-21 05:00:00').text).toBe(
      'Restore Snapshot: restored the snapshot of 2026-11-21 05:00:00.',
    );
    expect(describeResult('normalize', 'ok').text).toBe('ok');
  });
});
