"""Arrays from what a user hands us, without importing any framework: NumPy as it is, a TensorFlow, JAX or
PyTorch tensor (on whatever device) copied to the host, anything that is no array a one-line error."""
import numpy as np

from tf_tickets.errors import TicketsError


def as_numpy(value, what: str) -> np.ndarray:
    """`value` as a NumPy array (its dtype is the caller's to check); `what` names it in the error ("mask 'fc'")."""
    if isinstance(value, np.ndarray):
        array = value
    else:
        if callable(getattr(value, "detach", None)) and callable(getattr(value, "cpu", None)):
            value = value.detach().cpu()  # a PyTorch tensor, maybe on a GPU or needing grad
        try:
            array = np.asarray(value)
        except (TypeError, ValueError, RuntimeError) as error:
            raise TicketsError(f"{what} must be an array, got {type(value).__name__} ({error})") from None
    return array
