"""Optional part 4 (graduate): an MMD-VAE (InfoVAE), whose latent penalty is the maximum mean
discrepancy (MMD) between the encoded batch and samples of the prior N(0, I), instead of the KL.

    python mmd.py                          # train a ConvVAE (KL) and an MMDVAE on MNIST, compare them
    python mmd.py --mmd_weight 1000        # a stronger pull towards the prior
    python mmd.py --dataset cifar10 --latent_dim 16 --hidden_dim 128   # needs Keras's CIFAR-10 cache

You implement the TODOs (P4.1 to P4.4). Code marked "given" is restored by the autograder.
Figures go to outputs/. Images are channels last, (N, H, W, K), as in conv_vae.py.

Symbols used in the shapes below:
    N, M  numbers of points in the two samples compared (N is also the batch size)
    H, W  image height and width;  K  image channels
    Z     latent size
"""
import argparse

import keras
import matplotlib

matplotlib.use("Agg")  # write files only; no display needed
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

import conv_vae
import latent_tools
from conv_vae import MNIST_SHAPE


def compute_kernel(x, y):
    """The Gaussian kernel between every pair of points, with bandwidth set by the dimension Z.

    k(x_i, y_j) = exp(-||x_i - y_j||^2 / Z). Two independent N(0, I) points are at squared
    distance 2Z on average, so the kernel is about e^-2 there: neither saturated nor vanishing.

    Args:
        x: points, shape (N, Z).
        y: points, shape (M, Z).
    Returns:
        kernel: shape (N, M), values in (0, 1].
    """
    kernel = None
    # TODO (P4.1): Compute all squared distances by broadcasting, x[:, None, :] - y[None, :, :]
    #   of shape (N, M, Z), summed over Z; divide by Z (as a float) and exponentiate the negative.
    raise NotImplementedError("TODO P4.1")
    # END TODO (P4.1)
    return kernel


def compute_mmd(x, y):
    """The (biased) estimate of MMD^2 between the distributions that x and y were drawn from.

    MMD^2 = mean k(x, x') + mean k(y, y') - 2 mean k(x, y), each mean over all pairs (self-pairs
    included, which makes the estimate >= 0 and about 1 / N, not 0, for equal distributions).

    Args:
        x: shape (N, Z); y: shape (M, Z).
    Returns:
        mmd: a scalar tensor, >= 0 up to rounding, symmetric in x and y.
    """
    mmd = None
    # TODO (P4.2): Combine the three means of compute_kernel.
    raise NotImplementedError("TODO P4.2")
    # END TODO (P4.2)
    return mmd


def mmd_vae_loss(x, x_hat, z, prior_z, mmd_weight):
    """The MMD-VAE loss: reconstruction + mmd_weight * MMD(z, prior_z).

    Args:
        x, x_hat: images and reconstructions, shape (N, H, W, K), values in [0, 1].
        z: the batch's latent codes, shape (N, Z).
        prior_z: samples of N(0, I), shape (M, Z).
        mmd_weight: a float; the reconstruction is ~100 nats per image, the MMD ~0.01 to 1.
    Returns:
        total_loss, reconstruction_loss, mmd_loss: scalar tensors; total = reconstruction +
            mmd_weight * mmd_loss (mmd_loss is the unweighted MMD).
    """
    total_loss = reconstruction_loss = mmd_loss = None
    # TODO (P4.3): The reconstruction term is vae_loss's: BCE summed over (1, 2, 3), averaged
    #   over the batch. The latent term compares the whole batch with the prior sample.
    raise NotImplementedError("TODO P4.3")
    # END TODO (P4.3)
    return total_loss, reconstruction_loss, mmd_loss


class MMDVAE(conv_vae.ConvVAE):
    """A ConvVAE trained with mmd_vae_loss; fit it with model.fit(images, one_hot_labels) (labels ignored)."""

    def __init__(self, image_shape=MNIST_SHAPE, latent_dim=2, hidden_dim=14, hidden_activation="leaky_relu",
                 mmd_weight=100.0, **kwargs):
        self.mmd_weight = float(mmd_weight)
        super().__init__(image_shape, latent_dim, hidden_dim, hidden_activation, **kwargs)
        self.prior_seed = keras.random.SeedGenerator()  # for the prior samples in loss_terms

    def loss_names(self):
        """Given. The terms loss_terms returns, in the order fit() prints them."""
        return ["total_loss", "reconstruction_loss", "mmd_loss"]

    def loss_terms(self, x, c=None):
        """One forward pass and its MMD-VAE losses: dict of scalar tensors keyed by loss_names()."""
        terms = None
        # TODO (P4.4): Encode x, decode the sampled z, draw as many prior samples as z has rows
        #   with keras.random.normal(keras.ops.shape(z), seed=self.prior_seed), then call
        #   mmd_vae_loss with self.mmd_weight.
        raise NotImplementedError("TODO P4.4")
        # END TODO (P4.4)
        return terms


# ---------------------------------------------------------------------------------------------
# Given, do not modify: training, figures and the command line.
# ---------------------------------------------------------------------------------------------

def train_mmd_vae(images, labels, epochs, mmd_weight=100.0, latent_dim=2, hidden_dim=14,
                  hidden_activation="leaky_relu", batch_size=128, learning_rate=1e-3):
    """Given. Build an MMDVAE for images uint8 (N, H, W, K) and train it; returns (model, history)."""
    model = MMDVAE(images.shape[1:], latent_dim, hidden_dim, hidden_activation, mmd_weight)
    history = conv_vae.train_model(model, images, labels, epochs, batch_size, learning_rate)
    return model, history


def plot_latent_comparison(models, titles, images, labels, filename, class_names=None):
    """Given. Side-by-side scatter of z_mean for each model (top-2 PCA plane when Z > 2).

    Dashed circles of radius 1 and 2 mark where N(0, I) puts 39% and 86% of its mass (Z = 2).
    Returns the path written.
    """
    fig, axes = plt.subplots(1, len(models), figsize=(6 * len(models), 5.5), squeeze=False)
    for ax, model, title in zip(axes[0], models, titles):
        means = conv_vae.encode_means(model, images, labels)  # (N, Z)
        if means.shape[1] > 2:
            center, components = latent_tools.pca_basis(means)
            means, title = (means - center) @ components, title + " (PCA)"
        sc = ax.scatter(means[:, 0], means[:, 1], c=labels, cmap="tab10", s=2, alpha=0.5, vmin=-0.5, vmax=9.5)
        for radius in (1.0, 2.0):
            ax.add_patch(plt.Circle((0.0, 0.0), radius, fill=False, ls="--", color="black", lw=0.8))
        ax.set_aspect("equal", adjustable="datalim")
        ax.set_title(f"{title}\nstd per axis {np.round(means.std(axis=0), 2)}")
    bar = fig.colorbar(sc, ax=list(axes[0]), ticks=range(10))
    if class_names:
        bar.ax.set_yticklabels(class_names)
    return conv_vae.save_figure(fig, filename)


def parse_args(argv=None):
    """Given. Command-line options; argv=None reads sys.argv."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=conv_vae.DATASETS, default="mnist", help="which dataset to train on")
    parser.add_argument("--data", default=None, metavar="PATH", help="local copy of the dataset (see conv_vae.py)")
    parser.add_argument("--epochs", type=int, default=2, help="passes over the training set, per model")
    parser.add_argument("--mmd_weight", type=float, default=100.0, help="weight of the MMD term")
    parser.add_argument("--batch_size", type=int, default=128, help="images per batch (N)")
    parser.add_argument("--latent_dim", type=int, default=2, help="latent size Z")
    parser.add_argument("--hidden_dim", type=int, default=14, help="width of the encoder's Dense layer")
    parser.add_argument("--hidden_activation", choices=["relu", "leaky_relu"], default="leaky_relu",
                        help="activation of the encoder's Dense layer (see conv_vae.py)")
    parser.add_argument("--learning_rate", type=float, default=1e-3, help="Adam's learning rate")
    parser.add_argument("--train_images", type=int, default=None, help="train on the first N images only")
    parser.add_argument("--src", type=int, default=1, help="class the latent walks start from")
    parser.add_argument("--dst", type=int, default=7, help="class the latent walks end at")
    parser.add_argument("--seed", type=int, default=0, help="seed for weights, shuffling and sampling")
    return parser.parse_args(argv)


def main(args):
    """Given. Train a KL ConvVAE and an MMDVAE on the same data; compare latent spaces and walks.

    Returns:
        metrics: dict with each model's training history and test losses, and the figure paths.
    """
    (x_train, y_train), (x_test, y_test) = conv_vae.load_dataset(args.dataset, args.data)
    if args.train_images:
        x_train, y_train = x_train[:args.train_images], y_train[:args.train_images]
    fit = dict(batch_size=args.batch_size, learning_rate=args.learning_rate)
    keras.utils.set_random_seed(args.seed)
    kl_model = conv_vae.ConvVAE(x_train.shape[1:], args.latent_dim, args.hidden_dim, args.hidden_activation)
    print("Training the ConvVAE (KL)")
    kl_history = conv_vae.train_model(kl_model, x_train, y_train, args.epochs, **fit)
    keras.utils.set_random_seed(args.seed)
    print(f"Training the MMDVAE (mmd_weight {args.mmd_weight:g})")
    mmd_model, mmd_history = train_mmd_vae(x_train, y_train, args.epochs, args.mmd_weight, args.latent_dim,
                                           args.hidden_dim, args.hidden_activation, **fit)
    tests = {"kl": conv_vae.evaluate_model(kl_model, x_test, y_test),
             "mmd": conv_vae.evaluate_model(mmd_model, x_test, y_test)}
    for name, test in tests.items():
        print(f"{name} model, test set: " + ", ".join(f"{k} {v:.2f}" for k, v in test.items()))

    names = conv_vae.CLASS_NAMES[args.dataset]
    figures = [plot_latent_comparison([kl_model, mmd_model], ["KL (ConvVAE)", f"MMD (weight {args.mmd_weight:g})"],
                                      x_test, y_test, f"{args.dataset}_kl_vs_mmd_latent.png", names)]
    walks = []
    for model in (kl_model, mmd_model):
        class_means, _ = latent_tools.get_allClass_encodings(model, x_test.astype(np.float32) / 255.0, y_test)
        walks.append(latent_tools.walk_src_to_dst(model, args.src, args.dst, class_means, steps=10)[0])
    figures.append(latent_tools.save_images(walks, f"{args.dataset}_kl_vs_mmd_walk.png", ["KL", "MMD"],
                                            f"walk from the mean of {names[args.src]} to the mean of {names[args.dst]}"))
    print("Saved figures:", ", ".join(figures))
    return {"kl_history": kl_history, "mmd_history": mmd_history, "test_losses": tests, "figures": figures}


if __name__ == "__main__":
    main(parse_args())
