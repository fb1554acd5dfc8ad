"""Every shipped flagfile parses into a valid run (or sanity grid), without touching any data."""
import glob
import os

import pytest
from absl import flags

from tests.conftest import REPO
from tf_tickets import compare, sanity, train  # noqa: F401  (define the flags)

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
    text = open(path).read()
    if "--seeds=" in text:  # a sanity grid; a config shared by several methods leaves --method to the caller
        if flags.FLAGS.method == "dense":
            flags.FLAGS.method = "snip"
        grid = sanity.build_grid()
        assert grid.stages and grid.procedure.name
    else:
        spec = train.spec_from_flags()
        assert spec.model and spec.train.total_steps(100) > 0


def test_paper_configs_cover_every_row_of_the_tables():
    names = {os.path.basename(p)[:-4] for p in CONFIGS if "/paper/" in p}
    rows = ["full", "lottery_tickets", "snip", "grasp", "random_tickets", "obd", "lr_rewinding", "hybrid_tickets"]
    assert names == {f"{net}_{row}" for net in ("vgg19", "resnet32") for row in rows}
