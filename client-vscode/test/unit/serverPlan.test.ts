import { describe, expect, it } from 'vitest';
import type { ProbeResult } from '../../src/logic/interpreter';
import {
  bundleFit,
  CHOOSE_INTERPRETER,
  decideServer,
  fallbackPrompt,
  INSTALL_PRIVATE,
  launchFor,
  normalizeArch,
  parseBundleManifest,
  parsePrivateEnvMarker,
  privateEnvPlan,
  pythonTarget,
  USE_INSTALLED,
  type BundleManifest,
} from '../../src/logic/serverPlan';

const linuxX64 = { platform: 'linux', machine: 'x86_64', libc: 'glibc', bits: 64 };
const py = (minor: number, extra: Partial<ProbeResult> = {}): ProbeResult => ({
  version: [3, minor, 1],
  executable: `/usr/bin/python3.${minor}`,
  hasContextLs: false,
  ...linuxX64,
  ...extra,
});
const manifest = (over: Partial<BundleManifest> = {}): BundleManifest => ({
  target: 'linux-x64',
  sysPlatform: 'linux',
  arch: 'x64',
  libc: 'glibc',
  pythons: ['3.10', '3.11', '3.12', '3.13', '3.14'],
  skipped: {},
  ...over,
});
const ALL = ['py3.10', 'py3.11', 'py3.12', 'py3.13', 'py3.14'];

describe('parseBundleManifest', () => {
  it('reads what scripts/bundle.mjs writes', () => {
    const m = parseBundleManifest(
      JSON.stringify({ target: 'win32-arm64', sysPlatform: 'win32', arch: 'arm64', pythons: ['3.11'], skipped: { '3.10': 'no wheel of zstandard' } }),
    );
    expect(m).toMatchObject({ target: 'win32-arm64', arch: 'arm64', libc: undefined, pythons: ['3.11'] });
    expect(m?.skipped['3.10']).toBe('no wheel of zstandard');
  });
  it('is undefined for a missing or broken file', () => {
    expect(parseBundleManifest(undefined)).toBeUndefined();
    expect(parseBundleManifest('{nope')).toBeUndefined();
    expect(parseBundleManifest('{"pythons": []}')).toBeUndefined();
  });
});

describe('the target a Python needs', () => {
  it('uses VS Code names for the CPU', () => {
    expect(normalizeArch('x86_64')).toBe('x64');
    expect(normalizeArch('AMD64')).toBe('x64');
    expect(normalizeArch('aarch64')).toBe('arm64');
    expect(normalizeArch('ARM64')).toBe('arm64');
    expect(normalizeArch('x86_64', 32)).toBe('x86_64 (32-bit)');
  });
  it('calls a musl Linux alpine', () => {
    expect(pythonTarget(py(12))).toBe('linux-x64');
    expect(pythonTarget(py(12, { libc: 'musl' }))).toBe('alpine-x64');
    expect(pythonTarget(py(12, { platform: 'darwin', machine: 'arm64', libc: '' }))).toBe('darwin-arm64');
    expect(pythonTarget(py(12, { platform: 'win32', machine: 'amd64', libc: '' }))).toBe('win32-x64');
  });
});

describe('bundleFit', () => {
  it('fits the folder of the same Python version on the same platform', () => {
    expect(bundleFit(manifest(), ALL, py(12))).toEqual({ ok: true, bundle: 'py3.12' });
  });

  it('does not fit a version the .vsix has no libraries for', () => {
    const fit = bundleFit(manifest(), ALL, py(15));
    expect(fit).toEqual({ ok: false, reason: 'the .vsix bundles it for Python 3.10, 3.11, 3.12, 3.13, 3.14, not 3.15' });
  });

  it('says why the build left a version out', () => {
    const m = manifest({ target: 'win32-arm64', sysPlatform: 'win32', arch: 'arm64', libc: undefined, skipped: { '3.10': 'no wheel of zstandard<1,>=0.22' } });
    const fit = bundleFit(m, ['py3.11', 'py3.12'], py(10, { platform: 'win32', machine: 'arm64', libc: '' }));
    expect(fit.ok).toBe(false);
    expect(!fit.ok && fit.reason).toBe('the .vsix bundles it for Python 3.11, 3.12, not 3.10 (no wheel of zstandard<1,>=0.22)');
  });

  it('does not fit another CPU: an x64 Python on an arm64 Mac', () => {
    const m = manifest({ target: 'darwin-arm64', sysPlatform: 'darwin', arch: 'arm64', libc: undefined });
    const fit = bundleFit(m, ALL, py(12, { platform: 'darwin', machine: 'x86_64', libc: '' }));
    expect(!fit.ok && fit.reason).toBe('the .vsix is built for darwin-arm64, and this Python is for darwin-x64');
  });

  it('does not fit a glibc bundle to a musl Python, nor a 32-bit Python', () => {
    expect(bundleFit(manifest(), ALL, py(12, { libc: 'musl' })).ok).toBe(false);
    expect(bundleFit(manifest(), ALL, py(12, { bits: 32 })).ok).toBe(false);
  });

  it('does not fit a free-threaded build', () => {
    const fit = bundleFit(manifest(), ALL, py(14, { freeThreaded: true }));
    expect(!fit.ok && fit.reason).toMatch(/free-threaded Python \(this is 3\.14t\)/);
  });

  it('does not fit anything in the universal .vsix (no bundle at all)', () => {
    const fit = bundleFit(undefined, [], py(12, { machine: 'armv7l' }));
    expect(!fit.ok && fit.reason).toBe('this copy of the extension has no server bundled for linux-armv7l');
  });

  it('checks only the version when an older .vsix has no manifest', () => {
    expect(bundleFit(undefined, ['py3.12'], py(12, { platform: 'darwin' })).ok).toBe(true);
  });
});

describe('decideServer', () => {
  const noFit = { ok: false as const, reason: 'the .vsix bundles it for Python 3.10, not 3.15' };
  const base = { probe: py(15), extensionVersion: '0.2.0', useInstalled: false };

  it('uses the bundled server whenever it fits, whatever was chosen before', () => {
    const d = decideServer({ ...base, fit: { ok: true, bundle: 'py3.12' }, useInstalled: true, privateEnv: { python: '/env/bin/python', version: '0.2.0' } });
    expect(d).toEqual({ kind: 'bundled', bundle: 'py3.12' });
  });

  it('asks when nothing fits, offering the installed context-ls only when there is one', () => {
    expect(decideServer({ ...base, fit: noFit })).toEqual({ kind: 'ask', reason: noFit.reason, canUseInstalled: false });
    const withOwn = decideServer({ ...base, fit: noFit, probe: py(15, { hasContextLs: true }) });
    expect(withOwn).toEqual({ kind: 'ask', reason: noFit.reason, canUseInstalled: true });
  });

  it("keeps the user's choice of the installed context-ls while it is there", () => {
    expect(decideServer({ ...base, fit: noFit, useInstalled: true, probe: py(15, { hasContextLs: true }) })).toEqual({ kind: 'installed' });
    // Uninstalled since: ask again.
    expect(decideServer({ ...base, fit: noFit, useInstalled: true }).kind).toBe('ask');
  });

  it('uses the private environment of the same version, and asks again when it is outdated', () => {
    const env = { python: '/s/server-env/py3.15-x/bin/python', version: '0.2.0' };
    expect(decideServer({ ...base, fit: noFit, privateEnv: env })).toEqual({ kind: 'private', python: env.python });
    const old = decideServer({ ...base, fit: noFit, privateEnv: { ...env, version: '0.1.0' } });
    expect(old.kind).toBe('ask');
    expect(old.kind === 'ask' && old.reason).toContain('the private environment has context-ls 0.1.0, not 0.2.0');
  });
});

describe('fallbackPrompt', () => {
  it('says why and offers the installed context-ls and PyPI', () => {
    const probe = py(15, { hasContextLs: true, contextLsVersion: '0.1.9' });
    const p = fallbackPrompt({ kind: 'ask', reason: 'the .vsix bundles it for Python 3.10, not 3.15', canUseInstalled: true }, 'python3', probe, '0.2.0');
    expect(p.actions).toEqual([USE_INSTALLED, INSTALL_PRIVATE]);
    expect(p.message).toContain('python3 (Python 3.15.1): the .vsix bundles it for Python 3.10, not 3.15');
    expect(p.message).toContain('python3 has context-ls 0.1.9 installed');
    expect(p.message).toContain('install context-ls 0.2.0 from PyPI into a private environment');
  });

  it('offers to choose an interpreter when this one has no context-ls', () => {
    const p = fallbackPrompt({ kind: 'ask', reason: 'r', canUseInstalled: false }, '/opt/py', py(15), '0.2.0');
    expect(p.actions).toEqual([CHOOSE_INTERPRETER, INSTALL_PRIVATE]);
    expect(p.message).toContain('Choose an interpreter with context-ls installed');
  });
});

describe('privateEnvPlan', () => {
  it('makes a venv with the chosen Python, then installs the same version from PyPI', () => {
    const plan = privateEnvPlan('/home/me/.config/Code/User/globalStorage/context-ls.context-ls', py(15), '0.2.0', 'linux');
    expect(plan.dir).toMatch(/\/globalStorage\/context-ls\.context-ls\/server-env\/py3\.15-[0-9a-f]{10}$/);
    expect(plan.python).toBe(`${plan.dir}/bin/python`);
    expect(plan.marker).toBe(`${plan.dir}/context-ls-env.json`);
    expect(plan.steps).toEqual([
      { command: '/usr/bin/python3.15', args: ['-m', 'venv', plan.dir] },
      { command: plan.python, args: ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', 'context-ls==0.2.0'] },
    ]);
  });

  it('keeps one environment per interpreter, with Windows paths on Windows', () => {
    const a = privateEnvPlan('C:\\Users\\me\\gs\\', py(12, { executable: 'C:\\Python312\\python.exe' }), '0.2.0', 'win32');
    const b = privateEnvPlan('C:\\Users\\me\\gs\\', py(12, { executable: 'C:\\Other\\python.exe' }), '0.2.0', 'win32');
    expect(a.dir).not.toBe(b.dir);
    expect(a.dir.startsWith('C:\\Users\\me\\gs\\server-env\\py3.12-')).toBe(true);
    expect(a.python).toBe(`${a.dir}\\Scripts\\python.exe`);
  });

  it('reads the marker written after a complete install', () => {
    expect(parsePrivateEnvMarker('{"version": "0.2.0"}', '/e/bin/python')).toEqual({ python: '/e/bin/python', version: '0.2.0' });
    expect(parsePrivateEnvMarker(undefined, '/e/bin/python')).toBeUndefined();
    expect(parsePrivateEnvMarker('not json', '/e/bin/python')).toBeUndefined();
  });
});

describe('launchFor', () => {
  const inputs = { python: '/usr/bin/python3', bundledLibsDir: '/ext/bundled/libs/', pathSeparator: ':', env: { PATH: '/usr/bin', PYTHONPATH: '/mine' } };

  it('puts the bundle of the matching Python version first on PYTHONPATH', () => {
    const launch = launchFor({ kind: 'bundled', bundle: 'py3.11' }, inputs);
    expect(launch.command).toBe('/usr/bin/python3');
    expect(launch.args).toEqual(['-m', 'context_ls', 'serve']);
    expect(launch.env.PYTHONPATH).toBe('/ext/bundled/libs/py3.11:/mine');
    expect(launch.env.PYTHONNOUSERSITE).toBe('1');
    expect(launch.env.PATH).toBe('/usr/bin');
    expect(launch.origin).toBe('bundled');
  });

  it('uses Windows separators', () => {
    const launch = launchFor({ kind: 'bundled', bundle: 'py3.12' }, { ...inputs, bundledLibsDir: 'C:\\ext\\bundled\\libs', pathSeparator: ';', env: {} });
    expect(launch.env.PYTHONPATH).toBe('C:\\ext\\bundled\\libs\\py3.12');
  });

  it("runs the interpreter's own context-ls, or the private environment's, without touching PYTHONPATH", () => {
    const own = launchFor({ kind: 'installed' }, inputs);
    expect([own.command, own.origin, own.env.PYTHONPATH]).toEqual(['/usr/bin/python3', 'interpreter', '/mine']);
    const priv = launchFor({ kind: 'private', python: '/s/env/bin/python' }, inputs);
    expect([priv.command, priv.origin, priv.env.PYTHONPATH]).toEqual(['/s/env/bin/python', 'private', '/mine']);
  });
});
