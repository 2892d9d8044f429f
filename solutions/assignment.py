"""Train the VAE or the conditional VAE (CVAE) on MNIST, then draw samples from it.

    python assignment.py                      # train the VAE for 10 epochs
    python assignment.py --is_cvae            # train the CVAE
    python assignment.py --is_cvae --load_weights   # reuse model_ckpts/cvae.weights.h5, no training
    python assignment.py --mnist ~/Downloads/mnist.npz   # offline: use a local copy of MNIST
    python assignment.py --num_epochs 1 --train_images 2048   # a quick trial on a subset

You implement train_vae (TODOs 4.1 and 4.2, after vae.py's 1.1-3.2). Everything else in this
file is given: the autograder restores it, so changes to it are lost. Figures go to outputs/,
weights to model_ckpts/.

Symbols used in the shapes below: N batch size, H and W image height and width (28, 28),
Z latent size, C number of classes (10).
"""
import argparse
import math
import os
import time

import keras
import matplotlib

matplotlib.use("Agg")  # write files only; no display needed
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

import compat  # noqa: F401  (given: maps Keras-2 names before vae.py loads; says if your TensorFlow differs)
import speedups
from vae import CVAE, VAE, loss_function

NUM_CLASSES = 10  # C
MNIST_ENV = "MNIST_NPZ"  # environment variable that may point at a local mnist.npz
MNIST_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"


def parseArguments(argv=None):
    """Given. Command-line options; argv=None reads sys.argv."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--is_cvae", action="store_true", help="train the conditional VAE")
    parser.add_argument("--load_weights", action="store_true",
                        help="load model_ckpts/<model>.weights.h5 instead of training")
    parser.add_argument("--batch_size", type=int, default=128, help="images per batch (N)")
    parser.add_argument("--num_epochs", type=int, default=10, help="passes over the training set")
    parser.add_argument("--latent_size", type=int, default=15, help="latent dimensions (Z)")
    parser.add_argument("--input_size", type=int, default=28 * 28, help="pixels per image (H * W)")
    parser.add_argument("--learning_rate", type=float, default=1e-3, help="Adam's learning rate")
    parser.add_argument("--seed", type=int, default=0, help="seed for weights, shuffling and sampling")
    parser.add_argument("--train_images", type=int, default=None, metavar="N",
                        help="train on the first N training images only, for a quick trial (default: all)")
    parser.add_argument("--mnist", default=None, metavar="PATH",
                        help=f"local mnist.npz (default: ${MNIST_ENV}, then Keras's cache)")
    return parser.parse_args(argv)


def one_hot(labels, class_size):
    """Given. One-hot encode integer labels.

    Args:
        labels: integer tensor or array of shape (N,).
        class_size: number of classes C.
    Returns:
        targets: float32 tensor of shape (N, C); targets[i, labels[i]] = 1, all else 0.
    """
    return tf.one_hot(tf.cast(labels, tf.int32), class_size, dtype=tf.float32)


def train_vae(model, train_loader, args, is_cvae=False):
    """Train the model for one epoch.

    Args:
        model: a VAE or CVAE whose optimizer was set by model.compile(optimizer=...). Use
            model.optimizer; do not create a new one here, or Adam's state resets every epoch.
        train_loader: tf.data.Dataset of (images, labels) batches: images float32 of shape
            (N, 1, H, W) in [0, 1], labels int of shape (N,).
        args: the parsed command-line options (see parseArguments).
        is_cvae: True if model is a CVAE, which also takes one-hot labels.
    Returns:
        total_loss: a Python float, the sum over batches of loss_function's batch average.
            Divided by the number of batches, it is the average loss per image.
    """
    total_loss = 0.0
    for images, labels in train_loader:
        c = None
        if is_cvae:
            # TODO (4.1): Make the CVAE's condition: the labels one-hot encoded, c of shape (N, C).
            #   Use the given one_hot.
            # BEGIN SOLUTION
            c = one_hot(labels, NUM_CLASSES)  # (N, C)
            # END SOLUTION
            # END TODO (4.1)

        # TODO (4.2): Take one optimization step on this batch.
        #   1. Inside a tf.GradientTape, run the model (model(images), or model(images, c) for
        #      the CVAE) and compute loss_function(x_hat, images, mu, logvar).
        #   2. Get the gradients of the loss with respect to model.trainable_variables.
        #   3. Apply them with model.optimizer.apply_gradients(zip(gradients, variables)).
        #   4. Add the loss to total_loss as a Python float: float(loss).
        # BEGIN SOLUTION
        with tf.GradientTape() as tape:
            x_hat, mu, logvar = model(images, c) if is_cvae else model(images)
            loss = loss_function(x_hat, images, mu, logvar)
        gradients = tape.gradient(loss, model.trainable_variables)
        model.optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        total_loss += float(loss)
        # END SOLUTION
        # END TODO (4.2)
    return total_loss


def read_mnist(path=None):
    """Given. MNIST as uint8 arrays ((x_train, y_train), (x_test, y_test)), images (N, H, W).

    Uses `path`, else $MNIST_NPZ, else keras.datasets.mnist.load_data() (Keras's cache, which
    downloads the file once when there is a network).
    """
    path = path or os.environ.get(MNIST_ENV)
    if path:
        if not os.path.isfile(path):
            raise SystemExit(f"MNIST file not found: {path}")
        with np.load(path) as f:
            return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
    try:
        return keras.datasets.mnist.load_data()
    except Exception as err:  # a failed download surfaces as one of several exception types
        raise SystemExit(
            f"Could not load MNIST: it is not in Keras's cache and the download failed ({err}).\n"
            f"Download {MNIST_URL} on a machine with internet access, then either copy it to\n"
            f"~/.keras/datasets/mnist.npz, pass --mnist /path/to/mnist.npz, or set {MNIST_ENV}."
        ) from None


def to_batches(images, labels, batch_size, shuffle_buffer=None):
    """Given. A tf.data.Dataset of (images float32 (N, 1, H, W) in [0, 1], labels (N,)) batches.

    Images stay uint8 in memory and become float32 one batch at a time.
    """
    dataset = tf.data.Dataset.from_tensor_slices((images, labels))
    if shuffle_buffer:
        dataset = dataset.shuffle(buffer_size=shuffle_buffer)
    dataset = dataset.batch(batch_size, drop_remainder=bool(shuffle_buffer))
    to_float = lambda x, y: (tf.cast(x, tf.float32)[:, tf.newaxis] / 255.0, y)  # (N, 1, H, W)
    return dataset.map(to_float).prefetch(tf.data.AUTOTUNE)


def load_mnist(batch_size, buffer_size=1024, path=None):
    """Given. The shuffled MNIST training set as a tf.data.Dataset of full batches.

    Args:
        batch_size: images per batch (N).
        buffer_size: buffer for tf.data.Dataset.shuffle; it reshuffles every epoch.
        path: optional local mnist.npz (see read_mnist).
    Returns:
        train_dataset: batches of (images float32 (N, 1, H, W) in [0, 1], labels int (N,)).
    """
    (x_train, y_train), _ = read_mnist(path)
    return to_batches(x_train, y_train, batch_size, shuffle_buffer=buffer_size)


def evaluate(model, images, labels, is_cvae=False, batch_size=1000):
    """Given. The average per-image loss_function on a held-out set (e.g. MNIST's test set)."""
    total, count = 0.0, 0
    for x, y in to_batches(images, labels, batch_size):
        x_hat, mu, logvar = model(x, one_hot(y, NUM_CLASSES)) if is_cvae else model(x)
        total += float(loss_function(x_hat, x, mu, logvar)) * int(x.shape[0])
        count += int(x.shape[0])
    return total / count


def save_image_grid(images, rows, cols, filename, title=None):
    """Given. Save images of shape (rows * cols, 1, H, W), or any (rows * cols, H * W), as a PNG grid."""
    images = np.asarray(images).reshape(rows * cols, 28, 28)
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 0.8, rows * 0.8 + (0.4 if title else 0)))
    for ax, image in zip(np.ravel(axes), images):
        ax.imshow(image, cmap="Greys_r", vmin=0.0, vmax=1.0)
        ax.axis("off")
    if title:
        fig.suptitle(title)
    fig.subplots_adjust(wspace=0.05, hspace=0.05)
    os.makedirs("outputs", exist_ok=True)
    path = os.path.join("outputs", filename)
    fig.savefig(path, bbox_inches="tight", dpi=100)
    plt.close(fig)
    return path


def show_vae_images(model, latent_size):
    """Given. Decode 10 draws of z ~ N(0, I) with a trained VAE; saves outputs/vae_samples.png."""
    z = tf.random.normal((10, latent_size))  # (10, Z)
    return save_image_grid(model.decoder(z), 1, 10, "vae_samples.png", "VAE samples")


def show_vae_interpolation(model, latent_size, steps=10):
    """Given. Decode straight lines between pairs of random latent vectors with a trained VAE.

    Row r walks from z0[r] to z1[r] in `steps` steps; saves outputs/vae_interpolation.png.
    """
    z0 = tf.random.normal((steps, 1, latent_size))  # (S, 1, Z)
    z1 = tf.random.normal((steps, 1, latent_size))
    w = tf.reshape(tf.linspace(0.0, 1.0, steps), (1, steps, 1))  # (1, S, 1)
    z = tf.reshape((1.0 - w) * z0 + w * z1, (steps * steps, latent_size))  # (S * S, Z)
    return save_image_grid(model.decoder(z), steps, steps, "vae_interpolation.png", "VAE interpolation")


def show_cvae_images(model, latent_size, per_class=10):
    """Given. Generate `per_class` images of each digit with a trained CVAE.

    Row d holds digit d, decoded from model.decoder(concat(z, one_hot(d))) with z ~ N(0, I);
    saves outputs/cvae_samples.png.
    """
    labels = np.repeat(np.arange(NUM_CLASSES), per_class)  # (C * per_class,)
    z = tf.random.normal((len(labels), latent_size))  # (C * per_class, Z)
    images = model.decoder(tf.concat([z, one_hot(labels, NUM_CLASSES)], axis=1))
    return save_image_grid(images, NUM_CLASSES, per_class, "cvae_samples.png", "CVAE samples, row = digit")


def weights_path(is_cvae):
    """Given. Where save_model_weights and load_weights keep a model's weights."""
    return os.path.join("model_ckpts", ("cvae" if is_cvae else "vae") + ".weights.h5")


def save_model_weights(model, args):
    """Given. Save the trained model's weights to model_ckpts/{vae,cvae}.weights.h5."""
    path = weights_path(args.is_cvae)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    model.save_weights(path)
    return path


def build_weights(model):
    """Given. Make the model's weights and its optimizer's slots now, eagerly, as the autograder does
    before training: a tf.function of yours then never has to create them. Returns the model."""
    images = tf.zeros((2, 1, 28, 28))  # two blank images
    _ = model(images, one_hot([0, 1], NUM_CLASSES)) if isinstance(model, CVAE) else model(images)
    if model.optimizer is not None and not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)  # Adam's slots; its saved state loads into them
    return model


def load_weights(model):
    """Given. Load the weights save_model_weights wrote for this kind of model; returns the model."""
    build_weights(model)
    model.load_weights(weights_path(isinstance(model, CVAE)))
    return model


def device_name():
    """Given. 'GPU:0 (<name>)' when TensorFlow sees a GPU, else 'CPU'; TensorFlow uses it by default."""
    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return "CPU"
    details = tf.config.experimental.get_device_details(gpus[0])
    return f"GPU:0 ({details.get('device_name', gpus[0].name)})"


def main(args):
    """Given. Train (or load) the model, report losses, save figures and weights.

    Returns:
        metrics: dict with the model name, per-epoch training losses (average per image),
            the test-set loss, per-epoch seconds and the device used.
    """
    speedups.install()  # compiled optimizer updates, flat memory (see speedups.py)
    keras.utils.set_random_seed(args.seed)
    name = "cvae" if args.is_cvae else "vae"
    print(f"Training the {name.upper()} on {device_name()}")
    (x_train, y_train), (x_test, y_test) = read_mnist(args.mnist)
    subset = slice(args.train_images)  # all of them unless --train_images
    train_dataset = to_batches(x_train[subset], y_train[subset], args.batch_size, shuffle_buffer=1024)
    num_batches = len(train_dataset)

    if args.is_cvae:
        model = CVAE(args.input_size, num_classes=NUM_CLASSES, latent_size=args.latent_size)
    else:
        model = VAE(args.input_size, latent_size=args.latent_size)
    model.compile(optimizer=keras.optimizers.Adam(args.learning_rate))  # the one optimizer train_vae uses
    build_weights(model)

    epoch_losses, epoch_seconds = [], []
    if args.load_weights:
        model = load_weights(model)
    else:
        progress = keras.utils.Progbar(args.num_epochs, unit_name="epoch", stateful_metrics=["loss"])
        for epoch in range(args.num_epochs):
            start = time.perf_counter()
            total_loss = train_vae(model, train_dataset, args, is_cvae=args.is_cvae)
            epoch_seconds.append(time.perf_counter() - start)
            epoch_losses.append(float(total_loss) / num_batches)
            progress.update(epoch + 1, values=[("loss", epoch_losses[-1])])
        print(f"Saved weights to {save_model_weights(model, args)}")

    test_loss = evaluate(model, x_test, y_test, is_cvae=args.is_cvae)
    print(f"Test loss (negative ELBO per image): {test_loss:.2f}")
    if args.is_cvae:
        figures = [show_cvae_images(model, args.latent_size)]
    else:
        figures = [show_vae_images(model, args.latent_size), show_vae_interpolation(model, args.latent_size)]
    print("Saved figures:", ", ".join(figures))
    return {
        "model": name,
        "epoch_losses": epoch_losses,
        "final_loss": epoch_losses[-1] if epoch_losses else None,
        "test_loss": test_loss,
        "epoch_seconds": epoch_seconds,
        "device": device_name(),
    }


if __name__ == "__main__":
    main(parseArguments())
