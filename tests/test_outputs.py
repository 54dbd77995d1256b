"""planner.outputs and the store lock: planner-owned folders are replaced, nothing else is; a second
writer waits for the store; a closed pipe ends a command quietly. Refused paths: test_bad_outputs.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from planner import outputs
from planner.cli import main
from planner.exceptions import PathError, StoreError
from planner.outputs import (
    MARKER,
    check_folder,
    claim_folder,
    safe_component,
    write_file,
    write_folder,
)
from planner.store import Store

ROOT = Path(__file__).resolve().parents[1]


def _names(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def test_write_folder_replaces_only_what_planner_wrote(tmp_path):
    target = tmp_path / "out" / "sim"
    with write_folder(target, "planner simulate") as tmp:
        (tmp / "a.csv").write_text("1\n")
        (tmp / "b.csv").write_text("2\n")
    marker = json.loads((target / MARKER).read_text())
    assert marker["written_by"] == "planner simulate" and marker["entries"] == ["a.csv", "b.csv"]
    with write_folder(target, "planner simulate") as tmp:  # a rerun replaces the folder as a whole
        (tmp / "c.csv").write_text("3\n")
    assert _names(target) == {MARKER, "c.csv"}
    assert _names(target.parent) == {"sim"}  # no temporary sibling, no old copy left
    (target / "mine.txt").write_text("the user's\n")
    with pytest.raises(PathError, match=r"sim: folder holds files planner did not write there \('mine.txt'\)"):
        with write_folder(target, "planner simulate") as tmp:
            (tmp / "d.csv").write_text("4\n")
    assert _names(target) == {MARKER, "c.csv", "mine.txt"} and _names(target.parent) == {"sim"}


def test_write_folder_swaps_by_two_renames_where_exchange_is_missing(tmp_path, monkeypatch):
    monkeypatch.setattr(outputs, "_exchange", lambda a, b: False)
    target = tmp_path / "plan"
    for value in ("old", "new"):
        with write_folder(target, "planner plan") as tmp:
            (tmp / "x.csv").write_text(value)
    assert (target / "x.csv").read_text() == "new" and _names(tmp_path) == {"plan"}


def test_a_failing_block_keeps_the_old_output_and_leaves_nothing(tmp_path):
    target = tmp_path / "plan"
    with write_folder(target, "planner plan") as tmp:
        (tmp / "x.csv").write_text("old")
    with pytest.raises(RuntimeError):
        with write_folder(target, "planner plan") as tmp:
            (tmp / "x.csv").write_text("half")
            raise RuntimeError("solver died")
    assert (target / "x.csv").read_text() == "old" and _names(tmp_path) == {"plan"}
    with pytest.raises(RuntimeError):  # folders created for the output are removed again
        with write_folder(tmp_path / "new" / "deeper" / "sim", "planner simulate"):
            raise RuntimeError("boom")
    with pytest.raises(RuntimeError):
        with write_file(tmp_path / "new2" / "f.csv") as tmp:
            tmp.write_text("half")
            raise RuntimeError("boom")
    assert _names(tmp_path) == {"plan"}


def test_written_files_and_folders_get_the_usual_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        with write_file(tmp_path / "f.csv") as tmp:  # a temporary file is owner-only (0600)
            tmp.write_text("1\n")
        with write_folder(tmp_path / "d", "planner plan") as tmp:  # and a temporary folder 0700
            (tmp / "x.csv").write_text("1\n")
    finally:
        os.umask(old)
    assert (tmp_path / "f.csv").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "d").stat().st_mode & 0o777 == 0o755


def test_an_empty_folder_is_taken_and_inputs_are_protected(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with write_folder(empty, "planner compare") as tmp:
        (tmp / "compare.csv").write_text("1\n")
    assert _names(empty) == {MARKER, "compare.csv"}
    history = empty / "compare.csv"  # planner wrote it, and now the user reads it back as an input
    with pytest.raises(PathError, match="holds the command's input"):
        check_folder(empty, inputs=[history])
    with pytest.raises(PathError, match="is one of the command's inputs"):
        with write_file(tmp_path / "empty" / ".." / "empty" / "compare.csv", inputs=[history]):
            pass
    assert history.read_text() == "1\n"


def test_claimed_folder_adds_files_and_keeps_the_users(tmp_path):
    dated = tmp_path / "reports" / "2025-01"
    claim_folder(dated, "planner report", ["a.html"])
    (dated / "a.html").write_text("first")
    (dated / "notes.txt").write_text("the user's")  # added by the user after planner made the folder
    claim_folder(dated, "planner report", ["a.html", "b.html"])  # rewriting a.html, adding b.html: fine
    assert set(json.loads((dated / MARKER).read_text())["entries"]) == {"a.html", "b.html"}
    with pytest.raises(PathError, match=r"would replace 'notes.txt', which planner did not write"):
        claim_folder(dated, "planner report", ["notes.txt"])
    assert (dated / "notes.txt").read_text() == "the user's"


@pytest.mark.parametrize("name", ["2025-01-31", "2025-01", "run_3", "v1.2"])
def test_safe_component_takes_one_folder_name(name):
    assert safe_component(name) == name


@pytest.mark.parametrize("name", ["", ".", "..", "../x", "a/b", "/abs", ".hidden", "a\\b", "a b"])
def test_safe_component_refuses_paths(name):
    with pytest.raises(PathError, match="--date"):
        safe_component(name)


def test_report_rerun_replaces_its_own_page_and_keeps_the_folder(tmp_path):
    from planner.report import render_report

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x: int = 1  # a number"),
                                         nbformat.v4.new_code_cell("print(x * 10)")])
    nb.cells[0].metadata["tags"] = ["parameters"]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    src = tmp_path / "mine.ipynb"
    nbformat.write(nb, src)
    out = tmp_path / "out"
    (out / "d").mkdir(parents=True)
    first = render_report(str(src), {"x": "2"}, out, date="d")  # an empty dated folder is taken
    (out / "d" / "notes.txt").write_text("the user's")
    second = render_report(str(src), {"x": "3"}, out, date="d")
    assert first.html == second.html and "30" in second.html.read_text()
    assert (out / "d" / "notes.txt").read_text() == "the user's"
    assert _names(out / "d") == {MARKER, "mine.ipynb", "mine.html", "notes.txt"}
    with pytest.raises(PathError, match="would replace the command's input"):
        render_report(str(out / "d" / "mine.ipynb"), {}, out, date="d")


def test_cli_simulate_reruns_into_its_own_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    argv = ["simulate", str(ROOT / "scenarios" / "baseline.yaml"), "--draws", "10", "--output", "out/sim"]
    assert main(argv) == 0
    first = (tmp_path / "out" / "sim" / "summary.csv").read_text()
    assert main([*argv, "--seed", "1"]) == 0
    assert (tmp_path / "out" / "sim" / "summary.csv").read_text() != first
    assert _names(tmp_path / "out") == {"sim"}
    assert json.loads((tmp_path / "out" / "sim" / MARKER).read_text())["written_by"] == "planner simulate"


# -- the store ----------------------------------------------------------------------------------

def test_a_store_created_by_a_failing_block_is_removed(tmp_path):
    path = tmp_path / "new" / "planner.duckdb"
    with pytest.raises(RuntimeError):
        with Store(path):
            raise RuntimeError("the command failed")
    assert not (tmp_path / "new").exists()
    with Store(path):
        pass
    with pytest.raises(RuntimeError):  # an existing store is never removed
        with Store(path):
            raise RuntimeError("the command failed")
    assert path.is_file()
    with pytest.raises(PathError, match="no store here yet"):
        Store(tmp_path / "other.duckdb", create=False)
    with pytest.raises(PathError, match="is a folder"):
        Store(tmp_path / "new", read_only=True)
    assert _names(tmp_path) == {"new"}


@pytest.fixture
def locked_store(tmp_path):
    """A store whose lock another process holds for about 1.5 s; yields (path, pid)."""
    path = tmp_path / "s.duckdb"
    Store(path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time\ncon = duckdb.connect(sys.argv[1])\n"
         "print('locked', flush=True)\ntime.sleep(1.5)\ncon.close()", str(path)],
        stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    yield path, holder.pid
    holder.wait(timeout=30)


def test_a_second_writer_gives_up_after_the_timeout_naming_the_holder(locked_store, monkeypatch, capsys):
    path, pid = locked_store
    with pytest.raises(StoreError, match=rf"in use by process {pid} .*waited 0.3 s"):
        Store(path, lock_timeout=0.3)
    monkeypatch.setenv("PLANNER_LOCK_TIMEOUT", "0.3")
    sample = str(ROOT / "data" / "samples" / "azure_llm_2023_code.csv")
    assert main(["ingest", sample, "--store", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"the store is in use by process {pid}" in err and "PLANNER_LOCK_TIMEOUT" in err


def test_a_second_writer_waits_for_the_lock(locked_store, capsys):
    path, _ = locked_store
    sample = str(ROOT / "data" / "samples" / "azure_llm_2023_code.csv")
    assert main(["ingest", sample, "--store", str(path)]) == 0  # default wait: 10 s
    assert "rows added" in capsys.readouterr().out
    with Store(path, read_only=True) as store:
        assert not store.usage().empty


# -- stdout closed by its reader ------------------------------------------------------------------

def test_a_closed_pipe_ends_quietly(tmp_path):
    planner = f"'{sys.executable}' -m planner"
    done = subprocess.run(["bash", "-c", f"set -o pipefail; {planner} catalog show prices | head -n 2"],
                          capture_output=True, text=True, check=False, cwd=tmp_path)
    assert done.stderr == ""  # no BrokenPipeError, no "Exception ignored"
    assert len(done.stdout.splitlines()) == 2 and "model" in done.stdout
    assert done.returncode == 141  # 128 + SIGPIPE, as `yes | head` under pipefail
