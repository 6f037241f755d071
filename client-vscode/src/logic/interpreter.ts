/**
 * Choosing the Python interpreter that runs the server, and how to launch it.
 * Pure logic (no `vscode` import) so it can be unit-tested directly.
 */

export type InterpreterSource = 'setting' | 'python-extension' | 'path';

export interface InterpreterCandidate {
  /** What to execute: an absolute path or a bare command looked up on PATH. */
  readonly command: string;
  readonly source: InterpreterSource;
}

export interface ProbeResult {
  /** [major, minor, micro] */
  readonly version: readonly [number, number, number];
  readonly executable: string;
  /** `context_ls` importable from the interpreter itself (a developer install). */
  readonly hasContextLs: boolean;
  /** Its version, when installed as a distribution. */
  readonly contextLsVersion?: string;
  /** sys.platform: "linux", "darwin", "win32"; empty when unknown. */
  readonly platform?: string;
  /** The CPU the interpreter runs on (x86_64, aarch64, arm64, amd64…); empty when unknown. */
  readonly machine?: string;
  /** Linux only: "glibc" or "musl". */
  readonly libc?: string;
  /** A free-threaded build (3.13t, 3.14t): the bundled native modules are not for it. */
  readonly freeThreaded?: boolean;
  /** 32 or 64: a 32-bit interpreter on a 64-bit system reports the system's machine. */
  readonly bits?: number;
}

export interface ProbeFailure {
  readonly candidate: InterpreterCandidate;
  readonly reason: string;
}

export const MIN_PYTHON: readonly [number, number] = [3, 10];

/**
 * The script that `probe` runs with `-c`: one JSON line on stdout. The machine is the one the
 * interpreter is built for (sysconfig), except on macOS where a universal2 build runs as the
 * CPU it is started on (platform.machine()).
 */
export const PROBE_SCRIPT = [
  'import importlib.util, json, platform, struct, sys, sysconfig',
  'try:',
  '    from importlib.metadata import version; cls = version("context-ls")',
  'except Exception:',
  '    cls = None',
  'linux = sys.platform.startswith("linux")',
  'print(json.dumps({"version": list(sys.version_info[:3]), "executable": sys.executable,',
  ' "hasContextLs": importlib.util.find_spec("context_ls") is not None, "contextLsVersion": cls,',
  ' "platform": "linux" if linux else sys.platform,',
  ' "machine": platform.machine() if sys.platform == "darwin" else sysconfig.get_platform().split("-")[-1],',
  ' "libc": ("glibc" if platform.libc_ver()[0] == "glibc" else "musl") if linux else "",',
  ' "freeThreaded": bool(sysconfig.get_config_var("Py_GIL_DISABLED")), "bits": struct.calcsize("P") * 8}))',
].join('\n');

export interface CandidateInputs {
  /** `contextLs.server.pythonPath` as written (may hold ~ or ${workspaceFolder}). */
  readonly settingPath?: string;
  /** The active interpreter of the Python extension, when that extension is installed. */
  readonly pythonExtensionPath?: string;
  readonly platform: string;
  readonly home?: string;
  readonly workspaceFolder?: string;
}

/** Expands `~`, `${userHome}`, `${workspaceFolder}` and `${env:NAME}` in a configured path. */
export function expandPath(
  raw: string,
  vars: { home?: string; workspaceFolder?: string; env?: Record<string, string | undefined> },
): string {
  let out = raw.trim();
  if (vars.home && (out === '~' || out.startsWith('~/') || out.startsWith('~\\'))) {
    out = vars.home + out.slice(1);
  }
  out = out.replace(/\$\{(userHome|workspaceFolder|env:[A-Za-z_][A-Za-z0-9_]*)\}/g, (whole, name: string) => {
    if (name === 'userHome') return vars.home ?? whole;
    if (name === 'workspaceFolder') return vars.workspaceFolder ?? whole;
    const value = vars.env?.[name.slice(4)];
    return value ?? '';
  });
  return out;
}

/**
 * The interpreters to try, in order. An explicit setting is the only candidate (a person who
 * set it wants that one, and an error about it, not a silent fallback); otherwise the Python
 * extension's active interpreter, then `python3` (and `python`) on PATH.
 */
export function interpreterCandidates(inputs: CandidateInputs): InterpreterCandidate[] {
  const setting = inputs.settingPath?.trim();
  if (setting) {
    return [
      {
        command: expandPath(setting, { home: inputs.home, workspaceFolder: inputs.workspaceFolder, env: process.env }),
        source: 'setting',
      },
    ];
  }
  const out: InterpreterCandidate[] = [];
  const fromExtension = inputs.pythonExtensionPath?.trim();
  if (fromExtension) out.push({ command: fromExtension, source: 'python-extension' });
  const onPath = inputs.platform === 'win32' ? ['python', 'python3'] : ['python3', 'python'];
  for (const command of onPath) {
    if (!out.some((c) => c.command === command)) out.push({ command, source: 'path' });
  }
  return out;
}

/** Parses the probe's output; throws with a readable message when it is not what we expect. */
export function parseProbeOutput(stdout: string): ProbeResult {
  const line = stdout
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.startsWith('{'))
    .pop();
  if (!line) throw new Error(`unexpected output: ${JSON.stringify(stdout.slice(0, 200))}`);
  const data = JSON.parse(line) as Record<string, unknown>;
  const v = data.version;
  if (!Array.isArray(v) || v.length < 2 || !v.every((n) => typeof n === 'number')) {
    throw new Error(`unexpected version in ${line}`);
  }
  const text = (key: string): string => (typeof data[key] === 'string' ? data[key] : '');
  return {
    version: [Number(v[0]), Number(v[1]), Number(v[2] ?? 0)],
    executable: text('executable'),
    hasContextLs: data.hasContextLs === true,
    contextLsVersion: text('contextLsVersion') || undefined,
    platform: text('platform'),
    machine: text('machine'),
    libc: text('libc'),
    freeThreaded: data.freeThreaded === true,
    bits: typeof data.bits === 'number' ? data.bits : undefined,
  };
}

export function isSupportedVersion(version: readonly number[]): boolean {
  const [major = 0, minor = 0] = version;
  return major > MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor >= MIN_PYTHON[1]);
}

export function versionText(version: readonly number[]): string {
  return version.join('.');
}

export type Chosen =
  | { readonly ok: true; readonly candidate: InterpreterCandidate; readonly probe: ProbeResult; readonly skipped: ProbeFailure[] }
  | { readonly ok: false; readonly failures: ProbeFailure[] };

/**
 * Tries the candidates in order with `probe` and returns the first usable one (Python >= 3.10),
 * or every failure so that the error can say what was tried.
 */
export async function chooseInterpreter(
  candidates: readonly InterpreterCandidate[],
  probe: (command: string) => Promise<ProbeResult>,
): Promise<Chosen> {
  const failures: ProbeFailure[] = [];
  for (const candidate of candidates) {
    try {
      const result = await probe(candidate.command);
      if (isSupportedVersion(result.version)) {
        return { ok: true, candidate, probe: result, skipped: failures };
      }
      failures.push({
        candidate,
        reason: `Python ${versionText(result.version)} is too old (3.10 or newer is needed)`,
      });
    } catch (err) {
      failures.push({ candidate, reason: err instanceof Error ? err.message : String(err) });
    }
  }
  return { ok: false, failures };
}

const SOURCE_LABEL: Record<InterpreterSource, string> = {
  setting: 'contextLs.server.pythonPath',
  'python-extension': 'Python extension',
  path: 'PATH',
};

/** The message of the "no usable Python" error notification. */
export function noInterpreterMessage(failures: readonly ProbeFailure[]): string {
  const tried = failures.map((f) => `${f.candidate.command} (${SOURCE_LABEL[f.candidate.source]}): ${f.reason}`);
  return (
    'Context LS needs Python 3.10 or newer to run its language server, and found none. ' +
    (tried.length ? `Tried: ${tried.join('; ')}. ` : '') +
    'Set "contextLs.server.pythonPath" to a Python 3.10+ interpreter.'
  );
}
