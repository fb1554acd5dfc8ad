"""Keras 3 on JAX: `jax.grad`, `jax.jvp` of `jax.grad` (forward over reverse) and `jax.lax.scan` over examples,
each `jax.jit`-compiled, over the stateless model (`keras3`)."""
import jax
import jax.numpy as jnp

from tf_tickets.criteria.autodiff.keras3 import Keras3


class Keras3Jax(Keras3):
    backend = "jax"

    def float64(self):
        return jax.enable_x64(True)

    def gradient(self, f):
        return jax.jit(jax.grad(f))

    def hessian_vector_product(self, f):
        def run(values, vector, *args):
            return jax.jvp(lambda v: jax.grad(f)(v, *args), (values,), (vector,))[1]
        return jax.jit(run)

    def summed_squared_gradients(self, f):
        grad = jax.grad(f)

        def run(values, xs, ys, *args):
            def add(sums, example):
                x, y = example
                return [s + jnp.square(g) for s, g in zip(sums, grad(values, x[None], y[None], *args))], None
            return jax.lax.scan(add, [jnp.zeros_like(v) for v in values], (xs, ys))[0]
        return jax.jit(run)


PRIMITIVES = Keras3Jax()
