"""The one TensorFlow import: Keras 2 for TF-MOT and us, and a start-up that loads nothing it does not use."""
import subprocess
import sys

from tests.conftest import REPO, cli_env

AFTER_IMPORT = """
import sys
import tf_tickets.backend as backend
assert backend.keras.__name__ == "tf_keras", backend.keras.__name__
unused = sorted(name for name in ("keras", "sklearn") if name in sys.modules)
assert not unused, f"imported for nothing: {unused}"
layer = backend.tfmot.sparsity.keras.prune_low_magnitude(backend.keras.layers.Dense(2))
assert type(layer).__name__ == "PruneLowMagnitude", type(layer)
import keras  # not left blocked: a user's own Keras 3 still imports
print(keras.__version__)
"""


def test_start_up_imports_keras_2_only_and_leaves_keras_3_importable():
    done = subprocess.run([sys.executable, "-c", AFTER_IMPORT], cwd=REPO, env=cli_env(), capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().startswith("3."), done.stdout
