"""Builds tf_tickets/data/embedded/fashion_mnist_subset.npz, the packaged default data set.

Takes the first 600 training and first 200 test images of each Fashion-MNIST class (file order
kept) from the four IDX files, and stores them with the licence notice:

    python tools/make_embedded_subset.py --source_dir=/usr/share/datasets/fashion-mnist \
        --out=tf_tickets/data/embedded/fashion_mnist_subset.npz
"""
import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, installed or not

from tf_tickets.data import embedded, idx  # noqa: E402
from tf_tickets.errors import TicketsError  # noqa: E402


def first_per_class(labels: np.ndarray, per_class: int) -> np.ndarray:
    """Indices of the first `per_class` examples of every class, in file order."""
    keep = np.concatenate([np.flatnonzero(labels == c)[:per_class] for c in np.unique(labels)])
    counts = np.bincount(labels[keep])
    if counts.min() < per_class:
        raise TicketsError(f"some class has only {counts.min()} examples, fewer than {per_class}")
    return np.sort(keep)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source_dir", required=True, help="folder with the four Fashion-MNIST IDX files")
    parser.add_argument("--out", default=str(Path(embedded.__file__).parent / "embedded" / embedded.FILE))
    parser.add_argument("--train_per_class", type=int, default=600)
    parser.add_argument("--test_per_class", type=int, default=200)
    args = parser.parse_args(argv)
    try:
        arrays = idx.read_dir(Path(args.source_dir))
        if arrays is None:
            raise TicketsError(f"no IDX files in {args.source_dir}; pass the Fashion-MNIST folder")
    except TicketsError as e:
        sys.exit(f"error: {e}")
    train = first_per_class(arrays.y_train, args.train_per_class)
    test = first_per_class(arrays.y_test, args.test_per_class)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        args.out,
        x_train=arrays.x_train[train][..., None], y_train=arrays.y_train[train].astype(np.int64),
        x_test=arrays.x_test[test][..., None], y_test=arrays.y_test[test].astype(np.int64),
        licence=np.array(embedded.LICENCE),
        source=np.array(f"first {args.train_per_class}/{args.test_per_class} train/test images per class "
                        "of Fashion-MNIST (https://github.com/zalandoresearch/fashion-mnist)"))
    print(f"wrote {args.out} ({Path(args.out).stat().st_size / 1e6:.2f} MB): "
          f"{len(train)} train, {len(test)} test images")


if __name__ == "__main__":
    main()
