"""Training a Keras 3 model (TensorFlow, JAX or PyTorch backend) in a run directory: the same run as the tf_keras
loop's (`tf_tickets.training.loop`), without TensorFlow on JAX and PyTorch. `loop` trains with Keras 3's `fit`
on NumPy batches (`data`), resuming a killed run from NumPy checkpoints (`checkpoint`); `optimizers` holds
the reference's coupled L2 for Keras 3."""
