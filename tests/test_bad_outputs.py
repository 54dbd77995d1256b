"""Bad-output corpus: output paths that must be refused before anything is written.

Every case runs one ``planner`` command in a working folder holding a user's files (``notes.txt``,
``mydocs/a.txt``, a history, a store, a plan configuration) and asserts: exit status 2; one error
line on stderr naming the path, with the expected words; no traceback; and the whole folder -- the
user's files, the store, the inputs -- byte for byte as before, with nothing partial left behind
(no temporary sibling, no new empty folder or store). Cases that are not errors (replacing a
planner-owned folder, the store lock, a closed pipe) are in ``test_outputs.py``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest

from planner.cli import main

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = str(ROOT / "scenarios" / "baseline.yaml")
PLAN = str(ROOT / "plans" / "servegen.yaml")
TRACE = str(ROOT / "data" / "samples" / "azure_llm_2023_code.csv")


@pytest.fixture
def work(tmp_path, monkeypatch) -> Path:
    """A working folder as a user has it; the command runs from here."""
    home = tmp_path / "work"
    home.mkdir()
    (home / "notes.txt").write_text("my notes\n")
    (home / "mydocs").mkdir()
    (home / "mydocs" / "a.txt").write_text("my document\n")
    days = pd.date_range("2025-01-01", periods=60, freq="D")
    pd.DataFrame({"unique_id": "gpu", "ds": days, "y": [10.0 + i % 7 for i in range(60)]}).to_csv(
        home / "h.csv", index=False)
    (home / "code.csv").write_bytes(Path(TRACE).read_bytes())
    (home / "vms.csv").write_text("InstanceType,AcceleratorName,AcceleratorCount,Price,Region,SpotPrice\n"
                                  "gpu_1x_h100,H100,1,2.49,us-east-1,\n")
    (home / "cfg").mkdir()  # a plan configuration kept in a folder of its own
    text = Path(PLAN).read_text().replace("../data/samples/", f"{ROOT / 'data' / 'samples'}/")
    (home / "cfg" / "p.yaml").write_text(text)
    for dated in ("d", "2023-11"):  # dated folders the user wrote by hand
        (home / "rep" / dated).mkdir(parents=True)
        (home / "rep" / dated / "monthly_forecast.html").write_text("<p>my own page</p>\n")
    (home / "mycat").mkdir()
    (home / "mycat" / "gpu_offerings.csv").write_text((home / "vms.csv").read_text())
    (home / "cat" / "gpu_offerings.csv").mkdir(parents=True)
    monkeypatch.chdir(home)
    assert main(["ingest", "code.csv", "--store", "s.duckdb"]) == 0
    return home


def _tree(folder: Path) -> dict[str, str]:
    """Every path under ``folder`` with a hash of its bytes ('dir' for folders)."""
    return {str(p.relative_to(folder)): "dir" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*"))}


STORE = ["--store", "s.duckdb"]
REPORT = ["report", "monthly_forecast", "-p", "store_path", "s.duckdb", "-p", "metrics", "[requests]"]
MONTHLY = ["monthly", "--month", "2023-11", "--metric", "requests", "--freq", "h", "--horizon", "2"]
FORECAST = ["forecast", "h.csv", "--horizon", "3"]
COMMIT = ["commit", "h.csv", "--horizon", "3", "--freq", "D", "--on-demand-price", "2", "--reserved-price", "1"]
SERIES = ["usage", "series", "--metric", "requests"]
IMPORT = ["catalog", "import", "skypilot", "vms.csv", "--cloud", "lambda"]

CASES = {
    # the working folder, its ancestors and a folder of the user's files are never replaced
    "simulate --output .": (["simulate", SCENARIO, "--draws", "10", "--output", "."], ["--output .", "working folder"]),
    "plan --output .": (["plan", PLAN, "--output", "."], ["--output .", "working folder"]),
    "compare --output .": (["compare", PLAN, "--output", "."], ["--output .", "working folder"]),
    "simulate --output ..": (["simulate", SCENARIO, "--draws", "10", "--output", ".."], ["--output ..", "ancestors"]),
    "simulate --output mydocs": (["simulate", SCENARIO, "--draws", "10", "--output", "mydocs"],
                                 ["mydocs", "'a.txt'", "did not write", "new or empty folder"]),
    "plan --output mydocs": (["plan", PLAN, "--output", "mydocs"], ["mydocs", "'a.txt'", "new or empty folder"]),
    "compare --output mydocs": (["compare", PLAN, "--output", "mydocs"], ["mydocs", "new or empty folder"]),
    "plan --output folder of its config": (["plan", "cfg/p.yaml", "--output", "cfg"], ["--output cfg", "cfg/p.yaml"]),
    # a file where a folder is expected, or a file as a parent folder
    "simulate --output a file": (["simulate", SCENARIO, "--output", "notes.txt"], ["notes.txt", "is a file"]),
    "simulate --output under a file": (["simulate", SCENARIO, "--output", "notes.txt/sim"],
                                       ["notes.txt/sim", "notes.txt is a file"]),
    "plan --output a file": (["plan", PLAN, "--output", "notes.txt"], ["notes.txt", "is a file"]),
    # an output that is one of the command's inputs
    "forecast --output its input": ([*FORECAST, "--output", "h.csv"], ["--output h.csv", "inputs"]),
    "forecast --output ./its input": ([*FORECAST, "--output", "./h.csv"], ["--output h.csv", "inputs"]),
    "forecast --backtest its input": ([*FORECAST, "--output", "f.csv", "--backtest", "h.csv"],
                                      ["--backtest h.csv", "inputs"]),
    "forecast --backtest = --output": ([*FORECAST, "--output", "f.csv", "--backtest", "f.csv"],
                                       ["--backtest f.csv", "also the --output"]),
    "forecast --save --output the store": ([*FORECAST, "--save", *STORE, "--output", "s.duckdb"],
                                           ["--output s.duckdb", "inputs"]),
    "commit --output its history": ([*COMMIT, "--output", "h.csv"], ["--output h.csv", "inputs"]),
    "usage series --output the store": ([*SERIES, *STORE, "--output", "s.duckdb"], ["--output s.duckdb", "inputs"]),
    "ingest into one of its files": (["ingest", "code.csv", "--store", "code.csv"], ["--store code.csv", "inputs"]),
    "catalog import of its own catalog": ([*IMPORT[:3], "mycat/gpu_offerings.csv", "--cloud", "x",
                                           "--catalog-dir", "mycat"], ["mycat/gpu_offerings.csv", "inputs"]),
    # a folder where a file is expected
    "forecast --output a folder": ([*FORECAST, "--output", "mydocs"], ["--output mydocs", "is a folder"]),
    "commit --output a folder": ([*COMMIT, "--output", "mydocs"], ["--output mydocs", "is a folder"]),
    "usage series --output a folder": ([*SERIES, *STORE, "--output", "mydocs"], ["--output mydocs", "is a folder"]),
    "ingest --store a folder": (["ingest", "code.csv", "--store", "mydocs"], ["--store mydocs", "is a folder"]),
    "catalog import: catalog file is a folder": ([*IMPORT, "--catalog-dir", "cat"],
                                                 ["cat/gpu_offerings.csv", "is a folder"]),
    "forecast --save --store a folder": ([*FORECAST, "--save", "--store", "mydocs", "--output", "f.csv"],
                                         ["--store mydocs", "is a folder"]),
    # a folder planner cannot write in
    "simulate --output in /proc": (["simulate", SCENARIO, "--draws", "10", "--output", "/proc/sim"],
                                   ["/proc/sim", "cannot write in /proc"]),
    "forecast --output in /proc": ([*FORECAST, "--output", "/proc/f.csv"], ["/proc/f.csv", "cannot write in /proc"]),
    # a parent that is a file
    "forecast --output under a file": ([*FORECAST, "--output", "notes.txt/f.csv"], ["notes.txt is a file"]),
    "commit --output under a file": ([*COMMIT, "--output", "notes.txt/plan.json"], ["notes.txt is a file"]),
    "usage series --output under a file": ([*SERIES, *STORE, "--output", "notes.txt/s.csv"], ["notes.txt is a file"]),
    "ingest --store under a file": (["ingest", "code.csv", "--store", "notes.txt/s.duckdb"], ["notes.txt is a file"]),
    "monthly --store under a file": ([*MONTHLY, "--usage", "code.csv", "--store", "notes.txt/p.duckdb",
                                      "--output-dir", "out"], ["notes.txt is a file"]),
    "catalog import --catalog-dir a file": ([*IMPORT, "--catalog-dir", "notes.txt"], ["notes.txt is a file"]),
    "report --output-dir a file": ([*REPORT, "--output-dir", "notes.txt", "--date", "d"], ["notes.txt is a file"]),
    "monthly --output-dir a file": ([*MONTHLY, *STORE, "--output-dir", "notes.txt"], ["notes.txt is a file"]),
    # a report folder name that escapes --output-dir, or one the user wrote
    "report --date ../escaped": ([*REPORT, "--output-dir", "out", "--date", "../escaped"], ["--date", "../escaped"]),
    "report --date absolute": ([*REPORT, "--output-dir", "out", "--date", "{work}/../abs"], ["--date", "/abs"]),
    "report --date ..": ([*REPORT, "--output-dir", "out", "--date", ".."], ["--date", "'..'"]),
    "report over the user's page": ([*REPORT, "--output-dir", "rep", "--date", "d"],
                                    ["rep/d", "monthly_forecast.html", "did not write"]),
    "monthly over the user's page": ([*MONTHLY, *STORE, "--output-dir", "rep"],
                                     ["rep/2023-11", "monthly_forecast.html", "did not write"]),
    # a store that does not exist is not created by a command that fails or only reads
    "monthly --store typo": ([*MONTHLY, "--store", "typo/planner.duckdb", "--output-dir", "out"],
                             ["typo/planner.duckdb", "no store here yet"]),
    "usage series --store typo": ([*SERIES, "--store", "typo/planner.duckdb", "--output", "s.csv"],
                                  ["typo/planner.duckdb", "no store here yet"]),
}


@pytest.mark.parametrize("argv, words", CASES.values(), ids=CASES.keys())
def test_bad_output_is_refused_and_nothing_changes(work, capsys, argv, words):
    before = _tree(work.parent)
    capsys.readouterr()
    code = main([a.replace("{work}", str(work)) for a in argv])
    err = capsys.readouterr().err
    assert code == 2, err
    errors = [line for line in err.splitlines() if "error:" in line]  # a progress bar may come first
    assert len(errors) == 1 and errors[0] == err.splitlines()[-1], err
    assert errors[0].startswith(f"planner {argv[0]}: error: ") and err.endswith("\n"), err
    assert "Traceback" not in err
    for word in words:
        assert word in err, (word, err)
    assert _tree(work.parent) == before  # user files untouched, nothing partial, no store created
