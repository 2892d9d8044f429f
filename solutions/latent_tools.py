"""Optional part 3: the ELBO as a Monte-Carlo estimate, a training loop, and a look at the latent space.

    python latent_tools.py                               # ConvVAE on MNIST, trained with train()
    python latent_tools.py --src 1 --dst 7               # walk from the mean 1 to the mean 7
    python latent_tools.py --dataset cifar10 --latent_dim 16 --hidden_dim 128   # Z > 2: PCA plot

You implement the TODOs (P3.1 to P3.7). Code marked "given" is restored by the autograder.
Figures go to outputs/.

The functions work with conv_vae.ConvVAE, or any model with the same interface:
    model.encode(x, c=None) -> (z_mean, z_log_var, z), each (N, Z)
    model.decode(z, c=None) -> pixel probabilities, (N, H, W, K)
Images are channels last, (N, H, W, K) with values in [0, 1], as in conv_vae.py.

Symbols used in the shapes below:
    N     batch size
    H, W  image height and width;  K  image channels
    Z     latent size
    C     number of classes (10)
    S     steps of a latent walk
"""
import argparse
import importlib.util
import math
import os
import shutil
import time

import keras
import matplotlib

matplotlib.use("Agg")  # write files only; no display needed
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

import conv_vae
from conv_vae import NUM_CLASSES

LOG_2PI = math.log(2.0 * math.pi)


def log_normal_pdf(sample, mean, logvar, raxis=1):
    """The log density of a diagonal Gaussian, summed over axis `raxis`.

    log N(x; mu, sigma^2) = -0.5 * ((x - mu)^2 / sigma^2 + log sigma^2 + log 2 pi), per dimension.

    Args:
        sample: points x, shape (N, Z).
        mean: means mu, broadcastable to (N, Z).
        logvar: log-variances log sigma^2, broadcastable to (N, Z).
        raxis: the axis to sum over (the latent dimensions).
    Returns:
        log_density: shape (N,) for raxis=1.
    """
    log_density = None
    # TODO (P3.1): Sum the per-dimension log densities over raxis. Write 1 / sigma^2 as
    #   tf.exp(-logvar) so that no division by a tiny variance happens.
    # BEGIN SOLUTION
    sample, mean, logvar = (tf.cast(t, tf.float32) for t in (sample, mean, logvar))
    per_dim = -0.5 * ((sample - mean) ** 2 * tf.exp(-logvar) + logvar + LOG_2PI)  # (N, Z)
    log_density = tf.reduce_sum(per_dim, axis=raxis)  # (N,)
    # END SOLUTION
    # END TODO (P3.1)
    return log_density


def compute_loss(model, x, c=None):
    """The single-sample Monte-Carlo estimate of the negative ELBO, averaged over the batch.

    loss = -(1 / N) * sum_i [ log p(x_i | z_i) + log p(z_i) - log q(z_i | x_i) ],  z_i ~ q(z | x_i),
    with p(x | z) a Bernoulli per pixel (decoder probabilities), p(z) = N(0, I) and
    q(z | x) = N(z_mean, exp(z_log_var)). Its expectation over z equals vae_loss's total, whose
    KL term is exact; this one estimates the KL from the same z.

    Args:
        model: see the module docstring (model.encode, model.decode).
        x: images, shape (N, H, W, K), values in [0, 1].
        c: one-hot labels (N, C) for a conditional model, else None.
    Returns:
        loss: a scalar tensor.
    """
    loss = None
    # TODO (P3.2): Estimate the negative ELBO.
    #   1. z_mean, z_log_var, z = model.encode(x, c); x_hat = model.decode(z, c).
    #   2. log p(x | z): minus keras.ops.binary_crossentropy(x, x_hat), summed over axes (1, 2, 3).
    #   3. log p(z) = log_normal_pdf(z, 0., 0.); log q(z | x) = log_normal_pdf(z, z_mean, z_log_var).
    #   4. Return minus the batch mean of log p(x | z) + log p(z) - log q(z | x).
    # BEGIN SOLUTION
    z_mean, z_log_var, z = model.encode(x, c)  # (N, Z) each
    x_hat = model.decode(z, c)  # (N, H, W, K)
    x = tf.cast(x, x_hat.dtype)
    log_px_z = -tf.reduce_sum(keras.ops.binary_crossentropy(x, x_hat), axis=(1, 2, 3))  # (N,)
    log_pz = log_normal_pdf(z, 0.0, 0.0)  # (N,)
    log_qz_x = log_normal_pdf(z, z_mean, z_log_var)  # (N,)
    loss = -tf.reduce_mean(log_px_z + log_pz - log_qz_x)
    # END SOLUTION
    # END TODO (P3.2)
    return loss


@tf.function(reduce_retracing=True)  # the last, smaller batch reuses the trace
def train_step(model, x, c, optimizer):
    """One gradient step on compute_loss; returns the batch's loss (a scalar tensor).

    Args:
        model: see the module docstring. x: images (N, H, W, K). c: one-hot labels (N, C) or None.
        optimizer: a keras optimizer, created once for the whole training run.
    """
    loss = None
    # TODO (P3.3): Differentiate compute_loss(model, x, c) with respect to model.trainable_variables
    #   inside a tf.GradientTape, then apply the gradients with optimizer.apply_gradients.
    # BEGIN SOLUTION
    with tf.GradientTape() as tape:
        loss = compute_loss(model, x, c)
    gradients = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(gradients, model.trainable_variables))
    # END SOLUTION
    # END TODO (P3.3)
    return loss


def reconstruct(model, x, c=None):
    """Reconstructions of x through a sampled z.

    Args:
        x: images (N, H, W, K) in [0, 1]; c: one-hot labels (N, C) or None.
    Returns:
        x_hat: NumPy array (N, H, W, K) of pixel probabilities.
    """
    x_hat = None
    # TODO (P3.4): Encode x, then decode the sampled z (the third output of model.encode).
    # BEGIN SOLUTION
    z = model.encode(x, c)[2]  # (N, Z)
    x_hat = np.asarray(model.decode(z, c))  # (N, H, W, K)
    # END SOLUTION
    # END TODO (P3.4)
    return x_hat


def get_allClass_encodings(model, images, labels, num_classes=NUM_CLASSES, batch_size=500):
    """Encode every image (its z_mean, which has no sampling noise) and average per class.

    Args:
        images: float (N, H, W, K) in [0, 1]; labels: int (N,). Conditional models get the
            one-hot labels too; ConvVAE ignores them.
    Returns:
        class_means: NumPy (C, Z); row k is the mean z_mean of the images of class k (NaN if
            class k has no image).
        encodings: NumPy (N, Z), z_mean of every image, in input order.
    """
    labels = np.asarray(labels).reshape(-1)
    class_means = encodings = None
    # TODO (P3.5): Encode the images in batches of batch_size (model.encode(x, c)[0] is z_mean),
    #   concatenate them into encodings, then average the rows of each class.
    # BEGIN SOLUTION
    chunks = []
    for start in range(0, len(labels), batch_size):
        x = tf.convert_to_tensor(images[start:start + batch_size], tf.float32)
        c = tf.one_hot(labels[start:start + batch_size], num_classes)  # (n, C)
        chunks.append(np.asarray(model.encode(x, c)[0]))  # (n, Z)
    encodings = np.concatenate(chunks)  # (N, Z)
    with np.errstate(invalid="ignore"):  # an empty class gives a NaN row, by design
        class_means = np.stack([encodings[labels == k].mean(axis=0) if np.any(labels == k)
                                else np.full(encodings.shape[1], np.nan) for k in range(num_classes)])
    # END SOLUTION
    # END TODO (P3.5)
    return class_means, encodings


def pca_basis(points):
    """The centre and top-2 principal directions of a point cloud, to project it onto a plane.

    Args:
        points: NumPy (N, Z), Z >= 2.
    Returns:
        center: (Z,), the mean point.
        components: (Z, 2), orthonormal columns; the first has the largest variance.
        Project with (points - center) @ components, shape (N, 2).
    """
    center = components = None
    # TODO (P3.6): Centre the points and take the SVD of the centred (N, Z) matrix with
    #   np.linalg.svd(..., full_matrices=False); the first two right-singular vectors (rows of
    #   Vt) are the principal directions.
    # BEGIN SOLUTION
    points = np.asarray(points, np.float64)
    center = points.mean(axis=0)  # (Z,)
    _, _, vt = np.linalg.svd(points - center, full_matrices=False)  # vt: (min(N, Z), Z)
    components = vt[:2].T  # (Z, 2)
    # END SOLUTION
    # END TODO (P3.6)
    return center, components


def walk_src_to_dst(model, src_class, dst_class, class_means, steps=10):
    """Decode evenly spaced points on the straight line from one class mean to another.

    Args:
        model: see the module docstring (an unconditional model: decode(z) without labels).
        src_class, dst_class: class indices into class_means.
        class_means: (C, Z), from get_allClass_encodings.
        steps: S >= 2 points, including both ends.
    Returns:
        images: NumPy (S, H, W, K), decoded from latents.
        latents: NumPy (S, Z); latents[0] = class_means[src_class], latents[-1] = class_means[dst_class].
    """
    images = latents = None
    # TODO (P3.7): latents[s] = (1 - t_s) * src + t_s * dst with t_s = s / (S - 1); decode them.
    # BEGIN SOLUTION
    src = np.asarray(class_means[src_class], np.float32)  # (Z,)
    dst = np.asarray(class_means[dst_class], np.float32)
    t = np.linspace(0.0, 1.0, steps, dtype=np.float32)[:, None]  # (S, 1)
    latents = (1.0 - t) * src + t * dst  # (S, Z)
    latents[-1] = dst  # exactly the mean, not src + 1.0 * (dst - src) up to rounding
    images = np.asarray(model.decode(tf.constant(latents)))  # (S, H, W, K)
    # END SOLUTION
    # END TODO (P3.7)
    return images, latents


# ---------------------------------------------------------------------------------------------
# Given, do not modify: figures, the training loop and the command line.
# ---------------------------------------------------------------------------------------------

def save_images(rows_of_images, filename, row_titles=None, title=None, folder="outputs"):
    """Given. Save rows of images (each (cols, H, W, K) in [0, 1]) as one PNG; returns the path."""
    rows = len(rows_of_images)
    cols = max(len(r) for r in rows_of_images)
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 0.9, rows * 0.9 + (0.4 if title else 0)), squeeze=False)
    for r, row in enumerate(rows_of_images):
        for col in range(cols):
            ax = axes[r, col]
            ax.axis("off")
            if col < len(row):
                image = np.clip(np.asarray(row[col]), 0.0, 1.0)
                ax.imshow(image[..., 0] if image.shape[-1] == 1 else image, cmap="Greys_r", vmin=0.0, vmax=1.0)
        if row_titles:
            axes[r, 0].set_title(row_titles[r], fontsize=7, loc="left")
    if title:
        fig.suptitle(title)
    return conv_vae.save_figure(fig, filename, folder)


def generate_and_display_images(model, epoch, test_sample, folder="outputs"):
    """Given. Save the reconstructions of a fixed test batch after an epoch.

    Args:
        test_sample: images (n, H, W, K) in [0, 1], or a tuple (images, one-hot labels).
    Returns:
        the path written: folder/reconstruction_epoch_{epoch:03d}.png (top: inputs, bottom: outputs).
    """
    x, c = test_sample if isinstance(test_sample, tuple) else (test_sample, None)
    x_hat = reconstruct(model, x, c)
    return save_images([np.asarray(x), x_hat], f"reconstruction_epoch_{epoch:03d}.png",
                       ["input", "reconstruction"], f"epoch {epoch}", folder)


def evaluate_elbo(model, dataset):
    """Given. The test-set ELBO per image: minus compute_loss, averaged over all images of `dataset`."""
    total, count = 0.0, 0
    for batch in dataset:
        x, c, _ = keras.utils.unpack_x_y_sample_weight(batch)
        n = int(tf.shape(x)[0])
        total += -float(compute_loss(model, x, c)) * n
        count += n
    return total / count


def train(model, train_ds, test_ds, epochs, optimizer=None, test_sample=None, folder="outputs"):
    """Given. Train with compute_loss; print each epoch's seconds and test ELBO; save reconstructions.

    Args:
        model: see the module docstring. train_ds, test_ds: tf.data.Datasets of images
            (N, H, W, K) or of (images, one-hot labels) batches, e.g. from conv_vae.make_dataset.
        epochs: passes over train_ds.
        optimizer: a keras optimizer (default: Adam, learning rate 1e-3).
        test_sample: the fixed batch generate_and_display_images shows (default: the first 8
            test images).
    Returns:
        history: dict of per-epoch lists "train_loss", "test_elbo", "seconds", and "figures".
    """
    optimizer = optimizer or keras.optimizers.Adam(1e-3)
    if test_sample is None:
        test_sample = tuple(t[:8] for t in next(iter(test_ds))) if isinstance(test_ds.element_spec, tuple) \
            else next(iter(test_ds))[:8]
    history = {"train_loss": [], "test_elbo": [], "seconds": [], "figures": []}
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        total, batches = 0.0, 0
        for batch in train_ds:
            x, c, _ = keras.utils.unpack_x_y_sample_weight(batch)
            total += float(train_step(model, x, c, optimizer))
            batches += 1
        seconds = time.perf_counter() - start
        elbo = evaluate_elbo(model, test_ds)
        history["train_loss"].append(total / batches)
        history["test_elbo"].append(elbo)
        history["seconds"].append(seconds)
        history["figures"].append(generate_and_display_images(model, epoch, test_sample, folder))
        print(f"Epoch {epoch}: train loss {total / batches:.2f}, test set ELBO {elbo:.2f}, "
              f"time for this epoch {seconds:.1f} s", flush=True)
    return history


def plot_latent_space(encodings, labels, filename, class_means=None, class_names=None, title=None):
    """Given. Scatter the encodings coloured by class; for Z > 2, on their top-2 PCA plane.

    Args:
        encodings: (N, Z); labels: int (N,); class_means: optional (C, Z), drawn as labelled crosses.
    Returns:
        the path written (outputs/filename).
    """
    encodings = np.asarray(encodings)
    if encodings.shape[1] > 2:
        center, components = pca_basis(encodings)
        project = lambda p: (np.asarray(p) - center) @ components  # (n, Z) -> (n, 2)
        axis_names = ("PC 1", "PC 2")
    else:
        project = lambda p: np.asarray(p)
        axis_names = ("z[0]", "z[1]")
    points = project(encodings)  # (N, 2)
    fig, ax = plt.subplots(figsize=(7, 6))
    sc = ax.scatter(points[:, 0], points[:, 1], c=labels, cmap="tab10", s=2, alpha=0.5, vmin=-0.5, vmax=9.5)
    bar = fig.colorbar(sc, ax=ax, ticks=range(NUM_CLASSES))
    if class_names:
        bar.ax.set_yticklabels(class_names)
    if class_means is not None:
        means = project(class_means)  # (C, 2)
        ax.scatter(means[:, 0], means[:, 1], c="black", marker="x", s=60)
        for k, (u, v) in enumerate(means):
            ax.annotate(class_names[k] if class_names else str(k), (u, v), fontsize=9, weight="bold")
    ax.set_xlabel(axis_names[0])
    ax.set_ylabel(axis_names[1])
    ax.set_title(title or "latent space")
    return conv_vae.save_figure(fig, filename)


def layer_inputs(model):
    """Given. {layer name: names of the layers feeding it}, read from a functional model's config."""
    def sources(node):
        if isinstance(node, dict):
            history = node.get("config", {}).get("keras_history") if node.get("class_name") == "__keras_tensor__" else None
            return [history[0]] if history else [name for value in node.values() for name in sources(value)]
        if isinstance(node, (list, tuple)):
            return [name for value in node for name in sources(value)]
        return []
    return {layer["name"]: sources(layer.get("inbound_nodes", [])) for layer in model.get_config()["layers"]}


def architecture_text(model):
    """Given. A text diagram of a functional model, inputs first: layer, output shape, params, inputs."""
    inputs = layer_inputs(model)
    lines = [f"{model.name}: {model.count_params():,} parameters",
             f"{'layer (type)':40}{'output shape':22}{'params':>10}   inputs"]
    for layer in model.layers:
        name = f"{layer.name} ({type(layer).__name__})"
        shape = str(tuple(layer.output.shape))
        feeds = ", ".join(inputs.get(layer.name, [])) or "-"
        lines.append(f"{name:40}{shape:22}{layer.count_params():>10,}   <- {feeds}")
    return "\n".join(lines) + "\n"


def plot_model_architecture(model, path):
    """Given. A diagram of a functional model (e.g. model.encoder) with its layers' output shapes.

    Uses keras.utils.plot_model when pydot and Graphviz's `dot` are installed; otherwise writes
    architecture_text(model) to `path` with a .txt suffix. Returns the path written.
    """
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    if importlib.util.find_spec("pydot") and shutil.which("dot"):
        keras.utils.plot_model(model, to_file=path, show_shapes=True, show_layer_names=True)
        if os.path.isfile(path):
            return path
    path = os.path.splitext(path)[0] + ".txt"
    with open(path, "w", encoding="utf-8") as f:
        f.write(architecture_text(model))
    return path


def parse_args(argv=None):
    """Given. Command-line options; argv=None reads sys.argv."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=conv_vae.DATASETS, default="mnist", help="which dataset to train on")
    parser.add_argument("--data", default=None, metavar="PATH", help="local copy of the dataset (see conv_vae.py)")
    parser.add_argument("--epochs", type=int, default=2, help="passes over the training set (~25 s each on 2 CPU cores)")
    parser.add_argument("--batch_size", type=int, default=128, help="images per batch (N)")
    parser.add_argument("--latent_dim", type=int, default=2, help="latent size Z")
    parser.add_argument("--hidden_dim", type=int, default=14, help="width of the encoder's Dense layer")
    parser.add_argument("--hidden_activation", choices=["relu", "leaky_relu"], default="leaky_relu",
                        help="activation of the encoder's Dense layer (see conv_vae.py)")
    parser.add_argument("--learning_rate", type=float, default=1e-3, help="Adam's learning rate")
    parser.add_argument("--train_images", type=int, default=None, help="train on the first N images only")
    parser.add_argument("--src", type=int, default=1, help="class the latent walk starts from")
    parser.add_argument("--dst", type=int, default=7, help="class the latent walk ends at")
    parser.add_argument("--seed", type=int, default=0, help="seed for weights, shuffling and sampling")
    return parser.parse_args(argv)


def main(args):
    """Given. Train a ConvVAE with train(), then plot its architecture, latent space and a walk.

    Returns:
        metrics: dict with train()'s history, the class means (C, Z) and the figure paths.
    """
    keras.utils.set_random_seed(args.seed)
    (x_train, y_train), (x_test, y_test) = conv_vae.load_dataset(args.dataset, args.data)
    if args.train_images:
        x_train, y_train = x_train[:args.train_images], y_train[:args.train_images]
    model = conv_vae.ConvVAE(x_train.shape[1:], args.latent_dim, args.hidden_dim, args.hidden_activation)
    figures = [plot_model_architecture(model.encoder, f"outputs/{args.dataset}_encoder.png"),
               plot_model_architecture(model.decoder, f"outputs/{args.dataset}_decoder.png")]
    train_ds = conv_vae.make_dataset(x_train, y_train, args.batch_size, shuffle=True)
    test_ds = conv_vae.make_dataset(x_test, y_test, 500)
    history = train(model, train_ds, test_ds, args.epochs, keras.optimizers.Adam(args.learning_rate))

    names = conv_vae.CLASS_NAMES[args.dataset]
    class_means, encodings = get_allClass_encodings(model, x_test.astype(np.float32) / 255.0, y_test)
    figures.append(plot_latent_space(encodings, y_test, f"{args.dataset}_latent_space.png", class_means, names,
                                     f"z_mean of the {args.dataset} test set; x = class means"))
    images, _ = walk_src_to_dst(model, args.src, args.dst, class_means, steps=10)
    figures.append(save_images([images], f"{args.dataset}_walk_{args.src}_to_{args.dst}.png",
                               title=f"walk from the mean of {names[args.src]} to the mean of {names[args.dst]}"))
    print("Saved figures:", ", ".join(figures + history["figures"][-1:]))
    return {"history": history, "class_means": class_means, "figures": figures + history["figures"]}


if __name__ == "__main__":
    main(parse_args())
