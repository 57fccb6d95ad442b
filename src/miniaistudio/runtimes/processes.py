"""The one way the studio starts child processes (ffmpeg, ffprobe, piper, espeak-ng, pip...).

Children must not outlive the server. Two mechanisms, because either alone has a gap:

- **Parent-death signal**: each child is started through util-linux's ``setpriv --pdeathsig KILL``,
  which asks the kernel (``PR_SET_PDEATHSIG``) to kill it when the thread that created it exits,
  then execs the real command (same pid). No Python runs between fork and exec: a ``preexec_fn``
  is not safe in a threaded server (a child forked while another thread holds a lock can hang
  before exec — it did, with two video nodes running side by side). The studio creates children
  from long-lived threads (the executor's pool workers, the event loop, the default
  ``to_thread`` pool), which live as long as the process and always wait for their child before
  returning; so a kill -9 of the server kills every child at once.
- **A pid file** under the data dir lists live children with their start time and command line;
  start-up kills leftovers whose ``/proc`` entry still matches (a kernel without PDEATHSIG, a
  child that re-parented). A recycled pid never matches, so no stranger is ever signalled.

Children run in their own session (``start_new_session``) so cancel can kill a whole process
group (ffmpeg's helpers included) without touching the server.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

def _parent_death_prefix() -> list[str]:
    """The argv prefix that arms PDEATHSIG=SIGKILL before exec; empty where setpriv is missing."""
    if not sys.platform.startswith("linux"):
        return []
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "KILL", "--"] if setpriv else []


@dataclass(frozen=True)
class _Child:
    pid: int
    start_time: int
    cmdline: str  # NUL-joined argv, as /proc/<pid>/cmdline shows it


def _proc_start_time(pid: int) -> int | None:
    """Clock ticks after boot at which ``pid`` started (field 22 of /proc/<pid>/stat)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()
    try:
        return int(fields[19])
    except (IndexError, ValueError):
        return None


def _proc_cmdline(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().rstrip(b"\0").decode("utf-8", "replace")
    except OSError:
        return None


class ChildProcesses:
    """Starts children with a parent-death signal and records them in ``pid_file`` while they live."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._live: dict[int, _Child] = {}
        self._pid_file: Path | None = None
        self._prefix: list[str] | None = None

    def record_in(self, pid_file: Path | None) -> None:
        """Keep the list of live children in ``pid_file`` (None: keep no file)."""
        with self._lock:
            self._pid_file = pid_file
            self._write_locked()

    def popen(self, argv: Sequence[str], **kwargs: Any) -> subprocess.Popen[Any]:
        """``subprocess.Popen`` in a new session, armed to die with the server, recorded until :meth:`done`."""
        if self._prefix is None:
            self._prefix = _parent_death_prefix()
        kwargs.setdefault("start_new_session", True)
        proc: subprocess.Popen[Any] = subprocess.Popen([*self._prefix, *argv], **kwargs)
        child = _Child(proc.pid, _proc_start_time(proc.pid) or 0, "\0".join(str(a) for a in argv))
        with self._lock:
            self._live[proc.pid] = child
            self._write_locked()
        return proc

    def done(self, proc: subprocess.Popen[Any]) -> None:
        """The child has been waited for: forget it."""
        with self._lock:
            if self._live.pop(proc.pid, None) is not None:
                self._write_locked()

    def run(self, argv: Sequence[str], *, timeout: float | None = None, text: bool = True,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[Any]:
        """Like ``subprocess.run(argv, capture_output=True)``; on timeout the whole group is killed."""
        proc = self.popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=text, env=env, **({"errors": "replace"} if text else {}))
        try:
            try:
                out, err = proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                kill_group(proc.pid)
                proc.communicate()
                raise
            except BaseException:
                kill_group(proc.pid)
                proc.wait()
                raise
        finally:
            self.done(proc)
        return subprocess.CompletedProcess(list(argv), proc.returncode, out, err)

    def _write_locked(self) -> None:
        if self._pid_file is None:
            return
        owner = os.getpid()
        body = {"owner": {"pid": owner, "start_time": _proc_start_time(owner)},
                "children": [c.__dict__ for c in self._live.values()]}
        tmp = self._pid_file.with_name(f".{self._pid_file.name}.{owner}.tmp")
        try:
            tmp.write_text(json.dumps(body))
            os.replace(tmp, self._pid_file)
        except OSError as exc:
            log.warning("could not record child processes: %s", exc)


def kill_group(pid: int) -> None:
    """SIGKILL a child's process group (it leads its own session), or the child alone."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGKILL)


def _read(pid_file: Path) -> dict[str, Any] | None:
    try:
        body = json.loads(pid_file.read_text())
    except (OSError, ValueError):
        return None
    return body if isinstance(body, dict) else None


def recording_server_runs(pid_file: Path) -> bool:
    """True when another live process (same pid and start time) keeps ``pid_file``."""
    owner = (_read(pid_file) or {}).get("owner") or {}
    pid, start = owner.get("pid"), owner.get("start_time")
    return (isinstance(pid, int) and pid != os.getpid() and start is not None
            and _proc_start_time(pid) == start)


def kill_leftovers(pid_file: Path) -> int:
    """At start-up: kill the children an earlier server recorded and left running; returns how many.

    Nothing is done while the recording server still runs (same pid and start time), and a
    child is signalled only if its pid still names the very process recorded (start time and
    command line match), never a later process that reuses the pid.
    """
    body = _read(pid_file)
    if body is None:
        return 0
    if recording_server_runs(pid_file):
        log.warning("another studio process still runs on this data dir; its children are left alone")
        return 0
    killed = 0
    for item in body.get("children") or []:
        try:
            child = _Child(int(item["pid"]), int(item["start_time"]), str(item["cmdline"]))
        except (KeyError, TypeError, ValueError):
            continue
        if _proc_start_time(child.pid) == child.start_time and _proc_cmdline(child.pid) == child.cmdline:
            kill_group(child.pid)
            killed += 1
    with contextlib.suppress(OSError):
        pid_file.unlink()
    return killed


#: The studio's one spawner; every child process starts here.
children = ChildProcesses()
