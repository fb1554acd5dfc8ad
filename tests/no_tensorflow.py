"""For the Keras 3 check scripts run on JAX and PyTorch: `import tensorflow` fails there as if TensorFlow were
not installed, so whatever they exercise is shown to run without it."""
import importlib.abc
import importlib.machinery
import sys


class _NoTensorFlow(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """`import tensorflow` fails (a probe by `find_spec` sees no file)."""

    def find_spec(self, name, path, target=None):
        if name == "tensorflow" or name.startswith("tensorflow."):
            return importlib.machinery.ModuleSpec(name, self)
        return None

    def create_module(self, spec):
        raise ImportError(f"{spec.name} is blocked: this check runs without TensorFlow")

    def exec_module(self, module):
        raise ImportError(f"{module.__name__} is blocked")


def block_tensorflow() -> None:
    """From now on, in this process, importing TensorFlow fails."""
    sys.meta_path.insert(0, _NoTensorFlow())
