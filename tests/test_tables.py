"""Result tables and plots of run directories (tf_tickets.results, tools/tables.py), on real
runs' files (tests/fixtures/tables, made as its README says) and per-layer densities computed by the Pruner."""
import csv
import io
import json
import os
import pathlib
import shutil
import statistics

import pytest

from tf_tickets import figures, results
from tf_tickets.results import labels
from tf_tickets.errors import TicketsError

FIXTURE = pathlib.Path(__file__).parent / "fixtures" / "tables"
RUNS = FIXTURE / "runs"
V1 = pathlib.Path(__file__).parent / "fixtures" / "v1"


def accuracy(path):
    return json.loads((RUNS / path / "results.json").read_text())["test_accuracy"]


def cells(report):
    """{(method, sparsity): cell text} of the report's only table."""
    (table,) = report.tables
    return {(m, s): table.text(m, s) for m in table.methods for s in table.sparsities}


def test_table_reproduces_the_runs_and_the_sanity_tool():
    report = results.build([str(RUNS)])
    (table,) = report.tables
    assert (table.model, table.dataset) == ("mnist_lenet_300_100", "embedded")
    assert table.sparsities == [0.9, 0.98, 0.999]
    assert table.methods[0] == "dense"
    assert table.methods[1:] == ["jackpot (frozen BatchNorm)", "lr_rewinding", "magnitude", "random", "random@erk",
                                 "random@smart_ratio",
                                 "random@smart_ratio / rearrange", "snip", "snip / random_labels", "snip / rearrange"]
    got = cells(report)
    # mean ± std (sample std, in %) over the seeds' own results.json
    values = [accuracy(f"sanity/snip/sparsity0.9/plain/seed{s}") for s in range(3)]
    assert got[("snip", 0.9)] == f"{100 * statistics.fmean(values):.2f} ± {100 * statistics.stdev(values):.2f}"
    assert got[("snip", 0.9)] == "84.95 ± 0.13"
    assert got[("random@smart_ratio", 0.98)] == "74.72 ± 1.96"
    assert got[("lr_rewinding", 0.9)] == "85.68 ± 0.32 (n=2)"  # another count than the table's usual 3: shown
    assert got[("magnitude", 0.9)] == "**85.80 (n=1)**"  # the best at 0.9; one run: no ±
    assert got[("snip", 0.98)] == "**81.95 ± 0.94**"
    assert got[("random", 0.98)] == "-"
    # the dense runs (compare's dense and the grid's dense pretraining) are one row, in every column
    dense = [accuracy("compare/dense")] + [accuracy(f"sanity/pretrain/clean/seed{s}") for s in (0, 1)]
    assert {got[("dense", s)] for s in table.sparsities} == {f"{100 * statistics.fmean(dense):.2f} ± "
                                                             f"{100 * statistics.stdev(dense):.2f}"}

    # The sanity tool's own tables of the same runs give the same numbers, check by check.
    from tf_tickets import checks

    names = {checks.label(None): None, **{checks.get(n).label: n for n in checks.names()}}
    grids = {"random": "random@smart_ratio", "snip": "snip", "lr_rewinding": "lr_rewinding"}
    compared = 0
    for path in sorted((RUNS / "sanity").glob("*/sparsity*/sanity.csv")):
        method, sparsity = grids[path.parts[-3]], float(path.parts[-2][len("sparsity"):])
        for row in csv.DictReader(path.open()):
            if row["check"] in names and int(row["n"]):
                check = names[row["check"]]
                text = got[(method + (f" / {check}" if check else ""), sparsity)]
                assert text.strip("*").split(" (n=")[0].rstrip("*") == row["accuracy"], (path, row)
                compared += 1
    assert compared == 8


def test_best_is_among_the_methods_themselves_and_needs_two():
    report = results.build([str(RUNS / "sanity")])
    got = cells(report)
    # "snip / rearrange" (85.77) beats lr_rewinding (85.68), but runs under a check do not compete
    assert got[("lr_rewinding", 0.9)] == "**85.68 ± 0.32 (n=2)**"
    assert got[("snip / rearrange", 0.9)] == "85.77 ± 0.23"
    assert [m for m in report.tables[0].methods if got[(m, 0.9)].startswith("**")] == ["lr_rewinding"]
    # at 0.999 one method only: nothing to compare, nothing bold
    assert "**" not in cells(results.build([str(RUNS / "snip-0.999"), str(RUNS / "sanity")]))[("snip", 0.999)]


def test_unfinished_collapsed_and_not_finite_runs_are_named():
    report = results.build([str(RUNS)])
    text = report.markdown()
    got = cells(report)
    assert got[("snip", 0.999)] == "10.00 (n=1) †"
    assert got[("random", 0.9)] == "10.00 (n=1) ‡"
    assert (f"† snip at 0.999, {os.path.normpath(RUNS / 'snip-0.999')}: layer collapse: the network is "
            "disconnected (no path from input to output keeps a weight) by empty fc1") in text
    assert f"‡ random at 0.9, {os.path.normpath(RUNS / 'diverged')}: not finite: test_loss" in text
    assert text.rstrip().endswith(f"unfinished (no results.json yet), not in the tables: "
                                  f"{os.path.normpath(RUNS / 'jackpot-s0')}")
    assert [r.name for r in report.unfinished] == [os.path.normpath(RUNS / "jackpot-s0")]


def test_csv_holds_the_numbers_behind_the_table():
    rows = list(csv.DictReader(io.StringIO(results.build([str(RUNS)]).csv())))
    by = {(r["method"], r["check"], r["sparsity"]): r for r in rows}
    snip = by[("snip", "", "0.9")]
    values = [100 * accuracy(f"sanity/snip/sparsity0.9/plain/seed{s}") for s in range(3)]
    assert float(snip["mean"]) == pytest.approx(statistics.fmean(values), abs=1e-4)
    assert float(snip["std"]) == pytest.approx(statistics.stdev(values), abs=1e-4)
    assert (snip["n"], snip["seeds"], snip["best"]) == ("3", "0 1 2", "False")
    assert by[("snip", "rearrange", "0.9")]["n"] == "3"
    assert [k for k, r in by.items() if r["best"] == "True"] == [("magnitude", "", "0.9"), ("snip", "", "0.98")]
    assert (by[("snip", "", "0.999")]["collapsed"], by[("random", "", "0.9")]["not_finite"]) == ("1", "1")
    assert by[("dense", "", "0")]["n"] == "3"
    assert by[("jackpot (frozen BatchNorm)", "", "0.9")]["runs"].split() == \
        [os.path.normpath(RUNS / f"jackpot/seed{s}") for s in (0, 1)]
    assert len(rows) == 14


GRIDS = {"snip": [], "random": ["--budget=smart_ratio"], "synflow": [], "lottery": ["--levels=2", "--rewind_to=20it"],
         "lottery_one_shot": [], "lr_rewinding": [], "fine_tuning": ["--finetune_steps=10it"], "obd": [], "hybrid": [],
         "gmp": ["--gmp_frequency=5"], "jackpot": ["--tune_steps=10it"], "lottery:magnitude_gradient": []}
LABELS = {"snip": "snip", "random": "random@smart_ratio", "synflow": "synflow", "lottery": "lottery (rewound to 20it)",
          "lottery_one_shot": "lottery_one_shot", "lr_rewinding": "lr_rewinding", "fine_tuning": "fine_tuning",
          "obd": "obd", "hybrid": "hybrid", "gmp": "gmp", "jackpot": "jackpot (tuned)",
          "lottery:magnitude_gradient": "lottery:magnitude_gradient"}


AT_INIT = {"snip", "random", "synflow"}  # criteria: at-init tickets, named by --criterion


@pytest.mark.parametrize("procedure", sorted(GRIDS))
def test_labels_are_what_each_run_records(tmp_path, procedure, monkeypatch):
    """Every run of every procedure, under every check: labelled from its record (the procedure that planned
    it, the part of it the run is), never worked out from its path or settings."""
    from absl import flags

    from tests.conftest import REPO
    from tf_tickets import sanity
    from tf_tickets.runs.record import StageRecord

    monkeypatch.chdir(REPO)
    flags.FLAGS.unparse_flags()
    option = "--criterion" if procedure in AT_INIT else "--procedure"
    flags.FLAGS(["tf_tickets", "--model=mnist_conv_small", "--dataset=embedded", "--training_steps=30it",
                 "--lr_schedule=constant", "--milestones=", f"{option}={procedure}", "--sparsity=0.9", "--seeds=0",
                 f"--run_dir={tmp_path}", *GRIDS[procedure]])
    try:
        grid = sanity.build_grid()
    finally:
        flags.FLAGS.unparse_flags()
    for stage in grid.stages.values():
        run = results.Run(stage.name, stage.name, stage.spec.to_config(), {}, stage.record.to_config())
        record = StageRecord.from_config(run.record)
        check = "" if stage.spec.check is None else f" / {stage.spec.check}"
        if record.dense:
            expected = "dense"
        elif record.part == "level":
            expected = f"{LABELS[procedure]} (level {record.level} of 2)"
        elif record.part == "pruning":
            expected = "gmp (pruning run)"
        elif record.part == "search":
            expected = "jackpot"
        else:
            expected = LABELS[procedure]
        assert labels.label(run) == expected + check, stage.name


def test_a_run_without_a_record_is_what_its_settings_say(tmp_path):
    """A run of its own (`train`), or one made before records were kept (the v1 identities): its criterion,
    when it pruned and what it started from; no procedure is worked out from its path or settings."""
    identities = json.loads((V1 / "identities.json").read_text())
    own = {k.split("/")[1]: labels.label(results.Run(k, k, v, {})) for k, v in identities.items()
           if k.startswith("train/")}
    assert own == {"dense": "dense", "mask_file": "mask file", "mask_file_method": "mask file",
                   "prune_at": "magnitude[policy=skip_first] (pruned at 2ep)",
                   "random_smart": "random@smart_ratio[linear_keep_ratio=0.3]", "snip": "snip",
                   "synflow_opts": "synflow[rounds=10]"}
    old = {k: labels.label(results.Run(k, k, v, {})) for k, v in identities.items() if k.startswith("grid/")}
    assert old["grid/lr_rewinding/lr_rewinding/sparsity0.9/plain/seed0"] == "magnitude (scored on trained weights)"
    assert old["grid/random/random/sparsity0.9/shuffle/seed1"] == "random@smart_ratio / shuffle"
    assert old["grid/lottery/pretrain/random_labels/seed0"] == "dense / random_labels"


def test_siblings_and_jackpot_runs():
    report = results.build([str(FIXTURE / "siblings")])
    (table,) = report.tables
    assert table.methods == ["dense", "intersection of 2 (magnitude)", "lottery", "union of 2 (magnitude)"]
    assert table.sparsities == [0.95]
    assert table.cell("dense", 0.95).n == 2  # the two siblings
    run = results.find_runs([str(RUNS / "jackpot" / "seed1")])[0]
    assert labels.label(run) == "jackpot (frozen BatchNorm)" and labels.sparsity_of(run, labels.Sources([run])) == 0.9


def test_bad_input_is_an_error_before_anything_is_written(tmp_path):
    with pytest.raises(TicketsError, match="does not exist"):
        results.build([str(tmp_path / "nowhere")])
    with pytest.raises(TicketsError, match="no run directories"):
        results.build([str(tmp_path)])
    with pytest.raises(TicketsError, match="none of the 1 runs found has finished"):
        results.build([str(RUNS / "jackpot-s0")])


def test_command_line_writes_table_csv_and_plot(tmp_path, run_main):
    prefix = tmp_path / "out" / "results"
    result = run_main("tools.tables", RUNS / "sanity", RUNS / "compare", f"--out={prefix}")
    assert result.returncode == 0, result.stderr
    markdown = (tmp_path / "out" / "results.md").read_text()
    assert result.stdout.startswith(markdown)
    assert "| snip | 84.95 ± 0.13 | **81.95 ± 0.94** |" in markdown
    assert "(n=" in markdown and "unfinished" not in markdown
    expected = results.build([str(RUNS / "sanity"), str(RUNS / "compare")]).csv()
    assert (tmp_path / "out" / "results.csv").read_text() == expected
    drawn = figures.plotted(str(tmp_path / "out" / "results.png"))["mnist_lenet_300_100 on embedded"]
    assert drawn["sparsities"] == [0.9, 0.98]
    means, stds = drawn["series"]["snip"]
    assert means == pytest.approx([84.95, 81.95], abs=0.005) and stds == pytest.approx([0.1323, 0.9367], abs=1e-4)
    assert drawn["dense"]["dense"][0] == pytest.approx(84.70, abs=0.005)
    assert sorted(os.listdir(tmp_path / "out")) == ["results.csv", "results.md", "results.png"]


@pytest.mark.parametrize("args, message", [
    (["/no/such/runs"], "/no/such/runs does not exist"),
    ([str(RUNS / "jackpot-s0")], "none of the 1 runs found has finished"),
    ([str(FIXTURE / "README.md")], "is not a directory"),
    ([], "give at least one run directory"),
    ([str(RUNS / "compare"), "--out={tmp}/"], "is a folder: give a file prefix"),
    ([str(RUNS / "compare"), "--methods=snip"], "--methods chooses the criteria and budgets of `layers`"),
    (["layers", "--methods=snip@nowhere"], "unknown budget 'nowhere'"),
    (["layers", "--methods=lottery"], "unknown criterion 'lottery' for per-layer densities"),
    (["layers", "--model=lenet_300_100"], "unknown model 'lenet_300_100'"),
    (["layers", str(RUNS / "compare" / "dense")], "no finished pruned run under"),
    (["layers", str(RUNS / "compare"), "--methods=snip"], "give runs or --methods, not both"),
])
def test_bad_command_lines_exit_2_with_one_line_and_write_nothing(tmp_path, run_main, args, message):
    out = tmp_path / "out"
    args = [a.replace("{tmp}", str(out)) for a in args]
    if not any(a.startswith("--out") for a in args):
        args.append(f"--out={out / 'x'}")
    result = run_main("tools.tables", *args)
    assert result.returncode == 2, result.stdout + result.stderr
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 1 and errors[0].startswith("tools.tables: error: ") and message in errors[0], errors
    assert "Traceback" not in result.stderr and not out.exists()


def test_layer_densities_follow_each_budget_and_hit_the_sparsity():
    methods = ["smart_ratio", "snip", "grasp", "magnitude", "erk", "layerwise", "snip@smart_ratio"]
    got = results.layer_densities("mnist_lenet_300_100", "embedded", 0.9, methods)
    assert got["layers"] == ["fc1", "fc2", "classifier"]
    assert got["sizes"] == [784 * 300, 300 * 100, 100 * 10]
    total, density = sum(got["sizes"]), 1 - 0.9  # the density as the Pruner computes it
    for method in methods:  # every method keeps int(density * N) weights overall (less a few for per-layer ints)
        kept = round((1 - got["sparsity"][method]) * total)
        assert int(density * total) - len(got["sizes"]) <= kept <= int(density * total), method
    smart = got["densities"]["smart_ratio"]
    assert smart[0] > smart[1]  # Su et al.: density falls with depth (l = 1, 2)...
    assert smart[2] == 0.3  # ... and the classifier keeps linear_keep_ratio
    from tf_tickets import budgets

    layers = [budgets.LayerInfo(n, s, "dense") for n, s in
              zip(got["layers"], [(784, 300), (300, 100), (100, 10)])]
    rule = budgets.make("smart_ratio").keep_counts(layers, density, residual=False)
    assert [round(d * n) for d, n in zip(smart, got["sizes"])] == rule  # the registry's rule, count for count
    # SNIP under smart-ratio counts keeps exactly those counts: the budget decides the layer ratios
    assert got["densities"]["snip@smart_ratio"] == smart
    assert all(abs(d - 0.1) < 0.002 for d in got["densities"]["layerwise"])
    assert got["densities"]["erk"][2] == 1.0 and got["densities"]["snip"] != smart


def test_smart_ratio_falls_with_depth_in_a_residual_network():
    got = results.layer_densities("cifar_resnet_20", "embedded", 0.95, ["smart_ratio", "erk", "magnitude"])
    assert len(got["layers"]) == 22 and got["layers"][-1] == "classifier"
    smart = got["densities"]["smart_ratio"][:-1]
    assert all(a > b for a, b in zip(smart, smart[1:]))  # every layer keeps less than the one before it
    assert smart[0] / smart[-1] > 50
    for method in ("smart_ratio", "erk", "magnitude"):
        assert got["sparsity"][method] == pytest.approx(0.95, abs=5e-5)


def test_layer_densities_of_runs_and_their_picture(tmp_path, run_main):
    got = results.run_densities([str(RUNS / "compare" / "magnitude"), str(RUNS / "compare" / "random-erk")])
    assert list(got["densities"]) == ["magnitude at 0.9", "random@erk at 0.9"]
    rows = json.loads((RUNS / "compare" / "random-erk" / "sparsity.json").read_text())
    assert got["densities"]["random@erk at 0.9"] == [r["kept"] / r["size"] for r in rows]
    assert got["sparsity"]["magnitude at 0.9"] == pytest.approx(0.9, abs=1e-5)
    # a whole grid: one line per method, check and sparsity (the mean over seeds), dense runs left out;
    # runs without sparsity.json are read from results.json's report
    grid = results.run_densities([str(RUNS / "sanity")])
    assert sorted(grid["densities"]) == [
        "lr_rewinding at 0.9 (mean of 2 runs)", "random@smart_ratio / rearrange at 0.9 (mean of 3 runs)",
        "random@smart_ratio at 0.9 (mean of 3 runs)", "random@smart_ratio at 0.98 (mean of 3 runs)",
        "snip / random_labels at 0.9 (mean of 3 runs)", "snip / rearrange at 0.9 (mean of 3 runs)",
        "snip at 0.9 (mean of 3 runs)", "snip at 0.98 (mean of 3 runs)"]
    reports = [json.loads((RUNS / f"sanity/snip/sparsity0.9/plain/seed{s}/results.json").read_text())["sparsity_report"]
               for s in range(3)]
    assert grid["densities"]["snip at 0.9 (mean of 3 runs)"] == pytest.approx(
        [statistics.fmean(r[i]["kept"] for r in reports) / reports[0][i]["size"] for i in range(3)])
    assert grid["densities"]["random@smart_ratio at 0.9 (mean of 3 runs)"][2] == 0.3

    result = run_main("tools.tables", "layers", "--model=mnist_lenet_300_100", "--sparsity=0.95",
                      "--methods=smart_ratio,magnitude,random@layerwise", f"--out={tmp_path / 'layers'}")
    assert result.returncode == 0, result.stderr
    assert "| 3 | classifier | 1,000 | 0.3000 |" in result.stdout
    drawn = figures.plotted(str(tmp_path / "layers.png"))
    assert list(drawn["densities"]) == ["smart_ratio", "magnitude", "random@layerwise"]
    assert drawn["sparsity"]["random@layerwise"] == pytest.approx(0.95, abs=1e-4)
    table = list(csv.DictReader((tmp_path / "layers.csv").open()))
    assert [r["layer"] for r in table] == ["fc1", "fc2", "classifier"]
    assert float(table[2]["smart_ratio"]) == 0.3
    assert (tmp_path / "layers.md").read_text().startswith("per-layer density (kept fraction), mnist_lenet_300_100")


def test_runs_found_once_and_their_own_folders_skipped(tmp_path):
    root = tmp_path / "root"
    shutil.copytree(RUNS / "compare", root / "compare")
    (root / "compare" / "dense" / "checkpoints").mkdir()
    (root / "compare" / "dense" / "checkpoints" / "config.json").write_text("{}")
    (root / "other" / "model").mkdir(parents=True)
    (root / "other" / "model" / "config.json").write_text('{"architectures": ["Bert"]}')  # not a run's
    runs = results.find_runs([str(root), str(root / "compare" / "dense")])
    assert sorted(os.path.basename(r.path) for r in runs) == ["dense", "magnitude", "random-erk"]


def test_cells_pooling_runs_trained_differently_say_so(tmp_path):
    shutil.copytree(RUNS / "compare" / "dense", tmp_path / "a")
    shutil.copytree(RUNS / "sanity" / "pretrain" / "clean" / "seed1", tmp_path / "b")
    config = json.loads((tmp_path / "b" / "config.json").read_text())
    (tmp_path / "b" / "config.json").write_text(json.dumps({**config, "training_steps": "2ep", "lr": 0.05}))
    report = results.build([str(tmp_path)])
    values = [accuracy("compare/dense"), accuracy("sanity/pretrain/clean/seed1")]
    assert report.tables[0].text("dense", 0.0) == f"{100 * statistics.fmean(values):.2f} ± " \
                                                  f"{100 * statistics.stdev(values):.2f}"
    assert "dense pools runs that differ in training_steps (2ep, 6ep); lr (0.05, 0.1)" in report.markdown()
