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
