"""Partially-trained procedures, the sanity grid, verdicts, and `python -m tf_tickets.sanity` end to end."""
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from tests.conftest import REPO, cli_env, run_cli
from tf_tickets import figures, procedures
from tf_tickets.errors import TicketsError
from tf_tickets.procedures import verdicts
from tf_tickets.runs import Ref
from tf_tickets.runs import RunSpec
from tf_tickets.training.config import TrainConfig

TINY = ["--model=mnist_conv_small", "--dataset=embedded", "--train_fraction=0.25", "--batch_size=50",
        "--lr=0.05", "--lr_schedule=constant", "--milestones=", "--validate_every_epoch=false",
        "--training_steps=30it"]


def read_json(path):
    with open(path) as f:
        return json.load(f)


BASE = RunSpec("mnist_conv_small", "embedded", TrainConfig(training_steps="30it"))


def test_imp_level_k_keeps_one_minus_f_to_the_k():
    lottery = procedures.make("lottery", BASE, levels=3)
    f = 1 - (1 - 0.875) ** (1 / 3)  # = 0.5
    assert f == pytest.approx(0.5)
    densities = [1 - s for s in lottery.level_sparsities(0.875)]
    assert densities == pytest.approx([(1 - f) ** k for k in (1, 2, 3)])
    stages = lottery.stages(0.875, seed=0, check="reinit")
    assert [s.name.split("/")[-1] for s in stages] == ["seed0", "level1", "level2", "seed0"]
    assert stages[0].name == "pretrain/clean/seed0"
    assert stages[2].spec.masks.within == Ref(stages[1].name, "masks.npz") and stages[1].name.endswith("level1")
    assert stages[-1].spec.check == "reinit" and stages[1].spec.check is None
    assert all(s.spec.start.weights == Ref("pretrain/clean/seed0", "rewind.npz") for s in stages[1:])
    assert [s.after for s in stages] == [(), ("pretrain/clean/seed0",), ("pretrain/clean/seed0", stages[1].name),
                                         ("pretrain/clean/seed0", stages[2].name)]


def test_grid_shares_pretraining_and_orders_runs_in_waves(tmp_path):
    lrr = procedures.make("lr_rewinding", BASE)
    grid = procedures.Grid(lrr, 0.9, [0, 1], ["random_labels", "rearrange"], str(tmp_path))
    names = list(grid.stages)
    assert sorted(n for n in names if n.startswith("pretrain")) == [
        "pretrain/clean/seed0", "pretrain/clean/seed1", "pretrain/random_labels/seed0",
        "pretrain/random_labels/seed1"]
    waves = grid.waves()
    assert len(waves) == 2 and all(s.name.startswith("pretrain") for s in waves[0])
    ticket = grid.stages["lr_rewinding/sparsity0.9/random_labels/seed1"].spec
    assert str(ticket.start.weights) == str(tmp_path / "pretrain/random_labels/seed1/final_weights.npz")
    with pytest.raises(TicketsError, match="does not apply"):
        procedures.Grid(procedures.make("random", BASE), 0.9, [0], ["random_labels"], str(tmp_path))
    with pytest.raises(TicketsError, match="unknown procedure or criterion 'astrology'"):
        procedures.make("astrology", BASE)


def test_verdicts_need_a_drop_beyond_the_seeds_spread():
    assert verdicts.verdict([0.90, 0.91], [0.70, 0.72])["verdict"] == "uses this information"
    assert verdicts.verdict([0.90, 0.91], [0.905, 0.90])["verdict"] == "does not"
    assert verdicts.verdict([0.80, 0.90], [0.80, 0.86])["verdict"] == "does not"  # within a noisy spread
    assert verdicts.verdict([0.900, 0.900], [0.898, 0.898])["verdict"] == "does not"  # below 0.5 points
    assert verdicts.verdict([0.9], [0.5])["verdict"].startswith("n/a")


@pytest.mark.slow
def test_sanity_command_end_to_end_reuses_runs_and_prints_commands(tmp_path):
    root = tmp_path / "grid"
    args = [*TINY, "--method=snip", "--sparsity=0.9", "--seeds=0,1", "--checks=random_labels,rearrange",
            f"--run_dir={root}"]
    result = run_cli("tf_tickets.sanity", *args)
    assert result.returncode == 0, result.stderr[-3000:]
    table = (root / "snip/sparsity0.9/sanity.md").read_text()
    assert "| random labels | 2 |" in table and "layerwise rearrange" in table
    csv_lines = (root / "snip/sparsity0.9/sanity.csv").read_text().splitlines()
    assert csv_lines[0] == "check,n,accuracy,drop,verdict" and len(csv_lines) == 4
    # Each printed verdict is the rule applied to the runs' own accuracies; the plot shows their means.
    accuracy = {check: [read_json(root / f"snip/sparsity0.9/{check}/seed{seed}/results.json")["test_accuracy"]
                        for seed in (0, 1)] for check in ("plain", "random_labels", "rearrange")}
    for check, label in (("random_labels", "random labels"), ("rearrange", "layerwise rearrange")):
        expected = verdicts.verdict(accuracy["plain"], accuracy[check])["verdict"]
        printed = [line for line in result.stdout.splitlines() if line.startswith(f"| {label} |")]
        assert len(printed) == 1 and printed[0].rstrip(" |").endswith(expected), (printed, expected)
    plot = figures.plotted(root / "snip/sparsity0.9/sanity.png")
    assert plot["labels"] == ["none (the method itself)", "random labels", "layerwise rearrange"]
    assert plot["values"] == pytest.approx([np.mean(accuracy[c]) for c in ("plain", "random_labels", "rearrange")])
    for seed in (0, 1):
        masks = np.load(root / f"snip/sparsity0.9/rearrange/seed{seed}/masks.npz")
        plain = np.load(root / f"snip/sparsity0.9/plain/seed{seed}/masks.npz")
        assert {k: int(masks[k].sum()) for k in masks.files} == {k: int(plain[k].sum()) for k in plain.files}

    # Everything is reused: a second call trains nothing.
    again = run_cli("tf_tickets.sanity", *args)
    assert again.returncode == 0 and "pruning:" not in again.stderr

    printed = run_cli("tf_tickets.sanity", *args, "--print_commands")
    assert printed.returncode == 0, printed.stderr[-2000:]
    commands = [line for line in printed.stdout.splitlines() if line.startswith("python -m")]
    assert len(commands) == 6 and printed.stdout.rstrip().endswith("--gather")  # six runs, then gather
    flagfile = commands[0].split("--flagfile=")[1].split()[0]
    assert os.path.exists(flagfile)
    gathered = run_cli("tf_tickets.sanity", f"--flagfile={flagfile}", "--gather")
    assert gathered.returncode == 0 and "| random labels | 2 |" in gathered.stdout


def test_lottery_grid_runs_stage_by_stage_like_a_job_array(tmp_path, run_main):
    root = tmp_path / "grid"
    args = [*TINY, "--method=lottery", "--levels=2", "--sparsity=0.75", "--seeds=0", "--checks=reinit",
            f"--run_dir={root}"]
    printed = run_main("tf_tickets.sanity", *args, "--print_commands")
    commands = [line.split(" ", 3)[3] for line in printed.stdout.splitlines() if line.startswith("python -m")]
    stage_commands = [c.split("  # after ")[0] for c in commands if "--stage=" in c]
    assert len(stage_commands) == 4  # pretrain, level 1, and level 2 plain + reinit
    level1_name = "lottery/levels2/sparsity0.75/none/seed0/level1"
    assert commands[-1].endswith(f"--stage=lottery/sparsity0.75/reinit/seed0  # after pretrain/clean/seed0 "
                                 f"{level1_name}")  # what it reads
    # Started first (as a job array may), the last command runs the runs it reads, then its own.
    early = run_main("tf_tickets.sanity", *stage_commands[-1].split())
    assert early.returncode == 0, early.stderr[-3000:]
    lines = [line.split("  ")[0] for line in early.stdout.splitlines() if line.startswith("[")]
    assert lines == ["[1/3] pretrain/clean/seed0", f"[2/3] {level1_name}", "[3/3] lottery/sparsity0.75/reinit/seed0"]
    for command in stage_commands:
        result = run_main("tf_tickets.sanity", *command.split())
        assert result.returncode == 0, result.stderr[-3000:]
    level1 = np.load(root / "lottery/levels2/sparsity0.75/none/seed0/level1/masks.npz")
    final = np.load(root / "lottery/sparsity0.75/plain/seed0/masks.npz")
    total = sum(level1[k].size for k in level1.files)
    assert sum(int(level1[k].sum()) for k in level1.files) == pytest.approx(total * 0.5, abs=2)
    assert sum(int(final[k].sum()) for k in final.files) == pytest.approx(total * 0.25, abs=2)
    assert all(np.all(final[k] <= level1[k]) for k in final.files)  # level 2 prunes within level 1
    gathered = run_main("tf_tickets.sanity", *args, "--gather")
    assert gathered.returncode == 0 and "n/a (one seed)" in gathered.stdout


@pytest.mark.parametrize("args, message", [
    (["--criterion=dense"], "set --procedure or --criterion"),
    (["--criterion=astrology"], "unknown procedure or criterion 'astrology'"),
    (["--criterion=random", "--checks=random_labels"], "does not apply to random"),
    (["--criterion=snip", "--seeds="], "--seeds is empty"),
    (["--criterion=snip", "--seeds=a,b"], "--seeds must be integers"),
    (["--criterion=snip", "--gather"], "have not finished"),
    (["--criterion=snip", "--stage=nowhere"], "no run 'nowhere'"),
    (["--criterion=snip", "--checks=telepathy"], "unknown check 'telepathy'"),
    (["--procedure=snip"], "is a criterion: use --procedure=at_init --criterion=snip"),
    (["--procedure=at_init"], "--procedure=at_init needs --criterion"),
    (["--procedure=lottery:magnitude", "--criterion=snip"], "names its criterion already"),
    (["--procedure=snip:magnitude"], "only a partially-trained procedure takes a criterion"),
    (["--procedure=lottery:oracle"], "unknown criterion 'oracle'"),
    (["--method=astrology"], "unknown procedure or criterion 'astrology'"),  # the deprecated spelling
    (["--procedure=lottery", "--levels=two"], "--levels"),
    (["--procedure=lottery", "--rewind_to=soon"], "malformed duration"),
])
def test_sanity_bad_input(tmp_path, args, message, run_main):
    result = run_main("tf_tickets.sanity", *TINY, *args, f"--run_dir={tmp_path / 'grid'}")
    assert result.returncode == 2, result.stderr[-2000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith("tf_tickets.sanity: error:")]
    assert len(errors) == 1 and message in errors[0]
    assert not (tmp_path / "grid").exists()


@pytest.mark.slow
def test_the_main_command_prints_progress_and_tables_and_no_tensorflow_noise(tmp_path):
    result = run_cli("tf_tickets.sanity", "--flagfile=configs/embedded_sanity.cfg", "--training_steps=20it",
                     "--seeds=0,1", f"--run_dir={tmp_path / 'grid'}")
    assert result.returncode == 0, result.stderr[-3000:]
    output = (result.stdout + result.stderr).splitlines()
    noise = [line for line in output if line.startswith(("I0000", "W0000", "E0000", "WARNING: All log messages"))
             or "Sharding callback" in line or "cuInit" in line or "oneDNN" in line or "Callback method" in line
             or line[:1] in "IWE" and line[1:5].isdigit()]  # absl-formatted TensorFlow log lines
    assert noise == []
    progress = [line for line in result.stdout.splitlines() if line.startswith("[")]
    assert len(progress) == 10 and progress[0].startswith("[1/10] random/sparsity0.9/plain/seed0")
    assert all("%" in line and "ETA" in line for line in progress)
    assert "| layerwise rearrange | 2 |" in result.stdout and "Epoch 1/" not in result.stdout
    # The full log of each run still goes to its directory.
    assert (tmp_path / "grid/snip/sparsity0.9/plain/seed0/log.txt").read_text()


def test_one_method_under_several_budgets_gets_runs_of_its_own(tmp_path, run_main):
    root = tmp_path / "grid"
    printed = run_main("tf_tickets.sanity", *TINY, "--methods=random@smart_ratio,random@erk", "--sparsity=0.9",
                       "--seeds=0", "--checks=", f"--run_dir={root}", "--print_commands")
    assert printed.returncode == 0, printed.stderr
    stages = [line.split("--stage=")[1].split()[0] for line in printed.stdout.splitlines() if "--stage=" in line]
    assert stages == ["random@smart_ratio/sparsity0.9/plain/seed0", "random@erk/sparsity0.9/plain/seed0"]


def test_a_check_is_one_registry_entry_and_its_function(tmp_path):
    """A data check defined outside the package (no file of tf_tickets edited): one `register(Check(...))` and
    the function it applies. A grid plans its runs (the data it names is what the ticket's pruning sees), a
    ticket that uses no data reports it with the check's own verdict, and the runs' identities name it."""
    script = textwrap.dedent('''
        import json, sys
        from tf_tickets import checks, cli, sanity

        def shift_labels(data, seed):
            return data.replace(y_train=(data.y_train + 1) % data.num_classes)

        checks.register(checks.Check("shifted_labels", "shifted labels", checks.DATA, "which label goes with "
                                     "which image (each moved one class on)", checks.DATA,
                                     "does not (it uses no data)", default=False, corrupt=shift_labels))
        printed = cli.run_in_process(sanity.main, "tf_tickets.sanity", sys.argv[1:])
        snip, random = sanity.build_grids()
        print(json.dumps({"printed": printed, "snip": {k: s.spec.check for k, s in snip.stages.items()},
                          "skipped": random.skipped, "verdict": random.procedure.why_not("shifted_labels"),
                          "corrupt": sorted({s.spec.to_config()["corrupt"] for s in snip.stages.values()})}))
    ''')
    result = subprocess.run([sys.executable, "-c", script, *TINY, "--methods=snip,random", "--seeds=0",
                             "--checks=shifted_labels", f"--run_dir={tmp_path}", "--print_commands"],
                            cwd=REPO, env=cli_env(), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(result.stdout.splitlines()[-1])
    assert found["printed"] == 0
    assert found["snip"] == {"snip/sparsity0.9/plain/seed0": None,
                             "snip/sparsity0.9/shifted_labels/seed0": "shifted_labels"}
    assert found["corrupt"] == ["none", "shifted_labels"]
    assert found["skipped"] == ["shifted_labels"] and found["verdict"] == "does not (it uses no data)"
