"""Run records read back (issue 31): every run a grid plans, for every procedure and every criterion pruned at
initialisation or ranking a lottery ticket's trained weights, under every check, is the run its config.json
says (`RunSpec.from_config`) and the part its stage.json says (`StageRecord.from_config`); a procedure's
record makes the same procedure, which plans the same runs."""
import pytest
from absl import flags

from tests.conftest import REPO
from tf_tickets import checks, criteria, procedures, sanity
from tf_tickets.procedures import PROCEDURES, Grid, base
from tf_tickets.runs import RunSpec
from tf_tickets.runs.record import StageRecord

SHAPES = sorted({*criteria.names(), *PROCEDURES.names(),
                 *(f"lottery:{name}" for name in criteria.names() if name != "magnitude")})


def planned_grid(name, run_dir):
    option = "--procedure" if base.is_procedure(name) else "--criterion"
    flags.FLAGS.unparse_flags()
    flags.FLAGS(["tf_tickets", "--model=mnist_conv_small", "--dataset=embedded", "--training_steps=30it",
                 "--lr_schedule=constant", "--milestones=", f"{option}={name}", "--sparsity=0.9", "--seeds=0",
                 f"--checks={','.join(checks.names())}", f"--run_dir={run_dir}"])
    try:
        return sanity.build_grid(several=True)  # checks that do not apply to a procedure are reported, not run
    finally:
        flags.FLAGS.unparse_flags()


@pytest.mark.parametrize("name", SHAPES)
def test_every_planned_run_reads_back_from_its_record(tmp_path, name, monkeypatch):
    monkeypatch.chdir(REPO)
    grid = planned_grid(name, tmp_path)
    assert len(grid.checks) > 1 and grid.stages
    for stage in grid.stages.values():
        config = stage.spec.to_config()
        assert RunSpec.from_config(config, str(tmp_path)).to_config() == config, stage.name
        assert StageRecord.from_config(stage.record.to_config()) == stage.record, stage.name
        assert stage.record.check == stage.spec.check or stage.record.dense, stage.name
    procedure = grid.procedure
    again = procedures.from_config(procedure.to_config(), grid.base)
    assert again.to_config() == procedure.to_config()
    rebuilt = Grid(again, grid.sparsity, grid.seeds, grid.checks[1:], grid.root)
    assert {k: (s.name, s.spec.to_config(), s.record) for k, s in rebuilt.stages.items()} == \
        {k: (s.name, s.spec.to_config(), s.record) for k, s in grid.stages.items()}


def test_a_record_that_names_an_unknown_part_is_refused():
    with pytest.raises(ValueError, match="unknown part"):
        StageRecord.from_config({"procedure": "lottery", "part": "warm_up"})
