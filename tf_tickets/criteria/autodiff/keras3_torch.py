"""Keras 3 on PyTorch: `torch.autograd.grad` (with `create_graph` for the Hessian-vector product) over the
stateless model (`keras3`), eagerly."""
import torch

from tf_tickets.criteria.autodiff.keras3 import Keras3


def _leaves(values):
    return [v.detach().requires_grad_(True) for v in values]


def _dense(grads, values):
    return [torch.zeros_like(v) if g is None else g.detach() for g, v in zip(grads, values)]


class Keras3Torch(Keras3):
    backend = "torch"

    def read(self, variable):
        return variable.value.detach()

    def gradient(self, f):
        def run(values, *args):
            values = _leaves(values)
            return _dense(torch.autograd.grad(f(values, *args), values, allow_unused=True), values)
        return run

    def hessian_vector_product(self, f):
        def run(values, vector, *args):
            values = _leaves(values)
            grads = torch.autograd.grad(f(values, *args), values, create_graph=True, allow_unused=True)
            z = sum((g * v.detach()).sum() for g, v in zip(grads, vector) if g is not None)
            return _dense(torch.autograd.grad(z, values, allow_unused=True), values)
        return run

    def summed_squared_gradients(self, f):
        grad = self.gradient(f)

        def run(values, xs, ys, *args):
            sums = [torch.zeros_like(v) for v in values]
            for i in range(len(ys)):
                sums = [s + g.square() for s, g in zip(sums, grad(values, xs[i:i + 1], ys[i:i + 1], *args))]
            return sums
        return run


PRIMITIVES = Keras3Torch()
