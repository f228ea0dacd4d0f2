"""A pre-imported `monitor` that forks commands on request, for kill -9 tests.

Starting Python and importing the monitor takes ~1 s; a crash test that kills a hundred
runs would spend most of its time there, and its random kills would mostly land in
imports. This process imports everything once (it starts no threads; it also compiles
the shipped watch once, so the children inherit a warm regex cache), then for each
request on stdin forks a child that runs the real CLI entry point, `monitor.cli.main`,
exactly as the `monitor` command does:

    stdout: {"ready": true}                once, when the imports are done
    stdin:  {"argv": ["--config", PATH, "run", "--once"], "log": PATH}
    stdout: {"pid": 1234}                  as soon as the child exists (kill it if you like)
            {"pid": 1234, "exit": 0}       or {"pid": 1234, "signal": 9} when it is over

One child at a time. The child's stdout and stderr go to the "log" file.
"""

from __future__ import annotations

import json
import os
import sys

import monitor.daemon
import monitor.pipeline
from monitor import cli, watch

_PREIMPORTED = (monitor.daemon, monitor.pipeline)


def _child(argv: list[str], log: str) -> None:
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    sys.argv = ["monitor", *argv]
    code = 1
    try:
        cli.main()
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def main() -> None:
    watch.shipped_watch()  # warms the regex cache the children inherit (~0.25 s per run otherwise)
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(request["argv"], request["log"])
        print(json.dumps({"pid": pid}), flush=True)
        _, status = os.waitpid(pid, 0)
        if os.WIFSIGNALED(status):
            print(json.dumps({"pid": pid, "signal": os.WTERMSIG(status)}), flush=True)
        else:
            print(json.dumps({"pid": pid, "exit": os.WEXITSTATUS(status)}), flush=True)


if __name__ == "__main__":
    main()
