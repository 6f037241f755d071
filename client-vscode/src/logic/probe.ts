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
