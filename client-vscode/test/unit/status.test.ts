import { describe, expect, it } from 'vitest';
import { codeOf, isPending, looksLikeHistory, statusFor, type DiagnosticLike } from '../../src/logic/status';

const d = (code: string, message = 'x', extra: Partial<DiagnosticLike> = {}): DiagnosticLike => ({
  source: 'context-ls',
  code,
  message,
  ...extra,
});

describe('statusFor', () => {
  it('says ok for a clean history', () => {
    const s = statusFor([], true);
    expect(s).toMatchObject({ visible: true, text: '✓ history ok', kind: 'ok' });
  });

  it('is hidden for a JSON file that is no history', () => {
    expect(statusFor([], false).visible).toBe(false);
  });

  it('ignores diagnostics of other sources', () => {
    const s = statusFor([{ source: 'json', code: '1', message: 'bad' }], true);
    expect(s.text).toBe('✓ history ok');
  });

  it('counts pairing problems', () => {
    const s = statusFor([d('H001'), d('H002'), d('H005')], true);
    expect(s.text).toBe('⚠ 3 pairing problems');
    expect(s.kind).toBe('problems');
    expect(s.tooltip).toContain('H001, H002, H005');
  });

  it('uses the singular', () => {
    expect(statusFor([d('H001')], true).text).toBe('⚠ 1 pairing problem');
  });

  it('calls them history problems when not all are about pairing', () => {
    expect(statusFor([d('H001'), d('H010')], false).text).toBe('⚠ 2 history problems');
  });

  it('shows pending calls apart', () => {
    const pending = [
      d('H001', 'call call_A is waiting for its output', { data: { pending: true } }),
      d('H001', 'pending call call_B'),
    ];
    expect(statusFor(pending, true)).toMatchObject({ text: '⏳ 2 pending calls', kind: 'pending' });
    expect(statusFor([...pending, d('H002')], true).text).toBe('⚠ 1 pairing problem  ⏳ 2 pending calls');
  });

  it('reads codes in every shape', () => {
    expect(codeOf({ message: '', code: { value: 'H003' } })).toBe('H003');
    expect(codeOf({ message: '', code: 7 })).toBe('7');
    expect(codeOf({ message: '' })).toBe('');
    expect(isPending({ message: 'x', code: 'pending' })).toBe(true);
  });
});

describe('looksLikeHistory', () => {
  it('knows the dialects', () => {
    expect(looksLikeHistory('{"timestamp":"t","type":"session_meta","payload":{}}')).toBe(true);
    expect(looksLikeHistory('{"type":"function_call","call_id":"c"}')).toBe(true);
    expect(looksLikeHistory('[{"role": "user", "content": "hi"}]')).toBe(true);
    expect(looksLikeHistory('{"parentUuid":null,"type":"user"}')).toBe(true);
    expect(looksLikeHistory('{"content":[{"type": "tool_use","id":"toolu_1"}]}')).toBe(true);
  });
  it('leaves package.json alone', () => {
    expect(looksLikeHistory('{"name": "x", "version": "1.0.0", "scripts": {"type": "module"}}')).toBe(false);
  });
});
