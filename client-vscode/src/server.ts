/**
 * How the extension gets a server to start: the interpreter, then the bundled server when it
 * fits, else the user's earlier choice, else one notification with two ways out (the
 * interpreter's own context-ls, or context-ls from PyPI in a private environment). The
 * decisions are in logic/serverPlan.ts; this file does the I/O around them.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  chooseInterpreter,
  interpreterCandidates,
  noInterpreterMessage,
  type InterpreterCandidate,
  type ProbeResult,
} from './logic/interpreter';
import { probePython, runCommand } from './logic/probe';
import {
  bundleFit,
  CHOOSE_INTERPRETER,
  decideServer,
  fallbackPrompt,
  INSTALL_PRIVATE,
  launchFor,
  parseBundleManifest,
  parsePrivateEnvMarker,
  privateEnvPlan,
  USE_INSTALLED,
  type Decision,
  type Launch,
  type PrivateEnvPlan,
} from './logic/serverPlan';

/** globalState: the interpreters whose own context-ls the user chose to run. */
export const USE_INSTALLED_KEY = 'contextLs.useInstalledContextLs';
const INSTALL_TIMEOUT_MS = 10 * 60 * 1000;

export interface ServerHost {
  readonly context: vscode.ExtensionContext;
  log(message: string): void;
  /** Starts the server again, after the user chose a way out. */
  restart(): Promise<void>;
}

export interface ResolvedServer {
  readonly launch: Launch;
  readonly probe: ProbeResult;
  readonly candidate: InterpreterCandidate;
}

/** The fallback question on screen: one at a time, however many starts find no server. */
let prompting: Promise<void> | undefined;

/** On deactivation: a question left unanswered belongs to the old activation. */
export function forgetPendingQuestion(): void {
  prompting = undefined;
}

async function pythonExtensionInterpreter(host: ServerHost, resource: vscode.Uri | undefined): Promise<string | undefined> {
  if (!vscode.extensions.getExtension('ms-python.python')) return undefined;
  try {
    const { PythonExtension } = await import('@vscode/python-extension');
    const api = await PythonExtension.api();
    const envPath = api.environments.getActiveEnvironmentPath(resource);
    const resolved = await api.environments.resolveEnvironment(envPath);
    return resolved?.executable.uri?.fsPath ?? envPath.path;
  } catch (err) {
    host.log(`Python extension: could not read the active interpreter: ${String(err)}`);
    return undefined;
  }
}

export async function openPythonPathSetting(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.openSettings', 'contextLs.server.pythonPath');
}

async function showSettingsError(message: string): Promise<void> {
  const choice = await vscode.window.showErrorMessage(message, 'Open settings');
  if (choice === 'Open settings') await openPythonPathSetting();
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function listBundles(dir: string): string[] {
  try {
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory() && /^py\d+\.\d+$/.test(e.name))
      .map((e) => e.name);
  } catch {
    return [];
  }
}

function extensionVersion(context: vscode.ExtensionContext): string {
  const pkg = context.extension?.packageJSON as { version?: unknown } | undefined;
  return typeof pkg?.version === 'string' ? pkg.version : '0.0.0';
}

function envPlan(context: vscode.ExtensionContext, probe: ProbeResult): PrivateEnvPlan {
  return privateEnvPlan(context.globalStorageUri.fsPath, probe, extensionVersion(context), process.platform);
}

/** The server to start, or undefined when there is none yet (an error or a question is shown). */
export async function resolveServer(host: ServerHost, resource: vscode.Uri | undefined): Promise<ResolvedServer | undefined> {
  const { context } = host;
  const cfg = vscode.workspace.getConfiguration('contextLs', resource);
  const setting = cfg.get<string>('server.pythonPath');
  const candidates = interpreterCandidates({
    settingPath: setting,
    pythonExtensionPath: setting ? undefined : await pythonExtensionInterpreter(host, resource),
    platform: process.platform,
    home: os.homedir(),
    workspaceFolder: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
  });
  const chosen = await chooseInterpreter(candidates, (c) => probePython(c));
  if (!chosen.ok) {
    host.log(noInterpreterMessage(chosen.failures));
    void showSettingsError(noInterpreterMessage(chosen.failures));
    return undefined;
  }
  const { probe, candidate } = chosen;
  const libs = path.join(context.extensionPath, 'bundled', 'libs');
  const plan = envPlan(context, probe);
  const decision = decideServer({
    fit: bundleFit(parseBundleManifest(readText(path.join(libs, 'MANIFEST.json'))), listBundles(libs), probe),
    probe,
    extensionVersion: extensionVersion(context),
    privateEnv: fs.existsSync(plan.python) ? parsePrivateEnvMarker(readText(plan.marker), plan.python) : undefined,
    useInstalled: context.globalState.get<string[]>(USE_INSTALLED_KEY, []).includes(probe.executable),
  });
  if (decision.kind === 'ask') {
    host.log(`No bundled server for ${candidate.command}: ${decision.reason}`);
    prompting ??= askForFallback(host, candidate, probe, decision).finally(() => {
      prompting = undefined;
    });
    return undefined;
  }
  const launch = launchFor(decision, { python: candidate.command, bundledLibsDir: libs, pathSeparator: path.delimiter, env: process.env });
  return { launch, probe, candidate };
}

async function askForFallback(
  host: ServerHost,
  candidate: InterpreterCandidate,
  probe: ProbeResult,
  decision: Extract<Decision, { kind: 'ask' }>,
): Promise<void> {
  const { context } = host;
  const { message, actions } = fallbackPrompt(decision, candidate.command, probe, extensionVersion(context));
  const choice = await vscode.window.showWarningMessage(message, ...actions);
  if (choice === USE_INSTALLED) {
    const chosen = context.globalState.get<string[]>(USE_INSTALLED_KEY, []);
    await context.globalState.update(USE_INSTALLED_KEY, [...chosen, probe.executable]);
    host.log(`Using the context-ls installed in ${probe.executable} (your choice).`);
    await host.restart();
  } else if (choice === INSTALL_PRIVATE) {
    if (await installPrivateEnv(host, envPlan(context, probe))) await host.restart();
  } else if (choice === CHOOSE_INTERPRETER) {
    await openPythonPathSetting();
  }
}

/** Runs the plan with a progress notification; the marker is written only when all succeeded. */
async function installPrivateEnv(host: ServerHost, plan: PrivateEnvPlan): Promise<boolean> {
  const version = extensionVersion(host.context);
  try {
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Context LS: installing context-ls ${version} from PyPI` },
      async (progress) => {
        fs.rmSync(plan.dir, { recursive: true, force: true }); // what a failed attempt left
        fs.mkdirSync(path.dirname(plan.dir), { recursive: true });
        for (const step of plan.steps) {
          const line = `${step.command} ${step.args.join(' ')}`;
          progress.report({ message: step.args.includes('venv') ? 'creating the environment' : 'pip install' });
          host.log(`$ ${line}`);
          const output = await runCommand(step.command, step.args, INSTALL_TIMEOUT_MS);
          if (output.trim()) host.log(output.trim());
        }
        fs.writeFileSync(plan.marker, JSON.stringify({ version, python: plan.python }, null, 2) + '\n');
      },
    );
    host.log(`Installed context-ls ${version} into ${plan.dir}.`);
    return true;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    host.log(`Installing context-ls into ${plan.dir} failed: ${message}`);
    void vscode.window.showErrorMessage(
      `Context LS: installing context-ls ${version} from PyPI failed: ${message}. See "Context LS: Show Server Log".`,
    );
    return false;
  }
}
