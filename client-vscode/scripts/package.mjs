#!/usr/bin/env node
// `npm run package [-- options]`: the .vsix of context-ls for VS Code targets, each with the
// Python server and its dependencies in bundled/libs/pyX.Y (msgspec, watchfiles and zstandard
// are native: one folder per Python version, built for that platform). Every target is built on
// any machine: pip fetches the other platforms' wheels (scripts/targets.json lists their tags).
//
//   (no option)     this machine's target → context-ls.vsix
//   --target T      (repeatable) → vsix/context-ls-T-<version>.vsix
//   --all           every target, the universal .vsix (no server inside: for other platforms),
//                   and vsix/TARGETS.json: the .vsix built, the targets not offered and why
//                   (a dependency without a wheel for the platform)
//   --bundle-only   only bundled/libs (of the last target), no .vsix
//   --refresh       download the wheels again instead of reusing the cache
//
// Environment:
//   CONTEXT_LS_BUNDLE_PYTHON    Python that runs pip (default: ../.venv/bin/python, else python3)
//   CONTEXT_LS_BUNDLE_VERSIONS  Python versions to bundle (default: targets.json)
//   CONTEXT_LS_VSIX             output of the default build (default context-ls.vsix)
//   CONTEXT_LS_VSIX_DIR         output folder of --target/--all (default vsix)
//   CONTEXT_LS_WHEEL_CACHE      wheels downloaded per target (default <repo>/.cache/vsix-wheels)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildServerWheel, bundleTarget, hostTarget, loadTargets } from './bundle.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const client = path.resolve(here, '..');
const repo = path.resolve(client, '..');
const libs = path.join(client, 'bundled', 'libs');

const { values: opts } = parseArgs({
  options: {
    target: { type: 'string', multiple: true, default: [] },
    all: { type: 'boolean', default: false },
    'bundle-only': { type: 'boolean', default: false },
    refresh: { type: 'boolean', default: false },
  },
});

const venvPython = path.join(repo, '.venv', process.platform === 'win32' ? 'Scripts/python.exe' : 'bin/python');
const python = process.env.CONTEXT_LS_BUNDLE_PYTHON || (existsSync(venvPython) ? venvPython : 'python3');
const { targets, pythons: defaultVersions } = loadTargets();
const versions = process.env.CONTEXT_LS_BUNDLE_VERSIONS?.split(/[\s,]+/).filter(Boolean) ?? defaultVersions;
const cacheRoot = path.resolve(process.env.CONTEXT_LS_WHEEL_CACHE || path.join(repo, '.cache', 'vsix-wheels'));
const outDir = path.resolve(client, process.env.CONTEXT_LS_VSIX_DIR || 'vsix');
const version = JSON.parse(readFileSync(path.join(client, 'package.json'), 'utf8')).version;

function fail(message) {
  console.error(`package: ${message}`);
  process.exit(1);
}

const host = hostTarget();
const hostBuild = !opts.all && opts.target.length === 0;
let wanted = opts.all ? Object.keys(targets) : hostBuild ? [host] : opts.target;
if (hostBuild && !host) fail(`no VS Code target is known for ${process.platform}-${process.arch}`);
const unknown = wanted.filter((t) => !targets[t]);
if (unknown.length) fail(`unknown target ${unknown.join(', ')} (known: ${Object.keys(targets).join(', ')})`);
// This machine's target last: bundled/ is then the one a development host of VS Code can use.
wanted = [...wanted.filter((t) => t !== host), ...wanted.filter((t) => t === host)];

function run(cmd, args, options = {}) {
  console.log(`$ ${path.basename(cmd)} ${args.join(' ')}`);
  return execFileSync(cmd, args, { stdio: 'inherit', ...options });
}

const started = Date.now();
const { wheel, cleanup } = buildServerWheel(python, repo);
mkdirSync(outDir, { recursive: true });
if (opts.all && !opts['bundle-only']) {
  for (const f of readdirSync(outDir)) if (/^context-ls-.*\.vsix$|^TARGETS\.json$/.test(f)) rmSync(path.join(outDir, f));
}
const summary = { version, offered: {}, notOffered: {} };
const vsce = path.join(client, 'node_modules', '.bin', process.platform === 'win32' ? 'vsce.cmd' : 'vsce');

function pack(target, out, scan) {
  // vsce runs `vscode:prepublish` (the production esbuild build) and packs bundled/ with it.
  // Its secret scan reads every file (15 s for a Linux bundle): our own files are the same in
  // every .vsix, so one scan per run covers them.
  // No public repository yet: the manifest names none rather than a made-up one.
  const args = ['package', '--no-dependencies', '--allow-missing-repository', ...(scan ? [] : ['--allow-package-all-secrets'])];
  run(vsce, [...args, ...(target ? ['--target', target] : []), '--out', out], { cwd: client, stdio: ['ignore', 'ignore', 'inherit'] });
  console.log(`package: ${out} (${(statSync(out).size / 1e6).toFixed(1)} MB)`);
}

try {
  if (opts.all && !opts['bundle-only']) {
    // The universal .vsix, for platforms without their own: no server inside, the extension
    // offers the installed context-ls or one from PyPI.
    rmSync(libs, { recursive: true, force: true });
    mkdirSync(libs, { recursive: true });
    writeFileSync(path.join(libs, 'MANIFEST.json'), JSON.stringify({ target: 'universal', pythons: [], skipped: {} }, null, 2) + '\n');
    const out = path.join(outDir, `context-ls-universal-${version}.vsix`);
    pack(undefined, out, false);
    summary.universal = { file: path.basename(out) };
  }
  for (const target of wanted) {
    const manifest = bundleTarget({ python, target, spec: targets[target], versions, wheel, libs, cacheRoot, refresh: opts.refresh });
    if (manifest.pythons.length === 0) {
      const reasons = [...new Set(Object.values(manifest.skipped))].join('; ');
      summary.notOffered[target] = `no Python version can be bundled: ${reasons}`;
      console.warn(`package: ${target} is not offered: ${summary.notOffered[target]}`);
      continue;
    }
    if (hostBuild) {
      const own = execFileSync(python, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], { encoding: 'utf8' }).trim();
      if (!manifest.pythons.includes(own) && versions.includes(own)) {
        fail(`Python ${own} of this machine could not be bundled: ${manifest.skipped[own]}`);
      }
    }
    if (opts['bundle-only']) continue;
    const out = hostBuild
      ? path.resolve(client, process.env.CONTEXT_LS_VSIX || 'context-ls.vsix')
      : path.join(outDir, `context-ls-${target}-${version}.vsix`);
    pack(target, out, target === wanted.at(-1));
    summary.offered[target] = { file: path.basename(out), pythons: manifest.pythons, skipped: manifest.skipped };
  }
} finally {
  cleanup();
}
if (opts.all && !opts['bundle-only']) writeFileSync(path.join(outDir, 'TARGETS.json'), JSON.stringify(summary, null, 2) + '\n');
const notOffered = Object.keys(summary.notOffered);
console.log(
  `package: ${Object.keys(summary.offered).length} target(s) built` +
    (notOffered.length ? `, not offered: ${notOffered.join(', ')}` : '') +
    ` in ${((Date.now() - started) / 1000).toFixed(0)} s`,
);
if (!opts.all && notOffered.length) process.exit(1);
