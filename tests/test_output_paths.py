"""Where ``-o`` writes: stdout for ``-``, through devices, pipes and symlinks, atomically
for regular files, and no temporary files left after an interrupted write."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from mtqc import cli
from mtqc.errors import MtqcError
from mtqc.outputs import _write, write_atomic, write_output

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "corpora" / "seed" / "000_901a9486359773a6.txt"


def _leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


def test_dash_writes_to_stdout(capsys):
    code = cli.main(["check", str(SEED), "-f", "json", "-o", "-", "--fail-on", "none"])
    out = capsys.readouterr().out
    assert code == 0 and json.loads(out)["tool"] == "mtqc"
    assert not Path("-").exists()


def test_write_output_none_and_dash_are_stdout(capsys):
    write_output(None, "a")
    write_output("-", "b\n")
    assert capsys.readouterr().out == "a\nb\n"


def test_symlink_is_kept_and_its_target_gets_the_report(tmp_path):
    runs = tmp_path / "runs"
    runs.mkdir()
    run1 = runs / "run-1.json"
    run1.write_text("old")
    os.chmod(run1, 0o640)
    latest = tmp_path / "latest.json"
    latest.symlink_to(Path("runs") / "run-1.json")
    write_atomic(latest, "new ✓")
    assert latest.is_symlink() and os.readlink(latest) == str(Path("runs") / "run-1.json")
    assert run1.read_text(encoding="utf-8") == "new ✓"
    assert stat.S_IMODE(run1.stat().st_mode) == 0o640  # the real file keeps its mode
    assert _leftovers(tmp_path) == [] and _leftovers(runs) == []


def test_dangling_symlink_creates_its_target(tmp_path):
    link = tmp_path / "latest.json"
    link.symlink_to("made.json")
    write_atomic(link, "x")
    assert link.is_symlink() and (tmp_path / "made.json").read_text() == "x"


def test_named_pipe_is_written_through_not_replaced(tmp_path):
    fifo = tmp_path / "report.pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    write_atomic(fifo, "through the pipe\n")
    reader.join(timeout=30)
    assert got == [b"through the pipe\n"]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)  # still a pipe
    assert _leftovers(tmp_path) == []


def test_dev_null_stays_a_device(tmp_path):
    before = os.stat("/dev/null")
    write_atomic("/dev/null", "discarded")
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_ino == before.st_ino
    code = cli.main(["check", str(SEED), "-o", "/dev/null", "--fail-on", "none"])
    assert code == 0 and stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_cli_to_a_pipe_reader_gets_the_report(tmp_path):
    """`mtqc check -o FIFO` in a real process: the pipe's reader receives the JSON."""
    fifo = tmp_path / "out.pipe"
    os.mkfifo(fifo)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mtqc",
            "check",
            str(SEED),
            "-f",
            "json",
            "-o",
            str(fifo),
            "--fail-on",
            "none",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    data = fifo.read_bytes()
    assert proc.wait(timeout=120) == 0, proc.stderr.read()
    assert json.loads(data)["tool"] == "mtqc"
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_directory_is_a_clear_error(tmp_path):
    with pytest.raises(MtqcError, match="is a directory"):
        write_atomic(tmp_path, "x")


def test_sigterm_during_write_leaves_no_temporary_file(tmp_path, monkeypatch, capsys):
    """SIGTERM arriving while the report is being written: exit 143, old file intact,
    no temporary file left."""
    out = tmp_path / "out.json"
    out.write_text("previous run")
    real_fsync = os.fsync

    def fsync_then_term(fd):
        real_fsync(fd)
        os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(_write.os, "fsync", fsync_then_term)
    code = cli.main(["check", str(SEED), "-f", "json", "-o", str(out), "--fail-on", "none"])
    assert code == 143 and "terminated" in capsys.readouterr().err
    assert out.read_text() == "previous run"
    assert _leftovers(tmp_path) == []
    assert signal.getsignal(signal.SIGTERM) is not cli._on_sigterm  # handler restored


def test_leftovers_of_a_killed_run_are_removed_by_the_next_write(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".out.json.mtqc-{dead.pid}-0badc0de.tmp"
    stale.write_text("half a report")
    live = tmp_path / f".out.json.mtqc-{os.getppid()}-00000001.tmp"  # a live process
    live.write_text("in flight")
    other = tmp_path / f".other.json.mtqc-{dead.pid}-0badc0de.tmp"  # another target's
    other.write_text("x")
    write_atomic(tmp_path / "out.json", "new")
    names = sorted(p.name for p in tmp_path.iterdir())
    assert stale.name not in names
    assert live.name in names and other.name in names
    # old enough: removed whatever the pid
    assert (
        _write.remove_stale_temporaries(
            tmp_path / "out.json", now=live.stat().st_mtime + _write.STALE_AFTER_S + 1
        )
        == 1
    )
    assert not live.exists()


def test_temporary_file_is_recognisable_and_beside_the_real_target(tmp_path, monkeypatch):
    real = tmp_path / "real"
    real.mkdir()
    (real / "r.json").write_text("x")
    (tmp_path / "r.json").symlink_to(real / "r.json")
    seen: list[str] = []
    original = _write.os.replace

    def spy(src, dst):
        seen.append(os.fspath(src))
        return original(src, dst)

    monkeypatch.setattr(_write.os, "replace", spy)
    write_atomic(tmp_path / "r.json", "y")
    assert len(seen) == 1
    tmp = Path(seen[0])
    assert tmp.parent == real and tmp.name.startswith(".r.json.mtqc-")
    assert tmp.name.endswith(".tmp")


def test_dev_stdout_redirected_to_a_file_is_written_into_that_open_file(tmp_path):
    """`mtqc check -o /dev/stdout >> log` appends to the shell's file, never replaces it."""
    log = tmp_path / "log.txt"
    log.write_text("earlier line\n")
    with open(log, "a") as out:
        code = subprocess.call(
            [sys.executable, "-m", "mtqc", "check", str(SEED), "-f", "jsonl", "-o", "/dev/stdout",
             "--fail-on", "none"],
            stdout=out,
        )  # fmt: skip
    assert code == 0
    text = log.read_text()
    assert text.startswith("earlier line\n") and '"score"' in text
    assert _leftovers(tmp_path) == []
