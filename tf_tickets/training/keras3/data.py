"""NumPy batches (`tf_tickets.data.batches`) as a `keras.utils.PyDataset`, which Keras 3's `fit` and `evaluate`
take on every backend. Read in order, in this process (no workers): each batch is a function of its index, so a
backend that reads ahead (TensorFlow's tf.data) reads the same batches."""
import keras


class Batches(keras.utils.PyDataset):
    def __init__(self, batches):
        super().__init__()  # one reader, in this process
        self.batches = batches

    def __len__(self):
        return len(self.batches)

    def __getitem__(self, index):
        return self.batches[index]
