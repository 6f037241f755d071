// The Python side of a .vsix: the server's wheel, and bundled/libs/pyX.Y folders of it and its
// dependencies for one VS Code target, fetched with pip's --platform/--python-version (so every
// target is built on any machine). Used by package.mjs.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const tool = path.join(here, 'bundle_tool.py');

export function loadTargets() {
  return JSON.parse(readFileSync(path.join(here, 'targets.json'), 'utf8'));
}

/** The VS Code target of this machine, or undefined when none is known. */
export function hostTarget() {
  const arch = { x64: 'x64', arm64: 'arm64' }[process.arch];
  if (!arch) return undefined;
  if (process.platform === 'linux') {
    // No glibc version in the report means musl: VS Code calls that alpine.
    const glibc = process.report?.getReport()?.header?.glibcVersionRuntime;
    return glibc ? `linux-${arch}` : `alpine-${arch}`;
  }
  if (process.platform === 'darwin' || process.platform === 'win32') return `${process.platform}-${arch}`;
  return undefined;
}

function log(line) {
  console.log(`package: ${line}`);
}

/** Runs a command quietly; its output is printed only when it fails. */
function attempt(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`
    .split('\n')
    .filter((l) => !/is ignored: it is neither a file nor a directory/.test(l))
    .join('\n')
    .trim();
  return { ok: r.status === 0, output: r.error ? String(r.error) : output };
}

/**
 * Builds the server's wheel from a clean copy of the checkout (setuptools reuses a stale
 * build/ folder, which would ship deleted modules), into a temporary folder.
 */
export function buildServerWheel(python, repo) {
  const work = mkdtempSync(path.join(tmpdir(), 'context-ls-wheel-'));
  const src = path.join(work, 'src');
  const skip = (p) => /(^|[/\\])(__pycache__|[^/\\]*\.egg-info|build)$|\.py[co]$/.test(p);
  for (const name of ['pyproject.toml', 'README.md', 'LICENSE', 'server']) {
    cpSync(path.join(repo, name), path.join(src, name), { recursive: true, filter: (p) => !skip(p) });
  }
  const out = path.join(work, 'wheel');
  const r = attempt(python, ['-m', 'pip', 'wheel', '--quiet', '--no-deps', '--wheel-dir', out, src]);
  const wheel = r.ok && readdirSync(out).find((f) => f.startsWith('context_ls-') && f.endsWith('.whl'));
  if (!wheel) throw new Error(`the context-ls wheel was not built:\n${r.output}`);
  return { wheel: path.join(out, wheel), cleanup: () => rmSync(work, { recursive: true, force: true }) };
}

/** "No matching distribution found for zstandard<1,>=0.22" → "no wheel of zstandard<1,>=0.22". */
export function pipFailureReason(output) {
  const m = /No matching distribution found for (\S+)/.exec(output);
  if (m) return `no wheel of ${m[1]}`;
  const last = output.split('\n').filter((l) => /ERROR/.test(l)).pop() ?? output.split('\n').pop() ?? '';
  return last.replace(/^ERROR:\s*/, '').trim() || 'pip failed';
}

/**
 * pip install --target, from the wheel cache only; what the cache lacks is downloaded into it
 * first (`refresh`: always download, to pick up new releases). Returns undefined or why not.
 */
function install({ python, dir, version, spec, cache, refresh }, requirements) {
  const pick = [
    '--only-binary=:all:', '--implementation', 'cp', '--python-version', version,
    ...spec.pip.flatMap((t) => ['--platform', t]),
  ];
  const offline = [
    '-m', 'pip', 'install', '--quiet', '--no-compile', '--no-warn-script-location', '--target', dir,
    '--no-index', '--find-links', cache, ...pick, ...requirements,
  ];
  if (!refresh && attempt(python, offline).ok) return undefined;
  const fetched = attempt(python, ['-m', 'pip', 'download', '--quiet', '--dest', cache, ...pick, ...requirements]);
  if (!fetched.ok) return pipFailureReason(fetched.output);
  for (const f of readdirSync(cache)) if (f.startsWith('context_ls-')) rmSync(path.join(cache, f));
  const r = attempt(python, offline);
  return r.ok ? undefined : pipFailureReason(r.output);
}

function dirSize(dir) {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    total += e.isDirectory() ? dirSize(p) : statSync(p).size;
  }
  return total;
}

/**
 * Fills `libs` with py<version> folders for one target and writes libs/MANIFEST.json (what the
 * extension reads to decide whether a bundle fits the user's Python). A Python version without
 * a wheel of some dependency is left out, with the reason in the manifest.
 */
export function bundleTarget({ python, target, spec, versions, wheel, libs, cacheRoot, refresh }) {
  rmSync(libs, { recursive: true, force: true });
  mkdirSync(libs, { recursive: true });
  const cache = path.join(cacheRoot, target);
  mkdirSync(cache, { recursive: true });
  const markers = JSON.stringify(spec.markers);
  const pythons = [];
  const skipped = {};
  for (const version of versions) {
    const dir = path.join(libs, `py${version}`);
    const ctx = { python, dir, version, spec, cache, refresh };
    let why = install(ctx, [wheel]);
    // Dependencies behind markers of the target (pip evaluates them for this machine).
    for (let round = 0; !why && round < 5; round++) {
      const missing = execFileSync(python, [tool, 'missing', dir, version, markers], { encoding: 'utf8' })
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean);
      if (missing.length === 0) break;
      log(`${target} Python ${version} also needs ${missing.join(', ')}`);
      why = install(ctx, missing);
    }
    if (why) {
      rmSync(dir, { recursive: true, force: true });
      skipped[version] = why;
      log(`${target}: Python ${version} is not bundled: ${why}`);
      continue;
    }
    execFileSync(python, [tool, 'prune', dir, version, markers], { stdio: ['ignore', 'ignore', 'inherit'] });
    pythons.push(version);
  }
  const manifest = {
    target,
    wheel: path.basename(wheel),
    ...spec.runtime,
    pythons,
    skipped,
  };
  writeFileSync(path.join(libs, 'MANIFEST.json'), JSON.stringify(manifest, null, 2) + '\n');
  if (pythons.length) {
    log(`${target}: bundled the server for Python ${pythons.join(', ')} (${(dirSize(libs) / 1e6).toFixed(1)} MB)`);
  }
  return manifest;
}
