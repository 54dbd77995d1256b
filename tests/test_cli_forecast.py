"""``planner forecast``: sample paths, drivers from a YAML file, hierarchies, the Dask engine."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from planner.cli import main
from planner.exceptions import PlannerWarning
from planner.forecast import forecast, hierarchy_sums


def _series(n: int = 70) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    t = np.arange(n)
    return pd.concat([pd.DataFrame({"unique_id": uid, "ds": pd.date_range("2025-01-01", periods=n),
                                    "y": level * np.exp(0.2 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 0.1, n))})
                      for uid, level in (("a", 100.0), ("b", 1000.0), ("c", 30.0))], ignore_index=True)


@pytest.fixture
def src(tmp_path):
    path = tmp_path / "in.csv"
    _series().to_csv(path, index=False)
    return path


def _one_error_line(capsys) -> str:
    err = [line for line in capsys.readouterr().err.splitlines() if "backtesting" not in line]
    assert len(err) == 1, err
    assert err[0].startswith("planner forecast: error: ")
    return err[0]


def test_paths_are_written_in_long_format_and_are_the_library_paths(tmp_path, src):
    out, paths = tmp_path / "fc.csv", tmp_path / "paths.csv"
    assert main(["forecast", str(src), "--horizon", "7", "--output", str(out), "--paths", "40",
                 "--paths-output", str(paths), "--seed", "3"]) == 0
    got = pd.read_csv(paths, parse_dates=["ds"])
    assert list(got.columns) == ["unique_id", "ds", "sample", "y"]
    assert got.groupby("unique_id")["sample"].nunique().eq(40).all() and len(got) == 3 * 40 * 7
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlannerWarning)
        expected = forecast(_series(), h=7, n_paths=40, seed=3).paths
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, rtol=1e-12)
    fc = pd.read_csv(out, parse_dates=["ds"])
    assert set(map(tuple, got[["unique_id", "ds"]].drop_duplicates().to_numpy())) == \
        set(map(tuple, fc[["unique_id", "ds"]].to_numpy()))
    assert main(["forecast", str(src), "--horizon", "7", "--output", str(out), "--paths", "40",
                 "--paths-output", str(paths), "--seed", "4"]) == 0
    assert not np.allclose(pd.read_csv(paths)["y"], got["y"])  # another seed, other paths


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--paths", "10"], "--paths N and --paths-output FILE go together"),
     (["--paths-output", "p.csv"], "--paths N and --paths-output FILE go together"),
     (["--paths", "0", "--paths-output", "p.csv"], "--paths must be >= 1"),
     (["--workers", "2"], "--workers applies to --engine dask only"),
     (["--paths", "5", "--paths-output", "OUT"], "is also the --output file; give each its own file"),
     (["--freq", "weekly"], "--freq: unknown frequency 'weekly'; expected one of h"),
     (["--hierarchy", "org", "--engine", "dask"], "--hierarchy runs on the pandas engine")],
)
def test_option_errors_are_one_line_and_write_nothing(tmp_path, src, capsys, args, message):
    out = tmp_path / "fc.csv"
    args = [str(out) if a == "OUT" else str(tmp_path / a) if a.endswith(".csv") else a for a in args]
    assert main(["forecast", str(src), "--horizon", "7", "--output", str(out), *args]) == 2
    assert message in _one_error_line(capsys)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


DRIVERS = """\
drivers:
  - kind: growth
    pct_per_month: 10
    start: 2025-03-15
    series: a
  - kind: step
    start: 2025-03-14
    amount: 500
    series: b
  - kind: s_curve
    start: 2025-03-12
    level: 20
    midpoint: 2025-03-14
    width_days: 1
    series: c
    label: launch of c
  - kind: shift
    share: 0.25
    source: b
    target: c
    start: 2025-03-16
"""


def test_drivers_from_yaml_are_listed_apart_from_the_statistical_forecast(tmp_path, src, capsys):
    drivers, out = tmp_path / "drivers.yaml", tmp_path / "fc.csv"
    drivers.write_text(DRIVERS)
    assert main(["forecast", str(src), "--horizon", "7", "--output", str(out), "--drivers", str(drivers)]) == 0
    fc = pd.read_csv(out, parse_dates=["ds"])
    labels = ["growth +10%/month from 2025-03-15", "step +500 from 2025-03-14", "launch of c",
              "move 25% of b to c from 2025-03-16"]
    assert list(fc.columns) == ["unique_id", "ds", "forecast", "lo-80", "hi-80", "lo-95", "hi-95", "model",
                                "statistical", *labels]
    # the forecast is the statistical one plus every driver's effect, row by row
    assert np.allclose(fc["forecast"], fc["statistical"] + fc[labels].sum(axis=1))
    a = fc[fc["unique_id"] == "a"]
    days = (a["ds"] - pd.Timestamp("2025-03-15")).dt.days.clip(lower=0)
    grown = np.where(a["ds"] >= "2025-03-15", a["statistical"] * 1.10 ** (days / 30.4375), a["statistical"])
    assert np.allclose(a["forecast"], grown) and (a.loc[a["ds"] < "2025-03-15", labels[0]] == 0).all()
    b = fc[fc["unique_id"] == "b"].set_index("ds")
    assert b.loc["2025-03-14", labels[1]] == 500 and b.loc["2025-03-13", labels[1]] == 0
    moved = -b.loc["2025-03-16":, labels[3]]   # b loses a quarter of its forecast from the 16th, c gains it
    assert np.allclose(moved, 0.25 * (b.loc["2025-03-16":, "statistical"] + 500))
    c = fc[fc["unique_id"] == "c"].set_index("ds")
    assert np.allclose(c.loc["2025-03-16":, labels[3]], moved)
    assert c.loc["2025-03-14", "launch of c"] == pytest.approx(10.0)  # half the level at the midpoint
    assert (fc["forecast"].sum() - fc["statistical"].sum()) == pytest.approx(fc[labels].to_numpy().sum())
    printed = capsys.readouterr().out
    assert "drivers (each one's effect" in printed and "launch of c" in printed and "b -> c" in printed


@pytest.mark.parametrize(
    ("text", "message"),
    [("drivers:\n  - kind: growth\n    pct_per_mnth: 5\n    start: 2025-03-01\n",
      "unknown key drivers[0].pct_per_mnth for a growth driver"),
     ("drivers:\n  - kind: growth\n    pct_per_month: 5\n    start: 2025-03-01\n"
      "  - kind: step\n    start: 2025-03-01\n    amount: lots\n", "drivers[1].amount: expected a number, got 'lots'"),
     ("drivers:\n  - kind: growth\n    pct_per_month: true\n    start: 2025-03-01\n",
      "drivers[0].pct_per_month: expected a number, got True"),
     ("drivers:\n  - kind: growth\n    pct_per_month: 5\n", "drivers[0]: missing key 'start' for a growth driver"),
     ("drivers:\n  - kind: boost\n    start: 2025-03-01\n", "drivers[0].kind: expected one of ['growth', 'step'"),
     ("drivers:\n  - kind: step\n    start: 2025-03-01\n    pct: 5\n    series: zz\n",
      "drivers[0].series: unknown series 'zz'; the input has a, b, c"),
     ("drivers:\n  - kind: step\n    start: someday\n    pct: 5\n", "drivers[0].start: expected a date like 2025-03-01"),
     ("drivers:\n  - kind: step\n    start: 2025-03-01\n", "drivers[0]: needs amount"),
     ("drivers:\n  - {kind: shift, share: 1.5, source: a, target: b, start: 2025-03-01}\n",
      "drivers[0]: shift share must be within [0, 1], got 1.5"),
     ("drivers:\n  - {kind: s_curve, start: 2025-03-01, level: 5, midpoint: 2025-03-05, width_days: 0}\n",
      "drivers[0]: s_curve width_days must be > 0"),
     ("drivers:\n  - {kind: step, start: 2025-03-01, pct: 5}\n  - {kind: step, start: 2025-03-01, pct: 5}\n",
      "drivers[1]: label 'step +5% from 2025-03-01' is already used by drivers[0]"),
     ("drivers:\n  - {kind: step, start: 2025-03-01, pct: 5, label: forecast}\n", "drivers[0].label: 'forecast' is a"),
     ("driver:\n  - {kind: step, start: 2025-03-01, pct: 5}\n", "unknown key driver; expected one of ['drivers']"),
     ("drivers: []\n", "drivers: expected a non-empty list"),
     ("drivers: [\n", "not valid YAML")],
)
def test_bad_driver_files_are_one_line_naming_the_key_path(tmp_path, src, capsys, text, message):
    drivers, out = tmp_path / "drivers.yaml", tmp_path / "fc.csv"
    drivers.write_text(text)
    assert main(["forecast", str(src), "--horizon", "7", "--output", str(out), "--drivers", str(drivers)]) == 2
    line = _one_error_line(capsys)
    assert str(drivers) in line and message in line, line
    assert not out.exists()


def _bottom() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    t = np.arange(70)
    rows = []
    for org, team, product, level in (("acme", "search", "web", 500), ("acme", "search", "api", 200),
                                      ("acme", "chat", "web", 300), ("globex", "chat", "api", 900)):
        y = level * np.exp(0.2 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 0.1, 70))
        rows.append(pd.DataFrame({"org": org, "team": team, "product": product,
                                  "ds": pd.date_range("2025-01-01", periods=70), "y": y}))
    return pd.concat(rows, ignore_index=True)


@pytest.mark.slow
def test_hierarchy_forecasts_every_node_and_the_children_add_up(tmp_path, capsys):
    src, out, paths = tmp_path / "bottom.csv", tmp_path / "fc.csv", tmp_path / "paths.csv"
    _bottom().assign(unique_id="ignored").to_csv(src, index=False)
    assert main(["forecast", str(src), "--horizon", "7", "--output", str(out), "--hierarchy", "org,team,product",
                 "--paths", "10", "--paths-output", str(paths)]) == 0
    fc = pd.read_csv(out, parse_dates=["ds"])
    assert sorted(fc["unique_id"].unique()) == ["acme", "acme/chat", "acme/chat/web", "acme/search",
                                                "acme/search/api", "acme/search/web", "globex", "globex/chat",
                                                "globex/chat/api"]
    gaps = hierarchy_sums(fc)
    assert len(gaps) and gaps["gap"].abs().max() < 1e-6 * fc["forecast"].max()
    p = pd.read_csv(paths, parse_dates=["ds"])
    for _, sample in p.groupby("sample"):
        assert hierarchy_sums(sample.rename(columns={"y": "forecast"}))["gap"].abs().max() < 1e-6 * p["y"].max()
    assert "reconciled 9 nodes (org: 2, org/team: 3, org/team/product: 4)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("edit", "message"),
    [(lambda d: d.drop(columns="team"), "the following columns are missing: ['team']"),
     (lambda d: d.assign(team=d["team"].where(d.index != 5, "a/b")), "column 'team' at row 6 (found 'a/b')"),
     (lambda d: d.assign(product=d["product"].where(d.index != 3, None)), "column 'product' at row 4"),
     (lambda d: pd.concat([d, d.iloc[[10]]], ignore_index=True), "more than one row per (org, team, product, ds) at rows 11, 281"),
     (lambda d: d.assign(y=d["y"].astype(object).where(d.index != 8, "n/a")), "must be numeric at row 9")],
)
def test_bad_hierarchy_input_is_one_line(tmp_path, capsys, edit, message):
    src, out = tmp_path / "bottom.csv", tmp_path / "fc.csv"
    edit(_bottom()).to_csv(src, index=False)
    assert main(["forecast", str(src), "--horizon", "7", "--output", str(out), "--hierarchy", "org,team,product"]) == 2
    line = _one_error_line(capsys)
    assert message in line and "bottom.csv" in line, line
    assert not out.exists()


@pytest.mark.slow
def test_dask_engine_on_a_local_cluster_writes_the_pandas_output(tmp_path, src):
    a, pa, ba = tmp_path / "pandas.csv", tmp_path / "pandas_paths.csv", tmp_path / "pandas_bt.csv"
    b, pb, bb = tmp_path / "dask.csv", tmp_path / "dask_paths.csv", tmp_path / "dask_bt.csv"
    common = ["forecast", str(src), "--horizon", "7", "--paths", "5"]
    assert main([*common, "--output", str(a), "--paths-output", str(pa), "--backtest", str(ba)]) == 0
    assert main([*common, "--output", str(b), "--paths-output", str(pb), "--backtest", str(bb),
                 "--engine", "dask", "--workers", "1"]) == 0
    assert a.read_text() == b.read_text() and pa.read_text() == pb.read_text()
    pd.testing.assert_frame_equal(pd.read_csv(bb), pd.read_csv(ba).sort_values("unique_id").reset_index(drop=True))


def test_dask_engine_names_the_input_row_not_the_partition_row(tmp_path, capsys):
    df = _series().astype({"y": object})
    df.loc[150, "y"] = "oops"   # series c, file row 151 (after the header)
    src, out = tmp_path / "in.csv", tmp_path / "fc.csv"
    df.to_csv(src, index=False)
    assert main(["forecast", str(src), "--horizon", "7", "--output", str(out), "--engine", "dask"]) == 2
    assert "in.csv: column 'y' must be numeric at row 151 (found 'oops')" in _one_error_line(capsys)
    assert not out.exists()
