"""TF-MOT's own gradual magnitude pruning as a procedure of the sanity grid (`gmp`)."""
import numpy as np

TINY = ["--model=mnist_lenet_40_20", "--dataset=embedded", "--train_fraction=0.1", "--batch_size=50", "--lr=0.05",
        "--lr_schedule=constant", "--milestones=", "--validate_every_epoch=false", "--training_steps=48it",
        "--procedure=gmp", "--sparsity=0.8", "--gmp_frequency=6", "--seeds=0,1"]


def test_gmp_reaches_its_sparsity_through_tf_mot_and_takes_the_checks(tmp_path, run_main):
    root = tmp_path / "grid"
    # Several methods in one report (here one): a check that does not apply is reported with its reason.
    result = run_main("tf_tickets.sanity", *TINY, "--methods=gmp", "--checks=random_labels,rearrange,invert",
                      f"--run_dir={root}")
    assert result.returncode == 0, result.stderr[-2000:]
    for seed in (0, 1):
        pruned = np.load(root / f"gmp/pruning/sparsity0.8/clean/seed{seed}/masks.npz")
        ticket = np.load(root / f"gmp/sparsity0.8/plain/seed{seed}/masks.npz")
        for key in pruned.files:  # TF-MOT prunes each layer to the target (it keeps round(size * density))
            assert int(pruned[key].sum()) == round(pruned[key].size * 0.2)
            np.testing.assert_array_equal(ticket[key], pruned[key])  # the ticket retrains exactly those masks
        noisy = np.load(root / f"gmp/pruning/sparsity0.8/random_labels/seed{seed}/masks.npz")
        assert any(not np.array_equal(noisy[k], pruned[k]) for k in pruned.files)  # other data, other masks
    config = (root / "gmp/pruning/sparsity0.8/clean/seed0/config.json").read_text()
    assert '"method": "gmp"' in config and '"frequency": 6' in config
    for label in ("random labels", "layerwise rearrange"):
        assert f"| {label} | 2 |" in result.stdout
    assert "| score inversion | 0 | not run |  | n/a (TF-MOT ranks by magnitude while training) |" in result.stdout


def test_gmp_that_does_not_fit_the_run_is_one_line(tmp_path, run_main):
    result = run_main("tf_tickets.sanity", *TINY, "--gmp_frequency=100", "--checks=", f"--run_dir={tmp_path / 'g'}")
    assert result.returncode == 2 and "does not fit in a run of 48 steps" in result.stderr
