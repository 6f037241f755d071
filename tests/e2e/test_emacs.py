"""Real Emacs (batch) + eglot against the real server: the planted H-codes appear as
Emacs's own Flymake diagnostics."""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

import pytest

from ._support import SERVER_CMD, copy_history, expected_codes, require_tool

pytestmark = pytest.mark.e2e

# Eglot 1.9 (Debian 12) and later. Not `-Q`: Debian's site-start puts eglot on the load-path.
ELISP = r"""
(require 'eglot)
(require 'json)
(setq eglot-sync-connect t eglot-connect-timeout 60 eglot-autoshutdown t)
;; The README recipe, with the server command of this checkout.
(define-derived-mode agent-history-mode js-mode "History"
  "JSON/JSONL AI-agent session histories, checked by context-ls.")
(add-to-list 'auto-mode-alist '("\\.jsonl\\'" . agent-history-mode))
(add-to-list 'auto-mode-alist '("\\.json\\'" . agent-history-mode))
(add-to-list 'eglot-server-programs
             `(agent-history-mode . ,(append (json-read-from-string (getenv "CONTEXT_LS_CMD")) nil)))
(add-hook 'agent-history-mode-hook #'eglot-ensure)
(defun ctx-result (ok diags err)
  (princ (concat (json-encode
                  `((ok . ,(if ok t :json-false))
                    (error . ,(or err ""))
                    (mode . ,(symbol-name major-mode))
                    (diagnostics . ,(vconcat diags))))
                 "\n")))
(let ((file (getenv "CONTEXT_LS_FILE"))
      (result nil))
  (condition-case err
      (progn
        (find-file file)
        ;; eglot-ensure connects after the next command; batch Emacs runs none.
        (run-hooks 'post-command-hook)
        (unless (eglot-current-server) (error "eglot did not connect"))
        (flymake-mode 1)
        (let ((deadline (+ (float-time) 60)))
          (while (and (null (flymake-diagnostics)) (< (float-time) deadline))
            (flymake-start)
            (accept-process-output nil 0.1)))
        (setq result (mapcar (lambda (d)
                               `((text . ,(flymake-diagnostic-text d))
                                 (line . ,(line-number-at-pos (flymake-diagnostic-beg d)))
                                 (type . ,(symbol-name (flymake-diagnostic-type d)))))
                             (flymake-diagnostics)))
        (ctx-result t result nil)
        (ignore-errors (eglot-shutdown (eglot-current-server)))
        (kill-emacs 0))
    (error (ctx-result nil result (error-message-string err))
           (kill-emacs 1))))
"""

CODE_RE = re.compile(r"^context-ls \[(H\d{3})\]: ")


@pytest.mark.parametrize("example", ["anthropic-messages.json", "claude-code-session.jsonl"])
def test_emacs_eglot_diagnostics(
    example: str, tmp_path: Path, isolated_home: dict[str, str]
) -> None:
    emacs = require_tool("emacs", "apt-get install -y emacs-nox elpa-eglot")
    work = tmp_path / "work"
    history = copy_history(example, work)
    script = tmp_path / "test.el"
    script.write_text(ELISP, encoding="utf-8")
    env = dict(isolated_home, CONTEXT_LS_FILE=str(history), CONTEXT_LS_CMD=json.dumps(SERVER_CMD))
    start = time.monotonic()
    proc = subprocess.run(
        [emacs, "--batch", "-l", str(script)],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    elapsed = time.monotonic() - start
    if "Cannot open load file" in proc.stderr and "eglot" in proc.stderr:
        require_tool("eglot-missing", "apt-get install -y elpa-eglot")
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    assert lines, f"no result from Emacs (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    result = json.loads(lines[-1])
    assert result["ok"] is True, f"{result['error']}\n{proc.stderr[-3000:]}"
    codes = sorted(m.group(1) for d in result["diagnostics"] if (m := CODE_RE.match(d["text"])))
    assert codes == expected_codes(example), result["diagnostics"]
    assert result["mode"] == "agent-history-mode"
    assert proc.returncode == 0
    print(f"emacs {example}: {codes} in {elapsed:.1f}s")
