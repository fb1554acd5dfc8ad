"""Data sets by name (`DATASETS`), each resolved from the first source that has it.

Order: a --data_dir the user gave (and only that); for fashion_mnist the Debian package's path;
TFDS (prepared, or downloaded when the server answers); `embedded` ships with the package.
"""
import os
from pathlib import Path
from typing import List, Optional

from tf_tickets.data import cifar, embedded, idx, npz, specs, tfds_source, tiny_imagenet
from tf_tickets.data.image_data import ImageData
from tf_tickets.errors import TicketsError
from tf_tickets.registry import Registry

DATASETS = Registry("dataset")
DEFAULT = "embedded"

# Where `apt-get install dataset-fashion-mnist` puts the full set; a list so tests can point it elsewhere.
SYSTEM_DIRS = {"fashion_mnist": ["/usr/share/datasets/fashion-mnist"]}

_DIR_READERS = {
    "cifar10": lambda d: cifar.read_dir(d, "cifar10"),
    "cifar100": lambda d: cifar.read_dir(d, "cifar100"),
    "mnist": idx.read_dir,
    "fashion_mnist": idx.read_dir,
    "tiny_imagenet": tiny_imagenet.read_dir,
    "embedded": lambda d: None,
}


def _checked_dir(data_dir) -> Path:
    path = Path(data_dir).expanduser()
    if not path.is_dir():
        raise TicketsError(f"--data_dir {path} does not exist or is not a directory; pass an existing directory")
    if not os.access(path, os.R_OK | os.X_OK):
        raise TicketsError(f"--data_dir {path} is not readable; fix its permissions or pass another directory")
    return path


def _from_dir(spec: specs.DatasetSpec, data_dir) -> ImageData:
    path = _checked_dir(data_dir)
    arrays = _DIR_READERS[spec.name](path) or npz.read_dir(path, spec.name)
    if arrays is None:
        raise TicketsError(f"no {spec.name} data in {path}: expected {spec.files_hint}, "
                           f"or {spec.name}.npz / data.npz with x_train, y_train, x_test, y_test")
    return spec.build(arrays)


def _resolve(name: str, data_dir) -> ImageData:
    spec = specs.SPECS[name]
    if data_dir:
        return _from_dir(spec, data_dir)
    for system_dir in SYSTEM_DIRS.get(name, []):
        if idx.has_files(system_dir):
            return spec.build(idx.read_dir(Path(system_dir)))
    if name == "embedded":
        return spec.build(embedded.read())
    if spec.tfds_name:
        return spec.build(tfds_source.read(spec))
    raise TicketsError(f"{name} has no download source: put {spec.files_hint} in a directory "
                       "and pass --data_dir=DIR")


def _register(name: str):
    DATASETS.register(name)(lambda data_dir=None: _resolve(name, data_dir))


for _name in specs.SPECS:
    _register(_name)


def load(name: str = DEFAULT, data_dir: Optional[str] = None) -> ImageData:
    """The data set `name`, read from `data_dir` when given (see the module docstring for the order)."""
    return DATASETS.create(name, data_dir=data_dir)


def names() -> List[str]:
    return DATASETS.names()
