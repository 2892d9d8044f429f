"""Optional part 2: a convolutional VAE (ConvVAE) and a conditional one (ConditionalConvVAE).

    python conv_vae.py                                  # ConvVAE on MNIST
    python conv_vae.py --conditional                    # ConditionalConvVAE on MNIST
    python conv_vae.py --dataset fashion_mnist --data /usr/share/datasets/fashion-mnist
    python conv_vae.py --dataset cifar10 --latent_dim 16 --hidden_dim 128   # needs Keras's CIFAR-10 cache
    python conv_vae.py --epochs 1 --train_images 6000   # a quick trial

You implement the TODOs (P2.1 to P2.8). Code marked "given" is restored by the autograder.
Figures go to outputs/.

Unlike vae.py, images here are channels last, (N, H, W, K), as Keras's Conv2D expects; vae.py
uses (N, 1, H, W). Both models train with model.fit(images, one_hot_labels): ConvVAE ignores
the labels, ConditionalConvVAE conditions its encoder and decoder on them.

The encoder's Dense(14) uses leaky ReLU by default (same shapes and parameter counts as the
table). With plain ReLU (--hidden_activation relu), most of its 14 units stop firing for every
image early in training (2 to 6 stay alive), and in 4 of 6 seeds (20,000 MNIST images, 3 epochs)
one of the two latent dimensions collapsed (z_mean std < 0.2): the scatter becomes a line.

Symbols used in the shapes below:
    N     batch size
    H, W  image height and width (28 for MNIST and Fashion-MNIST, 32 for CIFAR-10)
    K     image channels (1 for MNIST and Fashion-MNIST, 3 for CIFAR-10)
    Z     latent size (latent_dim, 2 in the architecture table)
    C     number of classes (10)
    H_d   width of the encoder's hidden Dense layer (hidden_dim, 14 in the table)
"""
import argparse
import gzip
import os
import time

import keras
import matplotlib

matplotlib.use("Agg")  # write files only; no display needed
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from keras import layers

MNIST_SHAPE = (28, 28, 1)  # (H, W, K)
NUM_CLASSES = 10  # C
DATASETS = ("mnist", "fashion_mnist", "cifar10")
CLASS_NAMES = {
    "mnist": [str(d) for d in range(10)],
    "fashion_mnist": ["T-shirt", "Trouser", "Pullover", "Dress", "Coat",
                      "Sandal", "Shirt", "Sneaker", "Bag", "Boot"],
    "cifar10": ["airplane", "automobile", "bird", "cat", "deer",
                "dog", "frog", "horse", "ship", "truck"],
}
DATA_ENV = {"mnist": "MNIST_NPZ", "fashion_mnist": "FASHION_MNIST_DIR"}  # env var for --data
DEBIAN_FASHION_MNIST = "/usr/share/datasets/fashion-mnist"  # Debian's dataset-fashion-mnist


class Sampling(layers.Layer):
    """Draws z ~ N(z_mean, exp(z_log_var)) with the reparameterization trick."""

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(seed)  # the layer owns its randomness

    def call(self, inputs):
        """Args: inputs = (z_mean, z_log_var), each (N, Z). Returns: z, (N, Z)."""
        z_mean, z_log_var = inputs
        z = None
        # TODO (P2.1): Implement the reparameterization trick.
        #   Draw epsilon ~ N(0, I) of shape (N, Z) with keras.random.normal(..., seed=self.seed_generator)
        #   and return z = z_mean + exp(0.5 * z_log_var) * epsilon.
        # BEGIN SOLUTION
        epsilon = keras.random.normal(keras.ops.shape(z_mean), seed=self.seed_generator)  # (N, Z)
        z = z_mean + tf.exp(0.5 * z_log_var) * epsilon  # (N, Z)
        # END SOLUTION
        # END TODO (P2.1)
        return z


def encoder_layers(x, latent_dim, hidden_dim, hidden_activation="leaky_relu"):
    """The encoder's layers, applied to a symbolic Keras tensor.

    Args:
        x: symbolic images, shape (N, H, W, K') with H and W divisible by 4 (K' = K, or K + C
            in the conditional encoder).
        latent_dim: Z.
        hidden_dim: H_d.
        hidden_activation: the Dense(H_d) layer's activation: "leaky_relu" keeps its units from
            dying; the handout's "relu" works too but often collapses a latent dimension.
    Returns:
        z_mean, z_log_var, z: symbolic tensors of shape (N, Z) each; the layers producing them
            are named "z_mean", "z_log_var" and "z".
    """
    z_mean = z_log_var = z = None
    # TODO (P2.2): Build the encoder (3x3 kernels, padding "same", ReLU), as in the table:
    #   Conv2D(32, stride 2)   (N, H/2, W/2, 32)      MNIST: (N, 14, 14, 32), 320 params
    #   Conv2D(64, stride 2)   (N, H/4, W/4, 64)             (N, 7, 7, 64), 18,496 params
    #   Flatten                (N, H/4 * W/4 * 64)           (N, 3136)
    #   Dense(H_d), activation hidden_activation (N, H_d)    (N, 14), 43,918 params
    #   two Dense(Z) heads without activation, named "z_mean" and "z_log_var", and
    #   Sampling(name="z") applied to [z_mean, z_log_var].
    # BEGIN SOLUTION
    h = layers.Conv2D(32, 3, strides=2, padding="same", activation="relu")(x)  # (N, H/2, W/2, 32)
    h = layers.Conv2D(64, 3, strides=2, padding="same", activation="relu")(h)  # (N, H/4, W/4, 64)
    h = layers.Flatten()(h)  # (N, H/4 * W/4 * 64)
    h = layers.Dense(hidden_dim, activation=hidden_activation)(h)  # (N, H_d)
    z_mean = layers.Dense(latent_dim, name="z_mean")(h)  # (N, Z)
    z_log_var = layers.Dense(latent_dim, name="z_log_var")(h)  # (N, Z)
    z = Sampling(name="z")([z_mean, z_log_var])  # (N, Z)
    # END SOLUTION
    # END TODO (P2.2)
    return z_mean, z_log_var, z


def decoder_layers(h, image_shape):
    """The decoder's layers, applied to a symbolic Keras tensor.

    Args:
        h: symbolic latent codes, shape (N, Z) (or (N, Z + C) in the conditional decoder).
        image_shape: (H, W, K) of the images to produce; H and W divisible by 4.
    Returns:
        x_hat: symbolic images of shape (N, H, W, K), values in [0, 1].
    """
    height, width, channels = image_shape
    x_hat = None
    # TODO (P2.3): Build the decoder (3x3 kernels, padding "same"), as in the table:
    #   Dense(H/4 * W/4 * 64) + ReLU        (N, H/4 * W/4 * 64)  MNIST: (N, 3136), 9,408 params
    #   Reshape to (H/4, W/4, 64)           (N, H/4, W/4, 64)           (N, 7, 7, 64)
    #   Conv2DTranspose(64, stride 2) ReLU  (N, H/2, W/2, 64)           (N, 14, 14, 64), 36,928
    #   Conv2DTranspose(32, stride 2) ReLU  (N, H, W, 32)               (N, 28, 28, 32), 18,464
    #   Conv2DTranspose(K, stride 1) sigmoid (N, H, W, K)               (N, 28, 28, 1), 289
    # BEGIN SOLUTION
    h = layers.Dense(height // 4 * width // 4 * 64, activation="relu")(h)  # (N, H/4 * W/4 * 64)
    h = layers.Reshape((height // 4, width // 4, 64))(h)  # (N, H/4, W/4, 64)
    h = layers.Conv2DTranspose(64, 3, strides=2, padding="same", activation="relu")(h)  # (N, H/2, W/2, 64)
    h = layers.Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu")(h)  # (N, H, W, 32)
    x_hat = layers.Conv2DTranspose(channels, 3, padding="same", activation="sigmoid")(h)  # (N, H, W, K)
    # END SOLUTION
    # END TODO (P2.3)
    return x_hat


def check_image_shape(image_shape):
    """Given. Raise a clear error unless image_shape is (H, W, K) with H and W divisible by 4."""
    if len(image_shape) != 3 or image_shape[0] % 4 or image_shape[1] % 4:
        raise ValueError(f"image_shape must be (H, W, K), channels last, with H and W divisible "
                         f"by 4 (two stride-2 convolutions); got {tuple(image_shape)}")
    return tuple(int(d) for d in image_shape)


def build_encoder(image_shape=MNIST_SHAPE, latent_dim=2, hidden_dim=14, hidden_activation="leaky_relu"):
    """Given. The encoder model: images (N, H, W, K) -> [z_mean, z_log_var, z], each (N, Z)."""
    image_shape = check_image_shape(image_shape)
    images = keras.Input(shape=image_shape, name="image")
    outputs = encoder_layers(images, latent_dim, hidden_dim, hidden_activation)
    return keras.Model(images, list(outputs), name="encoder")


def build_decoder(latent_dim=2, image_shape=MNIST_SHAPE):
    """Given. The decoder model: z (N, Z) -> images (N, H, W, K) in [0, 1]."""
    image_shape = check_image_shape(image_shape)
    z = keras.Input(shape=(latent_dim,), name="z")
    return keras.Model(z, decoder_layers(z, image_shape), name="decoder")


def vae_loss(x, x_hat, z_mean, z_log_var):
    """The negative ELBO and its two terms, each averaged over the batch.

    reconstruction_i = sum over pixels and channels of BCE(x_hat_i, x_i);
    kl_i = -0.5 * sum_j (1 + z_log_var_ij - z_mean_ij ** 2 - exp(z_log_var_ij)).

    Args:
        x: images, shape (N, H, W, K), values in [0, 1].
        x_hat: reconstructions, shape (N, H, W, K), values in [0, 1].
        z_mean, z_log_var: posterior parameters, shape (N, Z) each.
    Returns:
        total_loss, reconstruction_loss, kl_loss: scalar tensors; total = reconstruction + kl.
    """
    total_loss = reconstruction_loss = kl_loss = None
    # TODO (P2.4): Compute the loss, with the same convention as loss_function in vae.py.
    #   keras.ops.binary_crossentropy(x, x_hat) is elementwise, shape (N, H, W, K): sum it over
    #   axes (1, 2, 3). Sum the KL over Z. Average both over the batch.
    # BEGIN SOLUTION
    x = tf.cast(x, x_hat.dtype)
    bce = keras.ops.binary_crossentropy(x, x_hat)  # (N, H, W, K); Keras clips x_hat away from 0 and 1
    reconstruction_loss = tf.reduce_mean(tf.reduce_sum(bce, axis=(1, 2, 3)))
    kl = -0.5 * tf.reduce_sum(1.0 + z_log_var - tf.square(z_mean) - tf.exp(z_log_var), axis=1)  # (N,)
    kl_loss = tf.reduce_mean(kl)
    total_loss = reconstruction_loss + kl_loss
    # END SOLUTION
    # END TODO (P2.4)
    return total_loss, reconstruction_loss, kl_loss


class ConvVAE(keras.Model):
    """A convolutional VAE. Train it with model.fit(images, one_hot_labels); it ignores the labels."""

    def __init__(self, image_shape=MNIST_SHAPE, latent_dim=2, hidden_dim=14, hidden_activation="leaky_relu", **kwargs):
        super().__init__(**kwargs)
        self.image_shape = check_image_shape(image_shape)  # (H, W, K)
        self.latent_dim = latent_dim  # Z
        self.hidden_dim = hidden_dim  # H_d
        self.hidden_activation = hidden_activation
        self.encoder, self.decoder = self.build_networks()
        self.trackers = {name: keras.metrics.Mean(name=name) for name in self.loss_names()}

    def build_networks(self):
        """Given. The (encoder, decoder) sub-models."""
        return (build_encoder(self.image_shape, self.latent_dim, self.hidden_dim, self.hidden_activation),
                build_decoder(self.latent_dim, self.image_shape))

    def loss_names(self):
        """Given. The terms loss_terms returns, in the order fit() prints them."""
        return ["total_loss", "reconstruction_loss", "kl_loss"]

    @property
    def metrics(self):
        """Given. Listing the trackers here makes Keras reset them at the start of every epoch."""
        return list(self.trackers.values())

    def encode(self, x, c=None):
        """Given. images (N, H, W, K) -> (z_mean, z_log_var, z), each (N, Z); c is ignored."""
        return self.encoder(x)

    def decode(self, z, c=None):
        """Given. z (N, Z) -> images (N, H, W, K) in [0, 1]; c is ignored."""
        return self.decoder(z)

    def call(self, x, c=None):
        """Given. Reconstructions (N, H, W, K) of images x (N, H, W, K), through a sampled z."""
        return self.decode(self.encode(x, c)[2], c)

    def loss_terms(self, x, c=None):
        """One forward pass and its losses.

        Args:
            x: images, shape (N, H, W, K), values in [0, 1].
            c: one-hot labels (N, C) or None; ConvVAE ignores them (pass them on anyway, so
                that ConditionalConvVAE can reuse this method).
        Returns:
            terms: dict of scalar tensors keyed by self.loss_names().
        """
        terms = None
        # TODO (P2.5): Encode x with self.encode(x, c), decode the sampled z with self.decode(z, c),
        #   then compute vae_loss and return {"total_loss": ..., "reconstruction_loss": ...,
        #   "kl_loss": ...}.
        # BEGIN SOLUTION
        z_mean, z_log_var, z = self.encode(x, c)  # (N, Z) each
        x_hat = self.decode(z, c)  # (N, H, W, K)
        total, reconstruction, kl = vae_loss(x, x_hat, z_mean, z_log_var)
        terms = {"total_loss": total, "reconstruction_loss": reconstruction, "kl_loss": kl}
        # END SOLUTION
        # END TODO (P2.5)
        return terms

    def train_step(self, data):
        """One optimization step on a batch; model.fit calls it.

        Args:
            data: images (N, H, W, K), or a tuple (images, one_hot_labels (N, C)).
        Returns:
            dict {name: running mean over the epoch so far} for every tracker in self.metrics.
        """
        x, c, _ = keras.utils.unpack_x_y_sample_weight(data)
        # TODO (P2.6): Take one optimization step, keras-io style.
        #   1. Inside a tf.GradientTape, compute terms = self.loss_terms(x, c).
        #   2. Differentiate terms["total_loss"] with respect to self.trainable_weights and apply
        #      the gradients with self.optimizer.apply_gradients.
        #   3. Update each tracker: self.trackers[name].update_state(terms[name]).
        # BEGIN SOLUTION
        with tf.GradientTape() as tape:
            terms = self.loss_terms(x, c)
        grads = tape.gradient(terms["total_loss"], self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        for name, tracker in self.trackers.items():
            tracker.update_state(terms[name])
        # END SOLUTION
        # END TODO (P2.6)
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    def test_step(self, data):
        """Given. The losses on a batch without a gradient step; model.evaluate calls it."""
        x, c, _ = keras.utils.unpack_x_y_sample_weight(data)
        terms = self.loss_terms(x, c)
        for name, tracker in self.trackers.items():
            tracker.update_state(terms[name])
        return {name: tracker.result() for name, tracker in self.trackers.items()}


def build_conditional_encoder(image_shape=MNIST_SHAPE, num_classes=NUM_CLASSES, latent_dim=2, hidden_dim=14,
                              hidden_activation="leaky_relu"):
    """The conditional encoder model: [images (N, H, W, K), one-hot labels (N, C)] -> [z_mean, z_log_var, z].

    Returns:
        keras.Model named "conditional_encoder" with inputs [images, labels] and outputs
        [z_mean, z_log_var, z], each (N, Z).
    """
    image_shape = check_image_shape(image_shape)
    images = keras.Input(shape=image_shape, name="image")
    labels = keras.Input(shape=(num_classes,), name="label")
    z_mean = z_log_var = z = None
    # TODO (P2.7): Condition the encoder on the label.
    #   1. Broadcast the label to a (N, H, W, C) map: Reshape to (1, 1, C), then
    #      UpSampling2D(size=(H, W)) repeats it over every pixel.
    #   2. Concatenate it with the images along the channels: (N, H, W, K + C).
    #   3. Apply encoder_layers (with hidden_activation).
    # BEGIN SOLUTION
    label_map = layers.Reshape((1, 1, num_classes))(labels)  # (N, 1, 1, C)
    label_map = layers.UpSampling2D(size=image_shape[:2])(label_map)  # (N, H, W, C)
    x = layers.Concatenate(axis=-1)([images, label_map])  # (N, H, W, K + C)
    z_mean, z_log_var, z = encoder_layers(x, latent_dim, hidden_dim, hidden_activation)
    # END SOLUTION
    # END TODO (P2.7)
    return keras.Model([images, labels], [z_mean, z_log_var, z], name="conditional_encoder")


def build_conditional_decoder(latent_dim=2, image_shape=MNIST_SHAPE, num_classes=NUM_CLASSES):
    """The conditional decoder model: [z (N, Z), one-hot labels (N, C)] -> images (N, H, W, K)."""
    image_shape = check_image_shape(image_shape)
    z = keras.Input(shape=(latent_dim,), name="z")
    labels = keras.Input(shape=(num_classes,), name="label")
    x_hat = None
    # TODO (P2.8): Condition the decoder on the label: concatenate z and the label, (N, Z + C),
    #   then apply decoder_layers.
    # BEGIN SOLUTION
    h = layers.Concatenate(axis=-1)([z, labels])  # (N, Z + C)
    x_hat = decoder_layers(h, image_shape)  # (N, H, W, K)
    # END SOLUTION
    # END TODO (P2.8)
    return keras.Model([z, labels], x_hat, name="conditional_decoder")


class ConditionalConvVAE(ConvVAE):
    """A conditional convolutional VAE. Train it with model.fit(images, one_hot_labels).

    Generate images of chosen classes with model.decoder([z, one_hot_labels]), z (N, Z) ~ N(0, I).
    """

    def __init__(self, image_shape=MNIST_SHAPE, latent_dim=2, hidden_dim=14, hidden_activation="leaky_relu",
                 num_classes=NUM_CLASSES, **kwargs):
        self.num_classes = num_classes  # C; build_networks needs it
        super().__init__(image_shape, latent_dim, hidden_dim, hidden_activation, **kwargs)

    def build_networks(self):
        """Given. The conditional (encoder, decoder) sub-models."""
        return (build_conditional_encoder(self.image_shape, self.num_classes, self.latent_dim, self.hidden_dim,
                                          self.hidden_activation),
                build_conditional_decoder(self.latent_dim, self.image_shape, self.num_classes))

    def encode(self, x, c=None):
        """Given. (images (N, H, W, K), one-hot labels (N, C)) -> (z_mean, z_log_var, z), each (N, Z)."""
        return self.encoder([tf.cast(x, tf.float32), self.require_labels(c)])  # one input type, not NumPy + tensor

    def decode(self, z, c=None):
        """Given. (z (N, Z), one-hot labels (N, C)) -> images (N, H, W, K) in [0, 1]."""
        return self.decoder([tf.cast(z, tf.float32), self.require_labels(c)])

    def require_labels(self, c):
        """Given. c as float32, or a clear error when the labels are missing."""
        if c is None:
            raise ValueError("ConditionalConvVAE needs one-hot labels: model.fit(images, one_hot_labels), "
                             "model.encode(x, c), model.decode(z, c)")
        return tf.cast(c, tf.float32)


# ---------------------------------------------------------------------------------------------
# Given, do not modify: data, figures and the command line.
# ---------------------------------------------------------------------------------------------

def read_idx(path):
    """Given. An IDX file (plain or .gz), as used by MNIST and Fashion-MNIST, as a uint8 array."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    ndim = data[3]  # the magic number's last byte is the number of dimensions
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(shape)


def read_idx_folder(folder):
    """Given. ((x_train, y_train), (x_test, y_test)) from the four MNIST-style IDX files in folder."""
    arrays = []
    for stem in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                 "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        found = [os.path.join(folder, stem + ext) for ext in (".gz", "") if os.path.isfile(os.path.join(folder, stem + ext))]
        if not found:
            raise SystemExit(f"{folder} has no {stem}[.gz]")
        arrays.append(read_idx(found[0]))
    return (arrays[0], arrays[1]), (arrays[2], arrays[3])


def read_local(path):
    """Given. A dataset from a .npz with x_train, y_train, x_test, y_test, or a folder of IDX files."""
    if os.path.isdir(path):
        return read_idx_folder(path)
    if not os.path.isfile(path):
        raise SystemExit(f"data not found: {path}")
    with np.load(path) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])


def load_dataset(name, path=None):
    """Given. ((x_train, y_train), (x_test, y_test)): uint8 images (N, H, W, K), int labels (N,).

    MNIST and Fashion-MNIST come from `path`, else $MNIST_NPZ / $FASHION_MNIST_DIR, else (for
    Fashion-MNIST) Debian's /usr/share/datasets/fashion-mnist, else Keras's loader (its cache, or
    a download). CIFAR-10 comes from keras.datasets.cifar10.load_data() only.
    """
    if name not in DATASETS:
        raise SystemExit(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    if name == "cifar10" and path:
        raise SystemExit("CIFAR-10 loads only through keras.datasets.cifar10.load_data(); drop --data")
    path = path or os.environ.get(DATA_ENV.get(name, ""))
    if not path and name == "fashion_mnist" and os.path.isdir(DEBIAN_FASHION_MNIST):
        path = DEBIAN_FASHION_MNIST
    try:
        splits = read_local(path) if path else getattr(keras.datasets, name).load_data()
    except SystemExit:
        raise
    except Exception as err:  # a failed download surfaces as one of several exception types
        fix = "put it in Keras's cache (~/.keras/datasets/)" + ("" if name == "cifar10" else " or pass --data PATH")
        raise SystemExit(f"Could not load {name} ({err}). Without a network, {fix}.") from None
    out = []
    for images, labels in splits:
        images = np.asarray(images, np.uint8)
        if images.ndim == 3:
            images = images[..., np.newaxis]  # (N, H, W) -> (N, H, W, 1)
        out.append((images, np.asarray(labels).reshape(-1).astype(np.int64)))  # CIFAR labels are (N, 1)
    return tuple(out)


def make_dataset(images, labels, batch_size, shuffle=False, num_classes=NUM_CLASSES):
    """Given. A tf.data.Dataset of (images float32 (N, H, W, K) in [0, 1], one-hot labels (N, C)).

    Images stay uint8 in memory and become float32 one batch at a time; shuffling reshuffles
    every epoch, from the global seed.
    """
    dataset = tf.data.Dataset.from_tensor_slices((images, labels))
    if shuffle:
        dataset = dataset.shuffle(len(images))
    dataset = dataset.batch(batch_size)
    to_float = lambda x, y: (tf.cast(x, tf.float32) / 255.0, tf.one_hot(y, num_classes))
    return dataset.map(to_float, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def encode_means(model, images, labels, batch_size=500, num_classes=NUM_CLASSES):
    """Given. z_mean for every image: (N, Z) NumPy, from uint8 images (N, H, W, K) and int labels (N,)."""
    means = [model.encode(x, c)[0].numpy() for x, c in make_dataset(images, labels, batch_size, num_classes=num_classes)]
    return np.concatenate(means)


def save_figure(fig, filename, folder="outputs"):
    """Given. Save a matplotlib figure to folder/filename and close it; returns the path."""
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, filename)
    fig.savefig(path, bbox_inches="tight", dpi=100)
    plt.close(fig)
    return path


def image_grid(images, rows, cols):
    """Given. One (rows * H, cols * W[, K]) array from images (rows * cols, H, W, K) in [0, 1]."""
    images = np.clip(np.asarray(images, np.float32), 0.0, 1.0)
    n, height, width, channels = images.shape
    grid = images.reshape(rows, cols, height, width, channels).transpose(0, 2, 1, 3, 4)
    grid = grid.reshape(rows * height, cols * width, channels)
    return grid[..., 0] if channels == 1 else grid


def plot_latent_scatter(model, images, labels, filename, class_names=None, title=None):
    """Given. Scatter z_mean (its first two dimensions) of every image, coloured by class.

    Args:
        model: a ConvVAE or ConditionalConvVAE.
        images: uint8 (N, H, W, K); labels: int (N,).
        filename: PNG name inside outputs/.
    Returns:
        the path written.
    """
    means = encode_means(model, images, labels)  # (N, Z)
    fig, ax = plt.subplots(figsize=(7, 6))
    points = ax.scatter(means[:, 0], means[:, 1], c=labels, cmap="tab10", s=2, alpha=0.6, vmin=-0.5, vmax=9.5)
    bar = fig.colorbar(points, ax=ax, ticks=range(NUM_CLASSES))
    if class_names:
        bar.ax.set_yticklabels(class_names)
    ax.axhline(0.0, color="grey", lw=0.5)
    ax.axvline(0.0, color="grey", lw=0.5)
    ax.set_xlabel("z[0]")
    ax.set_ylabel("z[1]")
    ax.set_title(title or "z_mean of the test set")
    return save_figure(fig, filename)


def latent_region(means, coverage=0.96):
    """Given. The box (low (Z,), high (Z,)) holding the central `coverage` of the encodings on each axis."""
    tail = 100.0 * (1.0 - coverage) / 2.0
    return np.percentile(means, tail, axis=0), np.percentile(means, 100.0 - tail, axis=0)


def plot_latent_grid(model, filename, n=15, x_range=(-2.0, 2.0), y_range=(-2.0, 2.0), label=None, title=None):
    """Given. Decode an n x n grid of latent points over a rectangle of the 2-D latent space.

    Args:
        model: a ConvVAE (Z = 2), or a ConditionalConvVAE with `label` (an int class).
        x_range, y_range: (low, high) of z[0] (columns) and z[1] (rows, high at the top).
    Returns:
        the path written.
    """
    if model.latent_dim != 2:
        raise ValueError(f"plot_latent_grid needs a 2-D latent space, got Z = {model.latent_dim}")
    xs = np.linspace(*x_range, n)
    ys = np.linspace(*y_range, n)[::-1]  # top row = highest z[1]
    z = np.array([[x, y] for y in ys for x in xs], np.float32)  # (n * n, 2)
    c = None if label is None else tf.one_hot(np.full(len(z), label), NUM_CLASSES)
    images = model.decode(z, c).numpy()  # (n * n, H, W, K)
    height, width = images.shape[1:3]
    fig, ax = plt.subplots(figsize=(8, 8))
    ax.imshow(image_grid(images, n, n), cmap="Greys_r", vmin=0.0, vmax=1.0)
    ticks = np.arange(n) * width + width / 2
    ax.set_xticks(ticks[::2], [f"{v:.1f}" for v in xs[::2]])
    ax.set_yticks((np.arange(n) * height + height / 2)[::2], [f"{v:.1f}" for v in ys[::2]])
    ax.set_xlabel("z[0]")
    ax.set_ylabel("z[1]")
    ax.set_title(title or f"decoded latent grid, z[0] in [{x_range[0]:.1f}, {x_range[1]:.1f}], "
                          f"z[1] in [{y_range[0]:.1f}, {y_range[1]:.1f}]")
    return save_figure(fig, filename)


def plot_class_grid(model, filename, samples=10, class_names=None, seed=0):
    """Given. Generate with a ConditionalConvVAE: row = class, column = one z ~ N(0, I) shared by all rows."""
    z = np.random.default_rng(seed).standard_normal((samples, model.latent_dim)).astype(np.float32)  # (S, Z)
    z = np.tile(z, (model.num_classes, 1))  # (C * S, Z)
    labels = np.repeat(np.arange(model.num_classes), samples)  # (C * S,)
    images = model.decode(z, tf.one_hot(labels, model.num_classes)).numpy()
    height = images.shape[1]
    fig, ax = plt.subplots(figsize=(samples * 0.8, model.num_classes * 0.8))
    ax.imshow(image_grid(images, model.num_classes, samples), cmap="Greys_r", vmin=0.0, vmax=1.0)
    names = class_names or [str(k) for k in range(model.num_classes)]
    ax.set_yticks(np.arange(model.num_classes) * height + height / 2, names)
    ax.set_xticks([])
    ax.set_title("generated: row = class, column = z sample")
    return save_figure(fig, filename)


class EpochTimer(keras.callbacks.Callback):
    """Given. Records each epoch's wall-clock seconds in self.seconds."""

    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.start)


def train_model(model, images, labels, epochs, batch_size=128, learning_rate=1e-3, verbose=2):
    """Given. Compile `model` with Adam and fit it on (images, one-hot labels).

    Args:
        model: a ConvVAE or a subclass. images: uint8 (N, H, W, K); labels: int (N,).
    Returns:
        history: dict {loss name: per-epoch training values} plus "seconds", per-epoch wall time.
    """
    model.compile(optimizer=keras.optimizers.Adam(learning_rate))
    timer = EpochTimer()
    # make_dataset shuffles; shuffle=False only stops fit() warning that it cannot shuffle a Dataset.
    fit = model.fit(make_dataset(images, labels, batch_size, shuffle=True), epochs=epochs,
                    callbacks=[timer], shuffle=False, verbose=verbose)
    history = {name: [float(v) for v in values] for name, values in fit.history.items()}
    history["seconds"] = timer.seconds
    return history


def evaluate_model(model, images, labels, batch_size=500):
    """Given. The average losses over a held-out set: {loss name: float}."""
    results = model.evaluate(make_dataset(images, labels, batch_size), return_dict=True, verbose=0)
    return {name: float(value) for name, value in results.items()}


def parse_args(argv=None):
    """Given. Command-line options; argv=None reads sys.argv."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=DATASETS, default="mnist", help="which dataset to train on")
    parser.add_argument("--data", default=None, metavar="PATH",
                        help="local copy: a .npz (x_train, y_train, x_test, y_test) or a folder of IDX "
                             "files (default: $MNIST_NPZ / $FASHION_MNIST_DIR, then Keras's loader)")
    parser.add_argument("--conditional", action="store_true", help="train the ConditionalConvVAE")
    parser.add_argument("--epochs", type=int, default=2, help="passes over the training set (~25 s each on 2 CPU cores)")
    parser.add_argument("--batch_size", type=int, default=128, help="images per batch (N)")
    parser.add_argument("--latent_dim", type=int, default=2, help="latent size Z (the table uses 2)")
    parser.add_argument("--hidden_dim", type=int, default=14, help="width H_d of the encoder's Dense layer (table: 14)")
    parser.add_argument("--hidden_activation", choices=["relu", "leaky_relu"], default="leaky_relu",
                        help="activation of the encoder's Dense layer (see the module docstring)")
    parser.add_argument("--learning_rate", type=float, default=1e-3, help="Adam's learning rate")
    parser.add_argument("--train_images", type=int, default=None, help="train on the first N images only")
    parser.add_argument("--seed", type=int, default=0, help="seed for weights, shuffling and sampling")
    return parser.parse_args(argv)


def main(args):
    """Given. Train a ConvVAE or ConditionalConvVAE, evaluate it on the test set, save figures.

    Returns:
        metrics: dict with the model and dataset names, per-epoch training losses and seconds,
            the test-set losses and the figure paths.
    """
    keras.utils.set_random_seed(args.seed)
    (x_train, y_train), (x_test, y_test) = load_dataset(args.dataset, args.data)
    if args.train_images:
        x_train, y_train = x_train[:args.train_images], y_train[:args.train_images]
    image_shape = x_train.shape[1:]  # (H, W, K)
    model_class = ConditionalConvVAE if args.conditional else ConvVAE
    model = model_class(image_shape, args.latent_dim, args.hidden_dim, args.hidden_activation)
    name = f"{args.dataset}_{'conditional_' if args.conditional else ''}conv_vae"
    print(f"Training {model_class.__name__} on {args.dataset}: {len(x_train)} images of shape {image_shape}")
    history = train_model(model, x_train, y_train, args.epochs, args.batch_size, args.learning_rate)
    test = evaluate_model(model, x_test, y_test)
    print(f"Seconds per epoch: {', '.join(f'{s:.1f}' for s in history['seconds'])}")
    print("Test set: " + ", ".join(f"{k} {v:.2f}" for k, v in test.items()))

    names = CLASS_NAMES[args.dataset]
    figures = [plot_latent_scatter(model, x_test, y_test, f"{name}_latent_scatter.png", names,
                                   f"{model_class.__name__}: z_mean of the {args.dataset} test set")]
    if args.conditional:
        figures.append(plot_class_grid(model, f"{name}_class_grid.png", class_names=names))
    elif args.latent_dim == 2:
        low, high = latent_region(encode_means(model, x_test, y_test))
        print(f"Latent grid over z[0] in {low[0]:.1f}..{high[0]:.1f}, z[1] in {low[1]:.1f}..{high[1]:.1f}")
        figures.append(plot_latent_grid(model, f"{name}_latent_grid.png", 15, (low[0], high[0]), (low[1], high[1])))
    print("Saved figures:", ", ".join(figures))
    return {
        "model": model_class.__name__,
        "dataset": args.dataset,
        "epoch_losses": history["total_loss"],
        "epoch_seconds": history["seconds"],
        "test_losses": test,
        "figures": figures,
    }


if __name__ == "__main__":
    main(parse_args())
