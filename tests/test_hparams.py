"""Settings own their flags: each config dataclass declares its fields once, their flags are made from them,
configs round-trip through plain dicts, a procedure added by one registry line gets its flags, tune binds
trial values without writing the process's flags, and the deprecated --method still works, saying so once."""
import json
import subprocess
import sys
import textwrap

import pytest
from absl import flags

from tests.conftest import REPO, cli_env
from tf_tickets import compare, deprecation, grid_cli, harness, procedures, sanity, train, tune  # noqa: F401 (flags)
from tf_tickets import results
from tf_tickets.errors import TicketsError
from tf_tickets.procedures import flags as procedure_flags
from tf_tickets.jackpot import SearchConfig
from tf_tickets.procedures.jackpot import JackpotConfig
from tf_tickets.pruning.config import PruningConfig
from tf_tickets.runs import RunSpec
from tf_tickets.training.config import TrainConfig
from tf_tickets.tuning import space
from tf_tickets.tuning.plan import Plan

FLAGS = flags.FLAGS
TINY = ["--model=mnist_conv_small", "--dataset=embedded", "--training_steps=30it", "--batch_size=50", "--lr=0.05",
        "--lr_schedule=constant", "--milestones=", "--validate_every_epoch=false", "--train_fraction=0.25"]


@pytest.fixture
def parse(monkeypatch):
    monkeypatch.chdir(REPO)

    def parse_args(*args):
        FLAGS.unparse_flags()
        FLAGS(["tf_tickets", *args])

    yield parse_args
    FLAGS.unparse_flags()


def test_the_flags_defaults_are_the_configs_defaults(parse):
    parse()
    assert harness.train_flags.train_config() == TrainConfig()
    assert harness.pruning_flags.pruning_config() == PruningConfig()
    assert harness.procedure_flags.config("jackpot") == JackpotConfig()
    assert FLAGS["search_lr"].default == SearchConfig().lr and FLAGS["milestones"].default == ["80ep", "120ep"]
    assert FLAGS.find_module_defining_flag("levels") == "tf_tickets.procedures.flags"


def test_configs_round_trip_through_their_record():
    train_config = TrainConfig(training_steps="7it", milestones=("2ep", "30it"), data_seed=3, lr=0.2)
    assert TrainConfig.from_dict(json.loads(json.dumps(train_config.to_dict()))) == train_config
    pruning = PruningConfig("snip", 0.8, "smart_ratio", criterion_options=(("iterations", 3),),
                            budget_options=(("linear_keep_ratio", 0.3),), block=4, score_batches=2)
    record = pruning.to_dict()
    assert record == {"method": "snip", "sparsity": 0.8, "budget": "smart_ratio", "policy": "conv_dense",
                      "method_options": {"iterations": 3}, "budget_options": {"linear_keep_ratio": 0.3},
                      "block": 4, "score_batches": 2}  # the names run directories have always used
    assert PruningConfig.from_dict(record) == pruning
    assert PruningConfig.from_dict(PruningConfig().to_dict()) == PruningConfig()  # "dense": no criterion
    jackpot = JackpotConfig(rewind_to="5it", search_steps="9it", search=SearchConfig(lr=0.3, rate="cosine"))
    assert JackpotConfig.from_dict(json.loads(json.dumps(jackpot.to_dict()))) == jackpot
    with pytest.raises(TicketsError, match="TrainConfig has no setting 'learning_rate'"):
        TrainConfig.from_dict({"learning_rate": 0.1})
    with pytest.raises(TicketsError, match="malformed duration"):
        TrainConfig.from_dict({"warmup": "soon"})


def test_procedures_take_their_own_hyper_parameters():
    base = RunSpec("mnist_conv_small", "embedded", TrainConfig(training_steps="30it"))
    lottery = procedures.make("lottery", base, levels=2, rewind_to="5it", gmp_frequency=7)  # gmp's is not lottery's
    assert (lottery.hparams.levels, str(lottery.hparams.rewind_to)) == (2, "5it")
    assert str(lottery.stages(0.75, 0, None)[0].spec.outputs.capture_at) == "5it"
    gmp = procedures.make("gmp", base, levels=2, gmp_frequency=7)
    assert gmp.stages(0.5, 0, None)[0].spec.masks.frequency == 7
    with pytest.raises(TicketsError, match="no procedure takes a setting 'level'"):
        procedures.make("lottery", base, level=2)


def test_a_procedure_is_its_module_and_one_registry_line(tmp_path):
    """A procedure defined outside the package (no file of tf_tickets edited), with a hyper-parameter of its
    own: its flag appears in the commands that take procedures, the value given reaches its stages, its grid
    runs, and tables label its runs by its name from their records (read in a process that never saw it)."""
    script = textwrap.dedent('''
        import dataclasses, json, sys
        from absl import flags
        from tf_tickets import cli, sanity
        from tf_tickets.durations import Duration
        from tf_tickets.hparams import Hparams, setting
        from tf_tickets.procedures.base import PROCEDURES, Procedure, Stage
        from tf_tickets.runs import FromCriterion

        @dataclasses.dataclass(frozen=True)
        class ShortConfig(Hparams):
            short_steps: Duration = setting("10it", "short: how long the ticket trains.")

        @PROCEDURES.register("short")
        class ShortTicket(Procedure):
            name, description, hparams_type = "short", "a random ticket trained for --short_steps", ShortConfig

            def __init__(self, base, hparams=None, criterion=None):
                super().__init__(base, hparams)

            def stages(self, sparsity, seed, check):
                train = self._train(seed, training_steps=self.hparams.short_steps)
                spec = dataclasses.replace(self.base, train=train, pruning=self._pruning("random", sparsity),
                                           masks=FromCriterion(), check=check)
                return [Stage(self.cell(sparsity, seed, check), spec)]

        printed = cli.run_in_process(sanity.main, "tf_tickets.sanity", [*sys.argv[1:], "--print_commands"])
        grid, = sanity.build_grids()
        found = {"printed": printed, "module": flags.FLAGS.find_module_defining_flag("short_steps"),
                 "help": flags.FLAGS["short_steps"].help,
                 "steps": {s.name: str(s.spec.train.training_steps) for s in grid.stages.values()}}
        found["ran"] = cli.run_in_process(sanity.main, "tf_tickets.sanity", sys.argv[1:])
        print(json.dumps(found))
    ''')
    root = tmp_path / "grid"
    result = subprocess.run([sys.executable, "-c", script, *TINY, "--procedure=short", "--short_steps=7it",
                             "--checks=rearrange", "--seeds=0", f"--run_dir={root}"],
                            cwd=REPO, env=cli_env(), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(result.stdout.splitlines()[-1])
    assert found["printed"] == found["ran"] == 0 and found["module"] == "tf_tickets.procedures.flags"
    assert found["help"] == "short: how long the ticket trains."
    assert found["steps"] == {"short/sparsity0.9/plain/seed0": "7it", "short/sparsity0.9/rearrange/seed0": "7it"}
    assert "--short_steps=7it" in (root / "grid-short-sparsity0.9.cfg").read_text()
    assert "short" not in procedures.PROCEDURES  # this process never imported it
    (table,) = results.build([str(root)]).tables
    assert table.methods == ["short", "short / rearrange"] and table.sparsities == [0.9]
    assert all(table.cell(m, 0.9).n == 1 for m in table.methods)


def test_tune_binds_trial_values_without_writing_the_flags(parse, tmp_path):
    parse(*TINY, "--criterion=random", "--budget=smart_ratio", "--run_dir=/runs/x")
    plan = Plan(space.parse(["lr:0.01:0.5", "linear_keep_ratio:0.1:0.5", "batch_size:20:40"]), "/tune")
    values = {"lr": 0.3, "linear_keep_ratio": 0.2, "batch_size": 20}
    spec = plan.spec(values)
    assert (spec.train.lr, spec.train.batch_size) == (0.3, 20)
    assert dict(spec.pruning.budget_options) == {"linear_keep_ratio": 0.2}
    assert (FLAGS.lr, FLAGS.batch_size, FLAGS.budget_options, FLAGS.run_dir) == (0.05, 50, [], "/runs/x")
    best = tmp_path / "best.cfg"
    best.write_text(plan.flagfile(values, "/tune/best"))
    assert {"--lr=0.3", "--batch_size=20", "--budget_options=linear_keep_ratio=0.2", "--run_dir=/tune/best"} <= \
        set(best.read_text().splitlines())
    parse(f"--flagfile={best}")  # the trial's flagfile is the trial's run
    assert harness.spec_from_flags().identity() == spec.identity()


def warnings_about_method(caplog):
    return [r for r in caplog.records if "--method is deprecated: use --criterion" in r.getMessage()]


def test_the_deprecated_method_flag_still_works_says_so_once_and_flagfiles_spell_it_anew(parse, tmp_path, caplog):
    deprecation.new_run()
    parse(*TINY, "--criterion=snip")
    expected = harness.spec_from_flags().identity()
    assert not warnings_about_method(caplog)
    parse(*TINY, "--method=snip")
    assert harness.spec_from_flags().identity() == harness.spec_from_flags().identity() == expected
    assert len(warnings_about_method(caplog)) == 1  # once per run, not per use
    flagfile = tmp_path / "flags.txt"
    flagfile.write_text(harness.flagfile(train))
    assert "--criterion=snip" in flagfile.read_text() and "--method=" not in flagfile.read_text()
    parse(f"--flagfile={flagfile}")
    assert harness.spec_from_flags().identity() == expected

    # In tf_tickets.sanity --method names a procedure or a criterion; its flagfile says which.
    parse(*TINY, "--method=lottery", "--levels=2", "--seeds=0,1", "--run_dir=/ROOT")
    grids = {k: s.spec.identity() for k, s in sanity.build_grid().stages.items()}
    flagfile.write_text(harness.flagfile(procedure_flags, grid_cli, sanity, changes=sanity.without_method()))
    assert "--procedure=lottery" in flagfile.read_text() and "--method=" not in flagfile.read_text()
    parse(f"--flagfile={flagfile}")
    assert {k: s.spec.identity() for k, s in sanity.build_grid().stages.items()} == grids


def test_a_grid_owns_its_base(parse):
    parse(*TINY, "--methods=random@smart_ratio,lottery", "--seeds=0", "--run_dir=/ROOT")
    grids = sanity.build_grids()
    assert [g.base.pruning.budget for g in grids] == ["smart_ratio", "global"]
    assert all(g.base is g.procedure.base for g in grids)


def test_prune_takes_its_older_keyword_names_and_says_so_once(caplog):
    from tf_tickets.backend import keras

    import tf_tickets

    deprecation.new_run()
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16), keras.layers.Dense(4)])
    older = [tf_tickets.prune(model, method="random", sparsity=0.5, seed=s) for s in (0, 1)]
    newer = tf_tickets.prune(model, criterion="random", sparsity=0.5, seed=0)
    masks = tf_tickets.pruning.current_masks
    assert all((masks(older[0])[k] == masks(newer)[k]).all() for k in masks(newer))
    noted = [r for r in caplog.records if "prune(method=, method_options=) is deprecated" in r.getMessage()]
    assert len(noted) == 1 and "use criterion=, criterion_options=" in noted[0].getMessage()
