/** Runs a Python interpreter with the probe script (Node only, no `vscode`). */
import { execFile } from 'node:child_process';
import { PROBE_SCRIPT, parseProbeOutput, type ProbeResult } from './interpreter';

export function probePython(command: string, timeoutMs = 15000): Promise<ProbeResult> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      ['-I', '-c', PROBE_SCRIPT],
      { timeout: timeoutMs, windowsHide: true, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') {
            reject(new Error('not found'));
          } else {
            reject(new Error((stderr || error.message).trim().split('\n').pop() || error.message));
          }
          return;
        }
        try {
          resolve(parseProbeOutput(stdout));
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      },
    );
  });
}

/** Runs a command to completion; resolves with its output, rejects with the end of stderr. */
export function runCommand(command: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { timeout: timeoutMs, windowsHide: true, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (!error) {
          resolve(`${stdout}${stderr}`);
          return;
        }
        const code = (error as NodeJS.ErrnoException).code;
        const tail = (stderr || stdout || error.message).trim().split('\n').slice(-3).join(' ');
        reject(new Error(code === 'ENOENT' ? `${command} not found` : tail || error.message));
      },
    );
  });
}

export interface ToolResult {
  /** The exit code; null when the process could not start, was killed or timed out. */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to completion and says how it ended, whatever the exit code (the caller
 * tells a refusal from a failure). */
export function runTool(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs: number },
): Promise<ToolResult> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { env: options.env, cwd: options.cwd, timeout: options.timeoutMs, windowsHide: true, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (!error) {
          resolve({ code: 0, stdout, stderr });
          return;
        }
        const code = typeof error.code === 'number' && !error.killed ? error.code : null;
        const why = code === null && !stderr ? `${command}: ${error.message}` : stderr;
        resolve({ code, stdout: stdout ?? '', stderr: why ?? '' });
      },
    );
  });
}
