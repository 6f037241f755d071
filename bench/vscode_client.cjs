// The server through VS Code's own JSON-RPC stack (vscode-jsonrpc, what
// vscode-languageclient runs on) with VS Code's pull-diagnostics flow: didOpen then
// textDocument/diagnostic, didChange then textDocument/diagnostic. Used by bench_lsp.py:
//
//   node bench/vscode_client.cjs FILE EDITS TRIM_DELAY SERVER_COMMAND...
//
// Prints one JSON object: open and edit times (seconds), findings, the server's RSS.
"use strict";

const fs = require("fs");
const path = require("path");
const { spawn } = require("child_process");
const { createRequire } = require("module");

const fromClient = createRequire(path.join(__dirname, "..", "client-vscode", "package.json"));
const rpc = fromClient("vscode-jsonrpc/node");

function rssMb(pid, field = "VmRSS") {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const line = status.split("\n").find((l) => l.startsWith(`${field}:`));
  return line ? Number(line.split(/\s+/)[1]) / 1024 : NaN;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function main() {
  const [file, editsArg, trimDelay, ...command] = process.argv.slice(2);
  const edits = Number(editsArg);
  const server = spawn(command[0], command.slice(1), { stdio: ["pipe", "pipe", "inherit"] });
  const connection = rpc.createMessageConnection(
    new rpc.StreamMessageReader(server.stdout),
    new rpc.StreamMessageWriter(server.stdin),
  );
  let refreshes = 0;
  connection.onRequest("workspace/diagnostic/refresh", () => {
    refreshes += 1;
    return null;
  });
  connection.onRequest("client/registerCapability", () => null);
  connection.onRequest("window/workDoneProgress/create", () => null);
  connection.onRequest("workspace/configuration", (params) => params.items.map(() => null));
  connection.onNotification(() => {});
  connection.listen();

  const folder = "file://" + path.dirname(path.resolve(file));
  await connection.sendRequest("initialize", {
    processId: process.pid,
    clientInfo: { name: "Visual Studio Code", version: "bench" },
    rootUri: folder,
    workspaceFolders: [{ uri: folder, name: "bench" }],
    capabilities: {
      textDocument: {
        synchronization: { dynamicRegistration: true, didSave: true },
        diagnostic: { dynamicRegistration: true, relatedDocumentSupport: false },
      },
      workspace: {
        configuration: true,
        workspaceFolders: true,
        // VS Code watches files for the server (so the server starts no watcher of its own).
        didChangeWatchedFiles: { dynamicRegistration: true, relativePatternSupport: true },
        diagnostics: { refreshSupport: true },
      },
      window: { workDoneProgress: true },
    },
    initializationOptions: { contextLs: { pendingGraceSeconds: 0 } },
  });
  connection.sendNotification("initialized", {});
  await sleep(300);
  const idleRss = rssMb(server.pid);

  const uri = "file://" + path.resolve(file);
  const text = fs.readFileSync(file, "utf8");
  const pull = () => connection.sendRequest("textDocument/diagnostic", { textDocument: { uri } });
  let start = performance.now();
  connection.sendNotification("textDocument/didOpen", {
    textDocument: { uri, languageId: "jsonl", version: 1, text },
  });
  const sent = performance.now() - start;
  const opened = await pull();
  const open = (performance.now() - start) / 1000;
  await sleep(1500); // the full read after the first look, then steady state

  const middle = Math.floor(text.split("\n").length / 2);
  let last = opened;
  const edit = async (n) => {
    const at = { line: middle, character: 0 };
    const change =
      n % 2 === 0
        ? { range: { start: at, end: at }, text: "x" }
        : { range: { start: at, end: { line: middle, character: 1 } }, text: "" };
    const begin = performance.now();
    connection.sendNotification("textDocument/didChange", {
      textDocument: { uri, version: n + 2 },
      contentChanges: [change],
    });
    last = await pull();
    return (performance.now() - begin) / 1000;
  };
  const times = [];
  for (let n = 0; n < edits; n++) times.push(await edit(n));
  await sleep(500);
  const rssTyping = rssMb(server.pid);
  await sleep((Number(trimDelay) + 1) * 1000); // quiet: the server gives memory back
  const rss = rssMb(server.pid);
  const peak = rssMb(server.pid, "VmHWM");
  const afterIdle = await edit(edits);
  // That edit adds a character (edits is even): the records after it have moved.
  await sleep((Number(trimDelay) + 1) * 1000);
  const rssMoved = rssMb(server.pid);
  const result = {
    open,
    client_send: sent / 1000,
    open_findings: opened.items.length,
    edits: times,
    edit_after_idle: afterIdle,
    edit_findings: last.items.length,
    refreshes,
    idle_rss: idleRss,
    rss_typing: rssTyping,
    rss_moved: rssMoved,
    rss,
    peak,
  };
  await connection.sendRequest("shutdown");
  connection.sendNotification("exit");
  connection.dispose();
  process.stdout.write(JSON.stringify(result) + "\n");
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error) + "\n");
  process.exit(1);
});
