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
}

export interface ProbeFailure {
  readonly candidate: InterpreterCandidate;
  readonly reason: string;
}

export const MIN_PYTHON: readonly [number, number] = [3, 10];

/** The script that `probe` runs with `-c`: one JSON line on stdout. */
export const PROBE_SCRIPT = [
  'import importlib.util, json, sys',
  'print(json.dumps({"version": list(sys.version_info[:3]), "executable": sys.executable,',
  ' "hasContextLs": importlib.util.find_spec("context_ls") is not None}))',
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
  const data = JSON.parse(line) as { version?: unknown; executable?: unknown; hasContextLs?: unknown };
  const v = data.version;
  if (!Array.isArray(v) || v.length < 2 || !v.every((n) => typeof n === 'number')) {
    throw new Error(`unexpected version in ${line}`);
  }
  return {
    version: [Number(v[0]), Number(v[1]), Number(v[2] ?? 0)],
    executable: typeof data.executable === 'string' ? data.executable : '',
    hasContextLs: data.hasContextLs === true,
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

export interface LaunchInputs {
  readonly python: string;
  readonly probe: ProbeResult;
  /** Sub-folders of `bundled/libs` that exist, e.g. ["py3.10", "py3.11"]. */
  readonly bundles: readonly string[];
  /** Absolute path of `bundled/libs`. */
  readonly bundledLibsDir: string;
  readonly pathSeparator: string; // path.delimiter: ":" or ";"
  readonly env: Readonly<Record<string, string | undefined>>;
}

export type Launch =
  | {
      readonly ok: true;
      readonly command: string;
      readonly args: string[];
      readonly env: Record<string, string>;
      /** "bundled" (libs shipped in the extension) or "interpreter" (its own context_ls). */
      readonly origin: 'bundled' | 'interpreter';
    }
  | { readonly ok: false; readonly message: string };

export function bundleNameFor(version: readonly number[]): string {
  return `py${version[0]}.${version[1]}`;
}

/**
 * How to start the server: `python -m context_ls serve` with PYTHONPATH on the libraries bundled
 * for that Python version; without a bundle for it, the interpreter's own context_ls.
 */
export function buildServerLaunch(inputs: LaunchInputs): Launch {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(inputs.env)) if (v !== undefined) env[k] = v;
  env.PYTHONUNBUFFERED = '1';
  env.PYTHONIOENCODING = 'utf-8';
  const args = ['-m', 'context_ls', 'serve'];
  const bundle = bundleNameFor(inputs.probe.version);
  if (inputs.bundles.includes(bundle)) {
    const libs = joinPath(inputs.bundledLibsDir, bundle, inputs.pathSeparator);
    env.PYTHONPATH = env.PYTHONPATH ? `${libs}${inputs.pathSeparator}${env.PYTHONPATH}` : libs;
    env.PYTHONNOUSERSITE = '1';
    return { ok: true, command: inputs.python, args, env, origin: 'bundled' };
  }
  if (inputs.probe.hasContextLs) {
    return { ok: true, command: inputs.python, args, env, origin: 'interpreter' };
  }
  const shipped = [...inputs.bundles].sort().map((b) => b.replace(/^py/, '')).join(', ');
  return {
    ok: false,
    message:
      `Context LS ships its server for Python ${shipped || '(none)'}, and ` +
      `${inputs.python} is Python ${versionText(inputs.probe.version)} without context-ls installed. ` +
      `Pick another interpreter in "contextLs.server.pythonPath", or run "${inputs.python} -m pip install context-ls".`,
  };
}

function joinPath(dir: string, name: string, separator: string): string {
  const slash = separator === ';' ? '\\' : '/';
  return dir.endsWith('/') || dir.endsWith('\\') ? dir + name : dir + slash + name;
}
