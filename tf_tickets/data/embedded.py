"""The default data set: a small real subset of Fashion-MNIST shipped inside the package.

600 training and 200 test images per class (the first of each class in the original files),
so that everything runs on a fresh machine with no network and no --data_dir. Fashion-MNIST,
Copyright (c) 2017 Zalando SE, MIT licence (the notice travels inside the .npz as `licence`).
Rebuild it with tools/make_embedded_subset.py.
"""
from importlib import resources

from tf_tickets.data import npz
from tf_tickets.data.specs import Arrays
from tf_tickets.errors import TicketsError

FILE = "fashion_mnist_subset.npz"
LICENCE = "Fashion-MNIST, Copyright (c) 2017 Zalando SE, MIT licence"


def read() -> Arrays:
    resource = resources.files("tf_tickets.data").joinpath("embedded").joinpath(FILE)
    if not resource.is_file():
        raise TicketsError(f"the packaged data file embedded/{FILE} is missing; reinstall tf_tickets "
                           "or rebuild it with tools/make_embedded_subset.py")
    with resources.as_file(resource) as path:
        return npz.read_file(path)
