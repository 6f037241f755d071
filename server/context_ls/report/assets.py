"""The report's inline stylesheet and script (no network: everything is in the page)."""

from __future__ import annotations

CSS = """
:root {
  --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --soft: #f6f8fa; --bg: #ffffff;
  --success: #2da44e; --failed: #cf222e; --synthetic: #8c959f; --pending: #d4a72c;
  --missing: #a40e26; --orphan: #e16f24; --unknown: #8250df; --record: #57606a;
  --user: #0969da; --accent: #0969da;
}
* { box-sizing: border-box; }
body {
  margin: 0; padding: 24px 32px 48px; color: var(--fg); background: var(--bg);
  font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
    "Noto Sans", sans-serif;
}
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono",
  monospace; font-size: 12px; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
h1 { font-size: 22px; margin: 0 0 2px; overflow-wrap: anywhere; }
h2 { font-size: 17px; margin: 28px 0 10px; padding-bottom: 6px; border-bottom: 1px solid var(--line); }
.sub { color: var(--muted); margin: 0 0 18px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 10px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; background: var(--soft); }
.card .k { color: var(--muted); font-size: 12px; }
.card .v { font-size: 20px; font-weight: 600; overflow-wrap: anywhere; }
.card.bad .v { color: var(--failed); }
.tables { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 20px; margin-top: 16px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; color: var(--muted); font-weight: 600; }
td.n { text-align: right; font-variant-numeric: tabular-nums; width: 1%; white-space: nowrap; }
.meter { height: 8px; border-radius: 4px; background: var(--user); opacity: .55; min-width: 2px; }
.notice { border: 1px solid #d4a72c; background: #fff8c5; border-radius: 8px; padding: 10px 14px; margin: 12px 0; }
.empty { border: 1px dashed var(--line); border-radius: 8px; padding: 28px; text-align: center; color: var(--muted); }
.sev { display: inline-block; width: 9px; height: 9px; border-radius: 50%; margin-right: 6px; }
.sev.error { background: var(--failed); } .sev.warning { background: var(--pending); }
.sev.info { background: var(--user); }
.findings td.code { white-space: nowrap; }
.findings td.msg { overflow-wrap: anywhere; }
.findings td.id { max-width: 240px; overflow-wrap: anywhere; }
.legend { display: flex; flex-wrap: wrap; gap: 8px 18px; margin: 8px 0 12px; color: var(--muted); font-size: 13px; }
.legend span { display: inline-flex; align-items: center; gap: 6px; }
.sw { display: inline-block; width: 22px; height: 10px; border-radius: 3px; }
.controls { margin: 4px 0 10px; color: var(--muted); font-size: 13px; }
.axis, .row { display: grid; grid-template-columns: 360px minmax(200px, 1fr) 190px; gap: 12px; align-items: center; }
.axis { color: var(--muted); font-size: 12px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
.axis .ends { display: flex; justify-content: space-between; }
.row { min-height: 28px; padding: 2px 0; border-bottom: 1px solid #eef1f4; }
.row:target { background: #fff8c5; }
.row:hover { background: var(--soft); }
.lab { min-width: 0; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.lab .ln { color: var(--muted); font-size: 12px; display: inline-block; min-width: 64px; margin-right: 4px; white-space: nowrap; }
.lab .tool { font-weight: 600; }
.lab .cid { color: var(--muted); margin-left: 6px; }
.track { position: relative; height: 16px; background: linear-gradient(var(--line), var(--line)) 0 50%/100% 1px no-repeat; }
.bar { position: absolute; top: 2px; height: 12px; border-radius: 3px; min-width: 5px; }
.mark { position: absolute; top: 2px; width: 12px; height: 12px; margin-left: -6px; transform: rotate(45deg); border-radius: 2px; }
.tick { position: absolute; top: 0; width: 3px; height: 16px; margin-left: -1px; background: var(--fg); border-radius: 1px; }
.s-success { background: var(--success); }
.s-failed { background: var(--failed); }
.s-synthetic { background: var(--synthetic); }
.s-unknown { background: var(--unknown); }
.s-pending { background: repeating-linear-gradient(135deg, var(--pending) 0 6px, #f5e3a3 6px 12px); }
.s-missing { background: repeating-linear-gradient(135deg, var(--missing) 0 6px, #f4b9c1 6px 12px); }
.s-orphan { background: var(--orphan); }
.s-record { background: var(--record); }
.misplaced { outline: 2px dashed var(--orphan); outline-offset: 1px; }
.info { font-size: 12px; color: var(--muted); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.badge { display: inline-block; font-size: 11px; font-weight: 600; padding: 0 6px; border-radius: 9px; margin-left: 4px; color: #fff; background: var(--failed); }
.badge.warning { background: #9a6700; } .badge.info { background: var(--user); }
.row.user { min-height: 24px; background: #f0f6ff; border-bottom: 1px solid #c8dcf5; }
.row.user .lab { color: var(--user); font-weight: 600; }
.row.user .track { background: linear-gradient(#c8dcf5, #c8dcf5) 0 50%/100% 1px no-repeat; }
.row.user .tick { background: var(--user); }
body.only-flagged .row:not(.flagged) { display: none; }
footer { margin-top: 32px; color: var(--muted); font-size: 12px; }
"""

JS = """
document.getElementById('only-flagged').addEventListener('change', function (e) {
  document.body.classList.toggle('only-flagged', e.target.checked);
});
"""
