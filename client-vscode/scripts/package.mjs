#!/usr/bin/env node
// `npm run package`: bundles the Python server and its dependencies into bundled/libs/py3.X
// (one folder per supported Python version, since msgspec and watchfiles are native), builds the
// extension with esbuild and packs everything with vsce into context-ls.vsix for this platform.
//
// Environment:
//   CONTEXT_LS_BUNDLE_PYTHON      Python that runs pip (default: ../.venv/bin/python, else python3)
//   CONTEXT_LS_BUNDLE_VERSIONS    Python versions to bundle (default "3.10 3.11 3.12 3.13 3.14")
//   CONTEXT_LS_VSIX               output file (default context-ls.vsix)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const client = path.resolve(here, '..');
const repo = path.resolve(client, '..');
const libs = path.join(client, 'bundled', 'libs');
const onlyBundle = process.argv.includes('--bundle-only');

const venvPython = path.join(repo, '.venv', process.platform === 'win32' ? 'Scripts/python.exe' : 'bin/python');
const python = process.env.CONTEXT_LS_BUNDLE_PYTHON || (existsSync(venvPython) ? venvPython : 'python3');
const versions = (process.env.CONTEXT_LS_BUNDLE_VERSIONS || '3.10 3.11 3.12 3.13 3.14').split(/[\s,]+/).filter(Boolean);

// pip platform tags and the matching vsce target, per Node platform/arch.
const PLATFORMS = {
  'linux-x64': { vsce: 'linux-x64', tags: ['manylinux_2_17_x86_64', 'manylinux2014_x86_64', 'manylinux_2_28_x86_64', 'linux_x86_64'] },
  'linux-arm64': { vsce: 'linux-arm64', tags: ['manylinux_2_17_aarch64', 'manylinux2014_aarch64', 'manylinux_2_28_aarch64'] },
  'darwin-arm64': { vsce: 'darwin-arm64', tags: ['macosx_11_0_arm64'] },
  'darwin-x64': { vsce: 'darwin-x64', tags: ['macosx_10_12_x86_64', 'macosx_10_9_x86_64'] },
  'win32-x64': { vsce: 'win32-x64', tags: ['win_amd64'] },
};
const key = `${process.platform}-${process.arch}`;
const platform = PLATFORMS[key];
if (!platform) {
  console.error(`package: no Python wheel platform known for ${key}`);
  process.exit(1);
}

function run(cmd, args, opts = {}) {
  console.log(`$ ${cmd} ${args.join(' ')}`);
  return execFileSync(cmd, args, { stdio: 'inherit', ...opts });
}

function hostPythonVersion() {
  return execFileSync(python, ['-c', 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")'], {
    encoding: 'utf8',
  }).trim();
}

function dirSize(dir) {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    total += e.isDirectory() ? dirSize(p) : statSync(p).size;
  }
  return total;
}

function prune(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name === '__pycache__') rmSync(p, { recursive: true, force: true });
      else prune(p);
    }
  }
}

// 1. A wheel of the server from this checkout.
const wheelDir = mkdtempSync(path.join(tmpdir(), 'context-ls-wheel-'));
run(python, ['-m', 'pip', 'wheel', '--quiet', '--quiet', '--no-deps', '--wheel-dir', wheelDir, repo]);
const wheel = readdirSync(wheelDir).find((f) => f.startsWith('context_ls-') && f.endsWith('.whl'));
if (!wheel) throw new Error('no context_ls wheel was built');

// 2. The wheel and its dependencies, once per Python version, for this platform.
rmSync(libs, { recursive: true, force: true });
mkdirSync(libs, { recursive: true });
const host = hostPythonVersion();
const bundled = [];
for (const version of versions) {
  const target = path.join(libs, `py${version}`);
  const args = [
    '-m', 'pip', 'install', '--quiet', '--quiet', '--disable-pip-version-check', '--no-compile',
    '--target', target, '--only-binary=:all:', '--implementation', 'cp', '--python-version', version,
    ...platform.tags.flatMap((t) => ['--platform', t]),
    path.join(wheelDir, wheel),
  ];
  try {
    run(python, args);
    // Dependencies behind markers of the target version (pip evaluates them for its own).
    for (let round = 0; round < 5; round++) {
      const missing = execFileSync(python, [path.join(here, 'missing_requirements.py'), target, version], {
        encoding: 'utf8',
      })
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean);
      if (missing.length === 0) break;
      console.log(`package: Python ${version} also needs ${missing.join(', ')}`);
      run(python, [...args.slice(0, -1), ...missing]);
    }
    rmSync(path.join(target, 'bin'), { recursive: true, force: true });
    prune(target);
    bundled.push(version);
  } catch (err) {
    rmSync(target, { recursive: true, force: true });
    if (version === host) throw err;
    console.warn(`package: no wheels for Python ${version} on ${key}; that version will use its own context-ls install`);
  }
}
rmSync(wheelDir, { recursive: true, force: true });
writeFileSync(
  path.join(libs, 'MANIFEST.json'),
  JSON.stringify({ wheel, platform: key, pythons: bundled, created: new Date().toISOString() }, null, 2) + '\n',
);
console.log(`package: bundled the server for Python ${bundled.join(', ')} (${(dirSize(libs) / 1e6).toFixed(1)} MB)`);
if (onlyBundle) process.exit(0);

// 3. Build and pack (vsce runs `vscode:prepublish`, the production esbuild build).
const out = path.resolve(client, process.env.CONTEXT_LS_VSIX || 'context-ls.vsix');
const vsce = path.join(client, 'node_modules', '.bin', process.platform === 'win32' ? 'vsce.cmd' : 'vsce');
run(vsce, ['package', '--no-dependencies', '--target', platform.vsce, '--out', out], { cwd: client });
console.log(`package: ${out} (${(statSync(out).size / 1e6).toFixed(1)} MB)`);
