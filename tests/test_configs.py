"""Every shipped flagfile parses into a valid run, sanity grid or siblings plan (the siblings plan reads the
shipped subset's size; nothing else touches data)."""
import glob
import os

import pytest
from absl import flags

from tests.conftest import REPO
from tf_tickets import compare, harness, sanity, siblings, train, tune  # noqa: F401  (define the flags)
from tf_tickets.training.config import TrainConfig

CONFIGS = sorted(glob.glob(str(REPO / "configs" / "**" / "*.cfg"), recursive=True))


@pytest.fixture
def parse():
    cwd = os.getcwd()
    os.chdir(REPO)  # nested --flagfile paths are relative to the repository root

    def parse_file(path):
        flags.FLAGS.unparse_flags()
        flags.FLAGS(["tf_tickets", f"--flagfile={path}"])

    yield parse_file
    flags.FLAGS.unparse_flags()
    os.chdir(cwd)


@pytest.mark.parametrize("path", CONFIGS, ids=[os.path.relpath(p, REPO) for p in CONFIGS])
def test_config_parses_into_a_run(path, parse):
    parse(path)
    F = flags.FLAGS
    text = open(path).read()
    if "--siblings=" in text:
        plan = siblings.build_plan(harness.load_data(harness.spec_from_flags("dense")))
        runs_per_seed = F.siblings + 1 + 2 * (F.siblings - 1) + (F.pretrain != "0it")
        assert len(plan.stages) == len(F.seeds) * runs_per_seed and plan.k == F.siblings
        assert {(s.spec.model, s.spec.dataset, str(s.spec.train.training_steps)) for s in plan.stages.values()} == \
            {(F.model, F.dataset, F.training_steps)}
        assert plan.sparsity == F.sparsity
    elif "--seeds=" in text:  # a sanity grid; a config shared by several tickets leaves --criterion to the caller
        if not (F.methods or F.procedure or F.criterion):
            F.criterion = "snip"
        grids = sanity.build_grids()
        expected = [m.split("@")[0] for m in F.methods] if F.methods else [F.procedure or F.criterion]
        assert [g.procedure.name for g in grids] == expected
        for grid in grids:  # every cell of the table has one run per seed, each with the config's settings
            assert set(grid.cells) == {(c, int(s)) for c in grid.checks for s in F.seeds}
            chosen = F.checks if F.checks is not None else grid.procedure.applicable_checks()
            assert sorted(grid.checks[1:] + grid.skipped) == sorted(chosen)  # run, or reported as not applying
            for stage in grid.stages.values():
                assert (stage.spec.model, stage.spec.dataset) == (F.model, F.dataset)
                assert stage.spec.train.batch_size == F.batch_size and str(stage.spec.train.training_steps) \
                    in (F.training_steps, F.finetune_steps)
            assert grid.sparsity == F.sparsity
    elif "--space=" in text:  # a search (tf_tickets.tune): each searched name binds, each range end is a valid run
        plan = tune.build_plan()
        assert (plan.base.model, plan.base.dataset) == (F.model, F.dataset)
        assert sorted(s.param.text for s in plan.settings) == sorted(F.space)
    else:
        spec = harness.spec_from_flags()
        assert (spec.model, spec.dataset, spec.train.batch_size, spec.train.lr) == (F.model, F.dataset, F.batch_size,
                                                                                    F.lr)
        assert str(spec.train.training_steps) == F.training_steps
        assert [str(m) for m in spec.train.milestones] == F.milestones


@pytest.mark.parametrize("name, model", [("resnet32", "cifar_resnet_32_32"), ("vgg19", "cifar_vgg_19_bn")])
def test_paper_network_configs_are_su_et_al_s_cifar_set_up(name, model, parse):
    parse(str(REPO / "configs" / f"{name}.cfg"))
    spec = harness.spec_from_flags()
    assert (spec.model, spec.dataset, spec.dense) == (model, "cifar10", True)
    paper = TrainConfig(training_steps="160ep", batch_size=64, optimizer="sgd", lr=0.1, momentum=0.9,
                        weight_decay=1e-4, lr_schedule="step", milestones=("80ep", "120ep"), gamma=0.1, warmup="0it",
                        augment=True)
    assert spec.train.to_dict() == paper.to_dict()


def test_paper_configs_cover_every_row_of_the_tables():
    names = {os.path.basename(p)[:-4] for p in CONFIGS if "/paper/" in p}
    rows = ["full", "lottery_tickets", "snip", "grasp", "random_tickets", "obd", "lr_rewinding", "hybrid_tickets"]
    assert names == {f"{net}_{row}" for net in ("vgg19", "resnet32") for row in rows}
