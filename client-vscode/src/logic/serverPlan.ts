/**
 * Which server to start for the chosen Python, and what to say when nothing bundled fits.
 * Pure logic (no `vscode`), unit-tested directly.
 *
 * A platform .vsix ships the server for its target (bundled/libs/MANIFEST.json) and a set of
 * Python versions. When none fits the interpreter (another version, a free-threaded build, an
 * x64 Python on an arm64 Mac, or the universal .vsix of a platform without its own build), one
 * notification offers two ways out: the context-ls installed in that interpreter, or
 * context-ls from PyPI in a private environment in the extension's storage.
 */
import { createHash } from 'node:crypto';
import { versionText, type ProbeResult } from './interpreter';

/** bundled/libs/MANIFEST.json, written by scripts/bundle.mjs. */
export interface BundleManifest {
  readonly target: string;
  readonly sysPlatform?: string;
  readonly arch?: string;
  readonly libc?: string;
  readonly pythons: readonly string[];
  /** Python versions left out of this target, with the reason (e.g. a dependency without a wheel). */
  readonly skipped: Readonly<Record<string, string>>;
}

export function parseBundleManifest(text: string | undefined): BundleManifest | undefined {
  if (!text) return undefined;
  try {
    const data = JSON.parse(text) as Record<string, unknown>;
    if (typeof data.target !== 'string' || !Array.isArray(data.pythons)) return undefined;
    const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
    const skipped = data.skipped && typeof data.skipped === 'object' ? (data.skipped as Record<string, string>) : {};
    return {
      target: data.target,
      sysPlatform: str(data.sysPlatform),
      arch: str(data.arch),
      libc: str(data.libc),
      pythons: data.pythons.filter((p): p is string => typeof p === 'string'),
      skipped,
    };
  } catch {
    return undefined;
  }
}

export function bundleNameFor(version: readonly number[]): string {
  return `py${version[0]}.${version[1]}`;
}

/** x86_64/AMD64 → x64, aarch64/ARM64 → arm64 (VS Code's names); 32-bit builds are neither. */
export function normalizeArch(machine: string | undefined, bits?: number): string {
  const m = (machine ?? '').toLowerCase();
  if (bits === 32) return m ? `${m} (32-bit)` : '32-bit';
  if (['x86_64', 'amd64', 'x64'].includes(m)) return 'x64';
  if (['aarch64', 'arm64', 'armv8l'].includes(m)) return 'arm64';
  return m;
}

/** The VS Code target a Python's native modules must be built for, e.g. "alpine-x64". */
export function pythonTarget(probe: ProbeResult): string {
  const os = probe.platform === 'linux' && probe.libc === 'musl' ? 'alpine' : probe.platform || 'unknown';
  return `${os}-${normalizeArch(probe.machine, probe.bits) || 'unknown'}`;
}

export type BundleFit = { readonly ok: true; readonly bundle: string } | { readonly ok: false; readonly reason: string };

/**
 * Whether a bundled server runs with this interpreter: same platform, CPU and C library as the
 * target of the .vsix, a GIL build, and a bundled folder for its version.
 */
export function bundleFit(manifest: BundleManifest | undefined, bundles: readonly string[], probe: ProbeResult): BundleFit {
  const version = `${probe.version[0]}.${probe.version[1]}`;
  const here = pythonTarget(probe);
  if (bundles.length === 0) {
    return { ok: false, reason: `this copy of the extension has no server bundled for ${here}` };
  }
  if (manifest && probe.platform && probe.machine) {
    const sameOs = !manifest.sysPlatform || manifest.sysPlatform === probe.platform;
    const sameArch = !manifest.arch || manifest.arch === normalizeArch(probe.machine, probe.bits);
    const sameLibc = !manifest.libc || !probe.libc || manifest.libc === probe.libc;
    if (!(sameOs && sameArch && sameLibc)) {
      return { ok: false, reason: `the .vsix is built for ${manifest.target}, and this Python is for ${here}` };
    }
  }
  if (probe.freeThreaded) {
    return { ok: false, reason: `the bundled libraries are not built for a free-threaded Python (this is ${version}t)` };
  }
  const bundle = bundleNameFor(probe.version);
  if (bundles.includes(bundle)) return { ok: true, bundle };
  const shipped = [...bundles].sort().map((b) => b.replace(/^py/, '')).join(', ');
  const why = manifest?.skipped[version];
  return {
    ok: false,
    reason: `the .vsix bundles it for Python ${shipped}, not ${version}` + (why ? ` (${why})` : ''),
  };
}

/** A private environment made earlier, with the user's consent (its marker file). */
export interface PrivateEnv {
  readonly python: string;
  readonly version: string;
}

export interface DecisionInputs {
  readonly fit: BundleFit;
  readonly probe: ProbeResult;
  readonly extensionVersion: string;
  readonly privateEnv?: PrivateEnv;
  /** The user chose the interpreter's own context-ls before (remembered per interpreter). */
  readonly useInstalled: boolean;
}

export type Decision =
  | { readonly kind: 'bundled'; readonly bundle: string }
  | { readonly kind: 'installed' }
  | { readonly kind: 'private'; readonly python: string }
  | { readonly kind: 'ask'; readonly reason: string; readonly canUseInstalled: boolean };

/** Bundled when it fits; else what the user chose before, while it still works; else ask. */
export function decideServer(inputs: DecisionInputs): Decision {
  const { fit, probe, privateEnv } = inputs;
  if (fit.ok) return { kind: 'bundled', bundle: fit.bundle };
  if (privateEnv && privateEnv.version === inputs.extensionVersion) return { kind: 'private', python: privateEnv.python };
  if (inputs.useInstalled && probe.hasContextLs) return { kind: 'installed' };
  let reason = fit.reason;
  if (privateEnv) reason += `; the private environment has context-ls ${privateEnv.version}, not ${inputs.extensionVersion}`;
  return { kind: 'ask', reason, canUseInstalled: probe.hasContextLs };
}

export const USE_INSTALLED = 'Use Installed context-ls';
export const CHOOSE_INTERPRETER = 'Choose Interpreter…';
export const INSTALL_PRIVATE = 'Install from PyPI';

/** The one notification of the fallback: why, and the two ways out (its buttons). */
export function fallbackPrompt(
  decision: Extract<Decision, { kind: 'ask' }>,
  python: string,
  probe: ProbeResult,
  extensionVersion: string,
): { message: string; actions: string[] } {
  const pypi = `install context-ls ${extensionVersion} from PyPI into a private environment in the extension's storage (nothing else on this machine changes)`;
  const installed = decision.canUseInstalled
    ? `${python} has context-ls${probe.contextLsVersion ? ` ${probe.contextLsVersion}` : ''} installed: use it, or ${pypi}.`
    : `Choose an interpreter with context-ls installed ("python -m pip install context-ls"), or ${pypi}.`;
  return {
    message: `Context LS cannot run its bundled server with ${python} (Python ${versionText(probe.version)}): ${decision.reason}. ${installed}`,
    actions: [decision.canUseInstalled ? USE_INSTALLED : CHOOSE_INTERPRETER, INSTALL_PRIVATE],
  };
}

export interface PlanStep {
  readonly command: string;
  readonly args: string[];
}

export interface PrivateEnvPlan {
  readonly dir: string;
  readonly python: string;
  /** Written last: its presence means the environment is complete. */
  readonly marker: string;
  readonly steps: PlanStep[];
}

/**
 * A virtual environment made by the user's interpreter in the extension's storage, with
 * context-ls of the extension's own version from PyPI. One per interpreter (a venv belongs to
 * the Python that made it).
 */
export function privateEnvPlan(
  storageDir: string,
  probe: ProbeResult,
  extensionVersion: string,
  platform: string,
): PrivateEnvPlan {
  const sep = platform === 'win32' ? '\\' : '/';
  const id = createHash('sha256').update(probe.executable).digest('hex').slice(0, 10);
  const dir = [storageDir.replace(/[\\/]+$/, ''), 'server-env', `${bundleNameFor(probe.version)}-${id}`].join(sep);
  const python = platform === 'win32' ? `${dir}\\Scripts\\python.exe` : `${dir}/bin/python`;
  return {
    dir,
    python,
    marker: `${dir}${sep}context-ls-env.json`,
    steps: [
      { command: probe.executable, args: ['-m', 'venv', dir] },
      {
        command: python,
        args: ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', `context-ls==${extensionVersion}`],
      },
    ],
  };
}

export function parsePrivateEnvMarker(text: string | undefined, python: string): PrivateEnv | undefined {
  if (!text) return undefined;
  try {
    const data = JSON.parse(text) as { version?: unknown };
    return typeof data.version === 'string' ? { python, version: data.version } : undefined;
  } catch {
    return undefined;
  }
}

export interface Launch {
  readonly command: string;
  readonly args: string[];
  readonly env: Record<string, string>;
  /** "bundled" (libs shipped in the extension), "interpreter" (its own), "private" (from PyPI). */
  readonly origin: 'bundled' | 'interpreter' | 'private';
}

/** `python -m context_ls serve`, with PYTHONPATH on the bundle when it is the bundled server. */
export function launchFor(
  decision: Exclude<Decision, { kind: 'ask' }>,
  inputs: { python: string; bundledLibsDir: string; pathSeparator: string; env: Readonly<Record<string, string | undefined>> },
): Launch {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(inputs.env)) if (v !== undefined) env[k] = v;
  env.PYTHONUNBUFFERED = '1';
  env.PYTHONIOENCODING = 'utf-8';
  const args = ['-m', 'context_ls', 'serve'];
  if (decision.kind === 'private') return { command: decision.python, args, env, origin: 'private' };
  if (decision.kind === 'installed') return { command: inputs.python, args, env, origin: 'interpreter' };
  const slash = inputs.pathSeparator === ';' ? '\\' : '/';
  const dir = inputs.bundledLibsDir.replace(/[\\/]+$/, '');
  const libs = `${dir}${slash}${decision.bundle}`;
  env.PYTHONPATH = env.PYTHONPATH ? `${libs}${inputs.pathSeparator}${env.PYTHONPATH}` : libs;
  env.PYTHONNOUSERSITE = '1';
  return { command: inputs.python, args, env, origin: 'bundled' };
}
