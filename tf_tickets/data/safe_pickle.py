"""Unpickles the CIFAR python batches without letting a file run code.

A pickle may name any importable callable (`os.system`) and the unpickler calls it. The CIFAR
batches need only dicts, lists, bytes and numpy arrays, so `find_class` allows just the numpy
array/dtype reconstructors (old and new module names) and latin-1 `_codecs.encode` (how Python 3
writes bytes at protocol 2). Everything else is refused with a TicketsError.
"""
import codecs
import io
import pickle

import numpy as np

from tf_tickets.errors import TicketsError

_reconstruct = np.ndarray.__reduce__(np.zeros(1))[0]       # numpy(._)core.multiarray._reconstruct
_frombuffer = np.ndarray.__reduce_ex__(np.zeros(1), 5)[0]  # numpy(._)core.numeric._frombuffer


def _latin1_encode(text, encoding="latin1", errors="strict"):
    if codecs.lookup(encoding).name != "iso8859-1":
        raise _Refused(f"_codecs.encode with {encoding!r}")
    return codecs.encode(text, "latin1", errors)


_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy.core.numeric", "_frombuffer"): _frombuffer,
    ("numpy._core.numeric", "_frombuffer"): _frombuffer,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("_codecs", "encode"): _latin1_encode,
}


class _Refused(pickle.UnpicklingError):
    """A global the CIFAR batches never need (kept apart from truncation, which is also an UnpicklingError)."""


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise _Refused(f"{module}.{name}") from None


def loads(raw: bytes, source: str):
    """The object in `raw` (a CIFAR-style pickle); a TicketsError naming `source` if it is refused or broken."""
    try:
        return _RestrictedUnpickler(io.BytesIO(raw), encoding="bytes").load()
    except _Refused as e:
        raise TicketsError(f"refusing to unpickle {source}: it references {e}, which a CIFAR batch never "
                           "needs; use the official archive from https://www.cs.toronto.edu/~kriz/cifar.html")
    except Exception as e:  # truncated or garbled data raises many kinds of errors
        raise TicketsError(f"cannot unpickle {source} ({type(e).__name__}: {e}); "
                           "replace it with an intact copy") from e
