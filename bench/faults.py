"""Faults a ceremony meets, injected on purpose: one home for the crash tests and bench/live.py --chaos.

- `PrivateRedis`: a redis-server of our own on a free port, nothing on disk, so a restart empties
  it (never the system Redis: other people use it).
- `CuttableProxy`: a TCP proxy in front of PostgreSQL; `cut()` aborts every connection and
  refuses new ones until `restore()` (never stop the system PostgreSQL).
- `Supervised`: a server process restarted after it dies, the way docs/deploy.md's supervisor
  does it (systemd `Restart=always`, `RestartSec` left at systemd's default of 100 ms).
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import threading
import time
from pathlib import Path

# systemd's DefaultRestartSec (man systemd-system.conf): the unit in docs/deploy.md sets
# `Restart=always` and no RestartSec, so a killed server is started again 100 ms later.
SYSTEMD_RESTART_SEC = 0.1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateRedis:
    """A redis-server of our own on a free port: nothing on disk, so a restart empties it."""

    def __init__(self, directory: Path):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log = Path(directory) / "redis.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no", "--maxclients", "20000", "--logfile", str(self.log)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while (
            subprocess.run(
                ["redis-cli", "-p", str(self.port), "ping"], capture_output=True, text=True
            ).stdout.strip()
            != "PONG"
        ):
            assert self.process.poll() is None, self.log.read_text()[-2000:]
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def keys(self) -> int:
        out = subprocess.run(["redis-cli", "-p", str(self.port), "dbsize"], capture_output=True)
        return int(out.stdout.strip())


class CuttableProxy:
    """Forwards TCP to PostgreSQL; `cut()` aborts every connection and refuses new ones."""

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.port = free_port()
        self.open = True
        self.pairs: set[tuple] = set()
        self.server: asyncio.Server | None = None

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", self.port)

    async def _client(self, reader, writer) -> None:
        if not self.open:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        pair = (writer, up_writer)
        self.pairs.add(pair)
        try:
            await asyncio.gather(
                self._pipe(reader, up_writer), self._pipe(up_reader, writer), return_exceptions=True
            )
        finally:
            self.pairs.discard(pair)

    @staticmethod
    async def _pipe(reader, writer) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            writer.transport.abort()

    def cut(self) -> None:
        self.open = False
        for a, b in list(self.pairs):
            a.transport.abort()
            b.transport.abort()

    def restore(self) -> None:
        self.open = True

    async def stop(self) -> None:
        self.cut()
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


class Supervised:
    """Keeps one server process running like systemd's `Restart=always`: when it exits (even
    killed), it is started again after `restart_sec`. `started` lists every start (monotonic)."""

    def __init__(self, start, restart_sec: float = SYSTEMD_RESTART_SEC):
        self._start = start  # () -> subprocess.Popen
        self.restart_sec = restart_sec
        self.process: subprocess.Popen = start()
        self.started = [time.monotonic()]
        self.exits: list[tuple[float, int]] = []
        self._stopping = False
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stopping:
            code = self.process.wait()
            if self._stopping:
                return
            self.exits.append((time.monotonic(), code))
            time.sleep(self.restart_sec)
            if self._stopping:
                return
            self.process = self._start()
            self.started.append(time.monotonic())

    def stop(self) -> None:
        """Stop supervising (the caller then terminates `process`)."""
        self._stopping = True

    def join(self, timeout: float) -> None:
        """Wait until the supervisor has seen its process end after stop()."""
        self._thread.join(timeout)
