"""`benchaudit server` (issue 15), driven as an editor drives it: a language client over stdio
(JSON-RPC with Content-Length framing) opens a flawed and a clean document, edits one so a
finding appears and another so one disappears, asks for code actions and applies one, hovers a
rule code, opens a document that does not parse, and shuts the server down."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pygls")

ROOT = Path(__file__).resolve().parents[1]
FLAWED = """\
import time

import torch

model = torch.nn.Linear(512, 512).cuda()
x = torch.randn(8, 512, device="cuda")
for _ in range(3):
    model(x)
torch.cuda.synchronize()
start = time.perf_counter()
for _ in range(10):
    model(x)
elapsed = time.perf_counter() - start
print(elapsed / 10)
"""
CLEAN = "import os\n\nprint(os.getcwd())\n"
PER_PROMPT = """\
import time

import torch
from diffusers import StableDiffusionPipeline

pipe = StableDiffusionPipeline.from_pretrained("runwayml/stable-diffusion-v1-5").to("cuda")
prompts = ["a red car", "a blue boat", "a green tree"]
pipe(prompts)
pipe(prompts)
torch.cuda.synchronize()
start = time.perf_counter()
for prompt in prompts:
    pipe(prompt)
torch.cuda.synchronize()
print((time.perf_counter() - start) / len(prompts))
"""


class Client:
    def __init__(self, cwd: Path) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "auditor.cli", "server"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env=env,
        )
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self.next_id = 0
        self.pending: list[dict[str, Any]] = []  # read while waiting for something else
        self.last: dict[str, list[dict[str, Any]]] = {}
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        stream = self.proc.stdout
        assert stream is not None
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            assert length is not None
            self.messages.put(json.loads(stream.read(length)))

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        self.proc.stdin.flush()

    def notify(self, method: str, params: dict[str, Any]) -> None:
        self.send({"method": method, "params": params})

    def request(self, method: str, params: dict[str, Any]) -> Any:
        self.next_id += 1
        wanted = self.next_id
        self.send({"id": wanted, "method": method, "params": params})
        while True:
            message = self.messages.get(timeout=60)
            if message.get("id") == wanted and "method" not in message:
                assert "error" not in message, message
                return message.get("result")
            self.pending.append(message)

    def diagnostics_cache(self, uri: str) -> list[dict[str, Any]]:
        return self.last[uri]

    def diagnostics(self, uri: str) -> list[dict[str, Any]]:
        """The next diagnostics published for `uri`."""
        for i, message in enumerate(self.pending):
            if message.get("method") == "textDocument/publishDiagnostics":
                if message["params"]["uri"] == uri:
                    del self.pending[i]
                    return list(message["params"]["diagnostics"])
        while True:
            message = self.messages.get(timeout=60)
            if (
                message.get("method") == "textDocument/publishDiagnostics"
                and message["params"]["uri"] == uri
            ):
                return list(message["params"]["diagnostics"])
            self.pending.append(message)


def _apply(text: str, edits: list[dict[str, Any]]) -> str:
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))

    def at(pos: dict[str, int]) -> int:
        return offsets[pos["line"]] + pos["character"]

    for edit in sorted(edits, key=lambda e: at(e["range"]["start"]), reverse=True):
        start, end = at(edit["range"]["start"]), at(edit["range"]["end"])
        text = text[:start] + edit["newText"] + text[end:]
    return text


def test_an_editor_sees_findings_applies_an_action_and_shuts_the_server_down(
    tmp_path: Path,
) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.benchaudit]\n")
    client = Client(tmp_path)
    try:
        init = client.request(
            "initialize",
            {"processId": os.getpid(), "rootUri": tmp_path.as_uri(), "capabilities": {}},
        )
        capabilities = init["capabilities"]
        assert capabilities["hoverProvider"] and capabilities["codeActionProvider"]
        client.notify("initialized", {})

        bench, clean = (tmp_path / "bench.py").as_uri(), (tmp_path / "clean.py").as_uri()
        doc = {"languageId": "python", "version": 1}
        client.notify(
            "textDocument/didOpen", {"textDocument": {"uri": bench, "text": FLAWED, **doc}}
        )
        found = client.diagnostics(bench)
        (unsynced,) = [d for d in found if d["code"] == "BA101"]
        assert unsynced["source"] == "benchaudit" and unsynced["range"]["start"]["line"] == 12
        assert unsynced["codeDescription"]["href"].endswith("#unsynchronized-timer-ba101")
        assert unsynced["message"].startswith("[unsynchronized-timer]")
        client.notify(
            "textDocument/didOpen", {"textDocument": {"uri": clean, "text": CLEAN, **doc}}
        )
        assert client.diagnostics(clean) == []

        # the clean document is edited into a flawed one: its finding appears
        client.notify(
            "textDocument/didChange",
            {"textDocument": {"uri": clean, "version": 2}, "contentChanges": [{"text": FLAWED}]},
        )
        changed = client.diagnostics(clean)
        assert "BA101" in {d["code"] for d in changed}
        client.last[clean] = changed

        # code actions on the finding: the suppression, applied; the finding disappears
        actions = client.request(
            "textDocument/codeAction",
            {
                "textDocument": {"uri": bench},
                "range": unsynced["range"],
                "context": {"diagnostics": [unsynced]},
            },
        )
        titles = [a["title"] for a in actions]
        assert "Suppress BA101 on this line" in titles
        suppress = actions[titles.index("Suppress BA101 on this line")]
        edited = _apply(FLAWED, suppress["edit"]["changes"][bench])
        assert "elapsed = time.perf_counter() - start  # benchaudit: ignore[BA101]" in edited
        client.notify(
            "textDocument/didChange",
            {"textDocument": {"uri": bench, "version": 2}, "contentChanges": [{"text": edited}]},
        )
        after = {d["code"] for d in client.diagnostics(bench)}
        assert "BA101" not in after and "BA001" not in after

        # the fix, a safe one, is the preferred quick fix: applied, the finding disappears
        (flagged,) = [d for d in client.diagnostics_cache(clean) if d["code"] == "BA101"]
        actions = client.request(
            "textDocument/codeAction",
            {
                "textDocument": {"uri": clean},
                "range": flagged["range"],
                "context": {"diagnostics": [flagged]},
            },
        )
        (fix,) = [a for a in actions if a.get("isPreferred")]
        assert (
            fix["title"].startswith("Call `torch.cuda.synchronize()`") and fix["kind"] == "quickfix"
        )
        fixed = _apply(FLAWED, fix["edit"]["changes"][clean])
        client.notify(
            "textDocument/didChange",
            {"textDocument": {"uri": clean, "version": 3}, "contentChanges": [{"text": fixed}]},
        )
        assert "BA101" not in {d["code"] for d in client.diagnostics(clean)}

        # an unsafe fix is offered titled so, never as the preferred action
        loop = (tmp_path / "loop.py").as_uri()
        client.notify(
            "textDocument/didOpen", {"textDocument": {"uri": loop, "text": PER_PROMPT, **doc}}
        )
        (per_prompt,) = [d for d in client.diagnostics(loop) if d["code"] == "BA201"]
        actions = client.request(
            "textDocument/codeAction",
            {
                "textDocument": {"uri": loop},
                "range": per_prompt["range"],
                "context": {"diagnostics": [per_prompt]},
            },
        )
        (unsafe,) = [a for a in actions if a["title"].endswith("(BA201, unsafe)")]
        assert not unsafe.get("isPreferred") and unsafe["edit"]["changes"][loop]

        # hover on a rule code (the one in the suppression just added)
        column = edited.splitlines()[12].index("BA101") + 2
        hover = client.request(
            "textDocument/hover",
            {"textDocument": {"uri": bench}, "position": {"line": 12, "character": column}},
        )
        assert hover["contents"]["value"].startswith("**BA101 unsynchronized-timer**")

        # a document that does not parse publishes its syntax error
        broken = (tmp_path / "broken.py").as_uri()
        client.notify(
            "textDocument/didOpen", {"textDocument": {"uri": broken, "text": "def f(:\n", **doc}}
        )
        (error,) = client.diagnostics(broken)
        assert error["message"].startswith("syntax error") and error["code"] == "parse-error"

        assert client.request("shutdown", {}) is None
        client.notify("exit", {})
        assert client.proc.wait(timeout=30) == 0
    finally:
        if client.proc.poll() is None:
            client.proc.kill()
            client.proc.wait()


def test_without_pygls_the_command_says_how_to_install_it(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": f"{ROOT}"}
    code = (
        "import sys, importlib.util; "
        "real = importlib.util.find_spec; "
        "importlib.util.find_spec = lambda n, *a: None if n == 'pygls' else real(n, *a); "
        "sys.argv = ['benchaudit', 'server']; "
        "from auditor.cli import main; main()"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        "error: `benchaudit server` needs pygls: pip install 'benchaudit[server]'"
    )
