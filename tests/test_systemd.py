"""systemd: the daemon's sd_notify messages, and config/monitor.service itself."""

from __future__ import annotations

import configparser
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from monitor import observe
from monitor.daemon import DRAIN_SECONDS
from monitor.loopback import FeedServer, rss

ROOT = Path(__file__).resolve().parents[1]
UNIT = ROOT / "config" / "monitor.service"
VENV_MONITOR = "/opt/monitor/.venv/bin/monitor"


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    """A unix datagram socket standing in for systemd's $NOTIFY_SOCKET."""
    path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(path))
        sock.settimeout(30)
        yield sock, str(path)


def test_the_daemon_reports_ready_then_stopping(
    notify_socket: tuple[socket.socket, str], write_config: Callable[[str], Path]
) -> None:
    sock, address = notify_socket
    with FeedServer() as server:
        server.put("/a.xml", rss("News", []))
        config = write_config(f'database = "d.db"\n[[feeds]]\nname = "a"\nurl = "{server.url("/a.xml")}"\n')
        daemon = subprocess.Popen(
            [sys.executable, "-m", "monitor", "--config", str(config), "run"],
            env={**os.environ, "NOTIFY_SOCKET": address},
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            try:
                ready = sock.recv(4096).decode()
            except TimeoutError:
                daemon.kill()
                raise AssertionError(daemon.communicate()[1]) from None
            assert daemon.poll() is None
            daemon.send_signal(signal.SIGTERM)
            stopping = sock.recv(4096).decode()
            _out, err = daemon.communicate(timeout=DRAIN_SECONDS * 4)
        finally:
            if daemon.poll() is None:
                daemon.kill()
    assert ready.splitlines() == ["READY=1", "STATUS=polling 1 feeds"]
    assert stopping == "STOPPING=1"
    assert daemon.returncode == 0, err


def test_sd_notify_to_an_abstract_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    name = f"monitor-test-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(5)
        monkeypatch.setenv("NOTIFY_SOCKET", "@" + name)
        assert observe.sd_notify("READY=1")
        assert sock.recv(64) == b"READY=1"


def test_sd_notify_without_systemd_does_nothing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert not observe.sd_notify("READY=1")
    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "nobody-listens"))
    assert not observe.sd_notify("READY=1")  # logged, never raised: the daemon keeps running


def unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",), strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # systemd keys are case-sensitive
    parser.read_string(UNIT.read_text(encoding="utf-8"))
    return parser


def seconds(value: str) -> float:
    match = re.fullmatch(r"(\d+)(s|min)?", value)
    assert match, value
    return int(match[1]) * (60 if match[2] == "min" else 1)


def test_the_unit_has_what_the_daemon_needs() -> None:
    service = unit()["Service"]
    assert service["Type"] == "notify"  # the daemon sends READY=1 (tested above)
    command = service["ExecStart"].split()
    assert command[0] == VENV_MONITOR
    assert command[1:3] == ["--config", "/etc/monitor/monitor.toml"]
    assert command[3] == "run"
    assert observe.parse_address(command[command.index("--http") + 1]) == ("127.0.0.1", 9180)
    assert service["Restart"] == "on-failure"
    assert seconds(service["RestartSec"]) > 0
    assert service["RestartPreventExitStatus"] == "2"  # config errors: see the README's exit status
    # The drain waits DRAIN_SECONDS for polls, the writer and deliveries, one after another.
    assert seconds(service["TimeoutStopSec"]) > 3 * DRAIN_SECONDS


def test_the_unit_is_sandboxed() -> None:
    service = unit()["Service"]
    expected = {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "LockPersonality": "yes",
        "CapabilityBoundingSet": "",
        "SystemCallFilter": "@system-service",
        "ReadWritePaths": "/var/lib/monitor",
        "StateDirectory": "monitor",
    }
    assert {key: service.get(key) for key in expected} == expected
    assert set(service["RestrictAddressFamilies"].split()) == {"AF_INET", "AF_INET6", "AF_UNIX"}


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_analyze_verifies_the_unit(tmp_path: Path) -> None:
    # verify checks that ExecStart exists; point it at this environment's `monitor` (or python).
    real = shutil.which("monitor", path=str(Path(sys.executable).parent)) or sys.executable
    copy = tmp_path / "monitor.service"
    copy.write_text(UNIT.read_text(encoding="utf-8").replace(VENV_MONITOR, real), encoding="utf-8")
    result = subprocess.run(
        ["systemd-analyze", "verify", str(copy)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # unknown keys and bad values are only warnings: allow none
