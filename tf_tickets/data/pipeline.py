"""tf.data input for training and evaluation, reproducible batch for batch and resumable at any epoch.

Each epoch's order and each example's augmentation are stateless functions of (seed, epoch[, index]),
so epochs k..m of one run are exactly epochs k..m of any other run with that seed: a run resumed
at epoch k sees the batches an uninterrupted run would have seen. Batches never span epochs (the
last, partial batch of an epoch is kept, as PyTorch loaders do).

The uint8 arrays are held once as constants on the CPU and gathered by index. A distributed
strategy that serialises the pipeline embeds them in its graph, which caps a data set at 2 GB.
"""
from typing import Optional

import numpy as np

from tf_tickets.backend import tf
from tf_tickets.data.batches import check as _check
from tf_tickets.data.batches import steps_per_epoch  # noqa: F401  (where it has always been found)
from tf_tickets.data.image_data import ImageData

AUTOTUNE = tf.data.AUTOTUNE
# The functions tf.data traces have no tensor-dependent Python control flow, so AutoGraph has nothing to
# rewrite in them. Converting them anyway took half of building both pipelines and reading a batch of each
# (0.35 s against 0.16 s, medians of six fresh processes), once per process.
_plain_graph = tf.autograph.experimental.do_not_convert


def normalize(x_uint8, data: ImageData):
    """(x/255 - mean)/std per channel, float32; works on one image or a batch. Float images (a user's
    own, already preprocessed) pass as they are."""
    if data.x_train.dtype == np.float32:
        return tf.cast(x_uint8, tf.float32)
    mean = tf.constant(data.mean, tf.float32)
    std = tf.constant(data.std, tf.float32)
    return (tf.cast(x_uint8, tf.float32) / 255.0 - mean) / std


def augmentation_params(seed, epoch, num_examples: int, padding: int):
    """Per-example crop offsets (N, 2) in [0, 2*padding] and flips (N,) in {0, 1} for one epoch.

    Drawn for the whole epoch at once from a stateless seed derived from (seed, epoch) and looked up
    by example index, so each example's augmentation depends on (seed, epoch, index) only.
    """
    key = tf.stack([tf.cast(seed, tf.int64), tf.cast(epoch, tf.int64)])
    offset_seed = tf.random.experimental.stateless_fold_in(key, tf.constant(1, tf.int64))
    flip_seed = tf.random.experimental.stateless_fold_in(key, tf.constant(2, tf.int64))
    offsets = tf.random.stateless_uniform([num_examples, 2], offset_seed, 0, 2 * padding + 1, tf.int32)
    flips = tf.random.stateless_uniform([num_examples], flip_seed, 0, 2, tf.int32)
    return offsets, flips


def crop_flip(images, padding: int, offsets, flips):
    """A batch zero-padded by `padding`, cropped back at `offsets` (B, 2), mirrored where `flips` (B,) is 1.

    Two gathers do it all (rows, then columns read right-to-left where flipped), so it is vectorised.
    """
    height, width = images.shape[1], images.shape[2]
    padded = tf.pad(images, [[0, 0], [padding, padding], [padding, padding], [0, 0]])
    rows = offsets[:, 0:1] + tf.range(height)[None, :]
    cols = offsets[:, 1:2] + tf.range(width)[None, :]
    cols = tf.where(flips[:, None] > 0, tf.reverse(cols, axis=[1]), cols)
    out = tf.gather(padded, rows, axis=1, batch_dims=1)
    return tf.gather(out, cols, axis=2, batch_dims=1)


def _options(ds, shard_options: bool):
    options = tf.data.Options()
    options.deterministic = True
    if shard_options:
        options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return ds.with_options(options)


def train_dataset(data: ImageData, batch_size: int, seed: int, start_epoch: int = 0,
                  end_epoch: Optional[int] = None, augment: bool = True,
                  shard_options: bool = True) -> tf.data.Dataset:
    """Batches (x float32 normalised, y int64) of epochs start_epoch..end_epoch-1 (None: forever)."""
    _check(batch_size, seed, start_epoch, end_epoch)
    n = len(data.y_train)
    with tf.device("/CPU:0"):
        x_all = tf.constant(data.x_train)
        y_all = tf.constant(data.y_train)
    seed_t = tf.constant(int(seed), tf.int64)
    padding = int(data.crop_padding)
    augmenting = augment and data.augment == "crop_flip"

    @_plain_graph
    def epoch_batches(epoch):  # cheap: indices (and augmentation parameters) only, in order
        order = tf.random.experimental.stateless_shuffle(tf.range(n, dtype=tf.int64),
                                                         seed=tf.stack([seed_t, epoch]))
        if not augmenting:
            return tf.data.Dataset.from_tensor_slices(order).batch(batch_size)
        offsets, flips = augmentation_params(seed_t, epoch, n, padding)
        return tf.data.Dataset.from_tensor_slices(
            (order, tf.gather(offsets, order), tf.gather(flips, order))).batch(batch_size)

    @_plain_graph
    def load_batch(index, offsets=None, flips=None):  # heavy: runs in parallel across batches
        images = tf.gather(x_all, index)
        if augmenting:
            images = crop_flip(images, padding, offsets, flips)
        return normalize(images, data), tf.gather(y_all, index)

    if end_epoch is None:
        epochs = tf.data.Dataset.counter(start_epoch, dtype=tf.int64)
    else:
        epochs = tf.data.Dataset.range(start_epoch, end_epoch, dtype=tf.int64)
    ds = epochs.flat_map(epoch_batches).map(load_batch, num_parallel_calls=AUTOTUNE)
    if end_epoch is not None:
        ds = ds.apply(tf.data.experimental.assert_cardinality(
            steps_per_epoch(n, batch_size) * (end_epoch - start_epoch)))
    return _options(ds.prefetch(AUTOTUNE), shard_options)


def eval_dataset(data: ImageData, batch_size: int, shard_options: bool = True) -> tf.data.Dataset:
    """Batches (x float32 normalised, y int64) of the test split in file order, no augmentation."""
    _check(batch_size, 0, 0, None)
    with tf.device("/CPU:0"):
        x_all = tf.constant(data.x_test)
        y_all = tf.constant(data.y_test)
    ds = tf.data.Dataset.range(len(data.y_test)).batch(batch_size)
    ds = ds.map(_plain_graph(lambda i: (normalize(tf.gather(x_all, i), data), tf.gather(y_all, i))),
                num_parallel_calls=AUTOTUNE)
    return _options(ds.prefetch(AUTOTUNE), shard_options)

