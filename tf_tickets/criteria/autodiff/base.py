"""What a criterion asks of a framework: the model facts, variable access and autodiff primitives its
formula is computed from. The formulas themselves (|w·g|, w·Hg, 0.5·F·w², SynFlow's |w·dR/dw|, the blend)
are written once, in the criteria; each framework (`tf_keras`, Keras 3 on TensorFlow, JAX or PyTorch)
implements this class."""
import abc
from typing import List, Optional, Sequence, Tuple

import numpy as np


class Autodiff(abc.ABC):
    """The primitives for one kind of model. Gradients come back as the framework's tensors (they add with
    `+`); `times_weights` turns them into NumPy scores."""

    # Model facts.
    @abc.abstractmethod
    def input_shape(self, model) -> Tuple:
        """One example's shape (no batch axis)."""

    @abc.abstractmethod
    def num_classes(self, model) -> int:
        """The width of the logits."""

    @abc.abstractmethod
    def classifier_kernel(self, model):
        """The kernel of the last Dense among the prunable layers (GraSP re-initialises it), or None."""

    @abc.abstractmethod
    def unreliable_second_order(self, model) -> Optional[str]:
        """The layers of `model` whose second derivative the framework gets wrong, named for GraSP's warning
        ("Keras's unfused BatchNormalization (bn1, bn2)"), or None."""

    # Variables.
    @abc.abstractmethod
    def values(self, weights) -> List[np.ndarray]:
        """The weights' values as float32 arrays (a mixed-precision variable reads as its float32 value)."""

    @abc.abstractmethod
    def assign(self, variable, value: np.ndarray) -> None:
        ...

    @abc.abstractmethod
    def write_masks(self, weights, masks: Sequence[np.ndarray]) -> None:
        """w := w * mask in each variable (shapes checked by the caller)."""

    @abc.abstractmethod
    def times_weights(self, weights, tensors, absolute: bool = False) -> List[np.ndarray]:
        """w * t (|w * t| with `absolute`) per weight, float32 NumPy arrays."""

    # Autodiff. The loss is the mean cross-entropy of the logits / temperature, logits cast to float32.
    @abc.abstractmethod
    def loss_gradients(self, model, weights, x, y, temperature: float = 1.0) -> list:
        """d loss / dw on one batch, BatchNorm in training mode (batch statistics), as the references."""

    @abc.abstractmethod
    def hessian_gradient_product(self, model, weights, x1, y1, x2, y2, temperature: float = 1.0) -> list:
        """H g with L = L(x1, y1) + L(x2, y2) (each half its own forward pass, BatchNorm in training mode),
        g = dL/dw held constant: d<g, dL/dw>/dw."""

    @abc.abstractmethod
    def fisher_diagonal(self, model, weights, x, y) -> List[np.ndarray]:
        """The mean over examples of (d loss_i / dw)^2, one example at a time, BatchNorm in inference mode."""

    @abc.abstractmethod
    def synflow_scores(self, model, weights) -> List[np.ndarray]:
        """|w * dR/dw| in float64, on the network linearised as SynFlow's reference does (every float variable
        replaced by its absolute value, BatchNorm in inference mode on its |moving statistics|), R the sum
        of the outputs for an all-ones input of batch 1."""

    def synflow_survivor_rounds(self, model, weights) -> Optional[object]:
        """SynFlow's rounds over the survivors alone (`tf_tickets.pruning.survivors`), where a framework has
        them; None: the caller ranks every weight each round."""
        return None
