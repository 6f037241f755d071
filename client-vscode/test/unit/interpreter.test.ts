import { describe, expect, it } from 'vitest';
import {
  chooseInterpreter,
  expandPath,
  interpreterCandidates,
  isSupportedVersion,
  noInterpreterMessage,
  parseProbeOutput,
  type ProbeResult,
} from '../../src/logic/interpreter';
import { probePython } from '../../src/logic/probe';

const py = (major: number, minor: number, hasContextLs = false): ProbeResult => ({
  version: [major, minor, 0],
  executable: `/usr/bin/python${major}.${minor}`,
  hasContextLs,
});

describe('interpreterCandidates', () => {
  it('uses only the setting when it is set', () => {
    const c = interpreterCandidates({
      settingPath: '  ~/venv/bin/python ',
      pythonExtensionPath: '/ext/python',
      platform: 'linux',
      home: '/home/me',
    });
    expect(c).toEqual([{ command: '/home/me/venv/bin/python', source: 'setting' }]);
  });

  it('prefers the Python extension, then python3 and python on PATH', () => {
    const c = interpreterCandidates({ pythonExtensionPath: '/ext/python', platform: 'linux' });
    expect(c.map((x) => [x.command, x.source])).toEqual([
      ['/ext/python', 'python-extension'],
      ['python3', 'path'],
      ['python', 'path'],
    ]);
  });

  it('works without the Python extension (empty setting)', () => {
    const c = interpreterCandidates({ settingPath: '', platform: 'linux' });
    expect(c.map((x) => x.command)).toEqual(['python3', 'python']);
  });

  it('tries python first on Windows', () => {
    expect(interpreterCandidates({ platform: 'win32' }).map((x) => x.command)).toEqual(['python', 'python3']);
  });

  it('expands ${workspaceFolder}, ${userHome} and ${env:X}', () => {
    expect(
      expandPath('${workspaceFolder}/.venv/bin/python', { workspaceFolder: '/w', home: '/h' }),
    ).toBe('/w/.venv/bin/python');
    expect(expandPath('${userHome}/py', { home: '/h' })).toBe('/h/py');
    expect(expandPath('${env:PYROOT}/bin/python', { env: { PYROOT: '/opt/py' } })).toBe('/opt/py/bin/python');
    expect(expandPath('~', { home: '/h' })).toBe('/h');
  });
});

describe('chooseInterpreter', () => {
  it('returns the first candidate with Python >= 3.10 and keeps what it skipped', async () => {
    const probes: Record<string, ProbeResult | Error> = {
      '/ext/python': py(3, 8),
      python3: new Error('not found'),
      python: py(3, 12),
    };
    const chosen = await chooseInterpreter(
      interpreterCandidates({ pythonExtensionPath: '/ext/python', platform: 'linux' }),
      async (c) => {
        const r = probes[c];
        if (r instanceof Error) throw r;
        return r;
      },
    );
    expect(chosen.ok).toBe(true);
    if (!chosen.ok) return;
    expect(chosen.candidate.command).toBe('python');
    expect(chosen.skipped.map((s) => s.reason)).toEqual([
      'Python 3.8.0 is too old (3.10 or newer is needed)',
      'not found',
    ]);
  });

  it('reports every failure when nothing is usable, naming the setting', async () => {
    const chosen = await chooseInterpreter(
      interpreterCandidates({ settingPath: '/bad/python', platform: 'linux' }),
      async () => {
        throw new Error('not found');
      },
    );
    expect(chosen.ok).toBe(false);
    if (chosen.ok) return;
    const message = noInterpreterMessage(chosen.failures);
    expect(message).toContain('Python 3.10 or newer');
    expect(message).toContain('/bad/python (contextLs.server.pythonPath): not found');
    expect(message).toContain('contextLs.server.pythonPath');
  });

  it('knows which versions are supported', () => {
    expect(isSupportedVersion([3, 9, 18])).toBe(false);
    expect(isSupportedVersion([3, 10, 0])).toBe(true);
    expect(isSupportedVersion([3, 13, 1])).toBe(true);
    expect(isSupportedVersion([4, 0, 0])).toBe(true);
    expect(isSupportedVersion([2, 7, 18])).toBe(false);
  });
});

describe('parseProbeOutput', () => {
  it('reads the JSON line', () => {
    expect(
      parseProbeOutput('noise\n{"version": [3, 11, 7], "executable": "/x/python", "hasContextLs": true}\n'),
    ).toMatchObject({ version: [3, 11, 7], executable: '/x/python', hasContextLs: true, platform: '' });
  });
  it('reads the platform, CPU, C library and build of the interpreter', () => {
    const r = parseProbeOutput(
      '{"version": [3, 14, 0], "executable": "/p", "hasContextLs": true, "contextLsVersion": "0.1.0",' +
        ' "platform": "linux", "machine": "aarch64", "libc": "musl", "freeThreaded": true, "bits": 64}',
    );
    expect(r).toMatchObject({ contextLsVersion: '0.1.0', platform: 'linux', machine: 'aarch64', libc: 'musl' });
    expect(r.freeThreaded).toBe(true);
    expect(r.bits).toBe(64);
  });
  it('refuses garbage', () => {
    expect(() => parseProbeOutput('Python 2.7')).toThrow(/unexpected output/);
    expect(() => parseProbeOutput('{"version": "3.11"}')).toThrow(/unexpected version/);
  });
});

describe('probePython (the real interpreter on this machine)', () => {
  it('probes python3', async () => {
    const r = await probePython('python3');
    expect(r.version[0]).toBe(3);
    expect(r.executable).not.toBe('');
    // The probe script runs on every Python 3.10+: it says where this one runs.
    expect(r.platform).toBe(process.platform === 'win32' ? 'win32' : process.platform);
    expect(r.machine).not.toBe('');
    expect(r.bits).toBe(64);
    expect(r.freeThreaded).toBe(false);
  });
  it('says "not found" for a missing interpreter', async () => {
    await expect(probePython('/no/such/python3')).rejects.toThrow('not found');
  });
});
