"""Real local servers for tests, started and stopped by PID: `transformers serve` (an OpenAI-compatible
server for a tiny local model) and a scripted misbehaving server for retry tests."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def transformers_serve(model_path: str, log_path: Path, timeout: float = 90.0):
    """Run `transformers serve <model_path>` on 127.0.0.1; yield its /v1 base URL; SIGTERM it after."""
    port = free_port()
    exe = Path(sys.executable).with_name("transformers")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [str(exe), "serve", model_path, "--device", "cpu", "--host", "127.0.0.1", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"transformers serve exited early:\n{log_path.read_text()[-3000:]}")
            try:
                if requests.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"transformers serve not healthy after {timeout}s:\n{log_path.read_text()[-3000:]}"
                )
            time.sleep(0.25)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class ScriptedServer:
    """An OpenAI-style /v1/chat/completions endpoint that plays a script of behaviours, one per request:
    an int (HTTP status with an error body), "garbage" (200 with non-JSON), "hang" (no answer until the
    client times out), "ok" (a valid completion echoing the request number) or {"content": text}."""

    def __init__(self, script: list, hang_seconds: float = 3.0):
        self.script, self.hang_seconds = list(script), hang_seconds
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with server.lock:
                    number = len(server.requests)
                    server.requests.append({"body": body, "auth": self.headers.get("Authorization")})
                    action = server.script[number] if number < len(server.script) else "ok"
                if action == "hang":
                    time.sleep(server.hang_seconds)
                    return
                if action == "garbage":
                    self._send(200, b"<html>not json</html>", "text/html")
                elif isinstance(action, dict):  # a scripted assistant reply
                    payload = {"choices": [{"message": {"role": "assistant", "content": action["content"]}}]}
                    self._send(200, json.dumps(payload).encode(), "application/json")
                elif action == "ok":
                    payload = {"choices": [{"message": {"role": "assistant", "content": f"answer {number}"}}]}
                    self._send(200, json.dumps(payload).encode(), "application/json")
                else:
                    headers = {"Retry-After": "0"} if action == 429 else {}
                    self._send(int(action), b'{"error": "scripted"}', "application/json", headers)

            def _send(self, status, data, kind, headers=None):
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
