"""A fully-connected VAE and a conditional VAE (CVAE) for MNIST.

You implement the TODOs in this file and in assignment.py. Code marked "given" is restored
by the autograder, so changes to it are lost. The TODOs are numbered in file order: 1.x the
VAE, 2.x the CVAE, 3.x reparameterize and loss_function, then 4.x train_vae in assignment.py.

Symbols used in the shapes below:
    N    batch size
    H, W image height and width (28, 28); input_size = H * W
    Z    latent size (latent_size)
    C    number of classes (num_classes)
    H_d  width of every hidden layer (hidden_dim)
"""
import keras
import tensorflow as tf
from keras import layers

IMAGE_SHAPE = (1, 28, 28)  # (1, H, W): channels first, as in the original PyTorch-era handout


class VAE(keras.Model):
    def __init__(self, input_size, latent_size=15):
        super().__init__()
        self.input_size = input_size  # H * W
        self.latent_size = latent_size  # Z
        self.hidden_dim = 400  # H_d
        self.encoder = None
        self.mu_layer = None
        self.logvar_layer = None
        self.decoder = None

        # TODO (1.1): Build the encoder and the two posterior heads.
        #   self.encoder: a keras.Sequential mapping images (N, 1, H, W) to features (N, H_d):
        #       Flatten, then 3 x (Dense(H_d) + ReLU).
        #   self.mu_layer, self.logvar_layer: one Dense(Z) each, mapping (N, H_d) to (N, Z).
        #       logvar is the log of the posterior's variance, so it needs no activation.
        # BEGIN SOLUTION
        self.encoder = keras.Sequential(
            [layers.Flatten()]
            + [layers.Dense(self.hidden_dim, activation="relu") for _ in range(3)],
            name="encoder",
        )
        self.mu_layer = layers.Dense(self.latent_size, name="mu")
        self.logvar_layer = layers.Dense(self.latent_size, name="logvar")
        # END SOLUTION
        # END TODO (1.1)

        # TODO (1.2): Build the decoder.
        #   self.decoder: a keras.Sequential mapping latent vectors (N, Z) to images (N, 1, H, W):
        #       3 x (Dense(H_d) + ReLU), then Dense(H * W) + sigmoid, then Reshape to (1, H, W).
        # BEGIN SOLUTION
        self.decoder = keras.Sequential(
            [layers.Dense(self.hidden_dim, activation="relu") for _ in range(3)]
            + [layers.Dense(self.input_size, activation="sigmoid"), layers.Reshape(IMAGE_SHAPE)],
            name="decoder",
        )
        # END SOLUTION
        # END TODO (1.2)

    def call(self, x):
        """Encode, sample z with the reparameterization trick, decode.

        Args:
            x: images, float32 tensor of shape (N, 1, H, W) with values in [0, 1].
        Returns:
            x_hat: reconstructions, shape (N, 1, H, W), values in [0, 1].
            mu: posterior means, shape (N, Z).
            logvar: posterior log-variances, shape (N, Z).
        """
        x_hat = None
        mu = None
        logvar = None
        # TODO (1.3): Implement the forward pass.
        #   1. Encode x into features, then into mu and logvar.     # (N, H_d) -> (N, Z), (N, Z)
        #   2. Sample z with reparameterize(mu, logvar).            # (N, Z)
        #   3. Decode z into x_hat.                                 # (N, 1, H, W)
        # BEGIN SOLUTION
        features = self.encoder(x)  # (N, H_d)
        mu = self.mu_layer(features)  # (N, Z)
        logvar = self.logvar_layer(features)  # (N, Z)
        z = reparameterize(mu, logvar)  # (N, Z)
        x_hat = self.decoder(z)  # (N, 1, H, W)
        # END SOLUTION
        # END TODO (1.3)
        return x_hat, mu, logvar


class CVAE(keras.Model):
    def __init__(self, input_size, num_classes=10, latent_size=15):
        super().__init__()
        self.input_size = input_size  # H * W
        self.latent_size = latent_size  # Z
        self.num_classes = num_classes  # C
        self.hidden_dim = 400  # H_d
        self.encoder = None
        self.mu_layer = None
        self.logvar_layer = None
        self.decoder = None

        # TODO (2.1): Build the conditional encoder and the two posterior heads.
        #   self.encoder: a keras.Sequential mapping concat(flatten(x), c), of shape (N, H * W + C),
        #       to features (N, H_d): 3 x (Dense(H_d) + ReLU). call() does the flatten and concat.
        #   self.mu_layer, self.logvar_layer: one Dense(Z) each, mapping (N, H_d) to (N, Z).
        # BEGIN SOLUTION
        self.encoder = keras.Sequential(
            [layers.Dense(self.hidden_dim, activation="relu") for _ in range(3)], name="encoder"
        )
        self.mu_layer = layers.Dense(self.latent_size, name="mu")
        self.logvar_layer = layers.Dense(self.latent_size, name="logvar")
        # END SOLUTION
        # END TODO (2.1)

        # TODO (2.2): Build the conditional decoder.
        #   self.decoder: a keras.Sequential mapping concat(z, c), of shape (N, Z + C), to images
        #       (N, 1, H, W): 3 x (Dense(H_d) + ReLU), Dense(H * W) + sigmoid, Reshape to (1, H, W).
        #   Generation calls it directly: model.decoder(tf.concat([z, one_hot_labels], axis=1)).
        # BEGIN SOLUTION
        self.decoder = keras.Sequential(
            [layers.Dense(self.hidden_dim, activation="relu") for _ in range(3)]
            + [layers.Dense(self.input_size, activation="sigmoid"), layers.Reshape(IMAGE_SHAPE)],
            name="decoder",
        )
        # END SOLUTION
        # END TODO (2.2)

    def call(self, x, c):
        """Encode (x, c), sample z, decode (z, c).

        Args:
            x: images, float32 tensor of shape (N, 1, H, W) with values in [0, 1].
            c: one-hot class labels, float32 tensor of shape (N, C).
        Returns:
            x_hat: reconstructions, shape (N, 1, H, W), values in [0, 1].
            mu: posterior means, shape (N, Z).
            logvar: posterior log-variances, shape (N, Z).
        """
        x_hat = None
        mu = None
        logvar = None
        # TODO (2.3): Implement the conditional forward pass.
        #   1. Flatten x to (N, H * W) and concatenate c: (N, H * W + C). Cast c to float32 first.
        #   2. Encode into mu and logvar, (N, Z) each, and sample z with reparameterize.
        #   3. Concatenate z and c, (N, Z + C), and decode into x_hat, (N, 1, H, W).
        # BEGIN SOLUTION
        c = tf.cast(c, tf.float32)
        flat = tf.reshape(x, (tf.shape(x)[0], -1))  # (N, H * W)
        features = self.encoder(tf.concat([flat, c], axis=1))  # (N, H_d)
        mu = self.mu_layer(features)  # (N, Z)
        logvar = self.logvar_layer(features)  # (N, Z)
        z = reparameterize(mu, logvar)  # (N, Z)
        x_hat = self.decoder(tf.concat([z, c], axis=1))  # (N, 1, H, W)
        # END SOLUTION
        # END TODO (2.3)
        return x_hat, mu, logvar


def reparameterize(mu, logvar):
    """Sample z ~ N(mu, exp(logvar)) so that gradients flow back to mu and logvar.

    Draw epsilon ~ N(0, I) and return z = mu + sigma * epsilon, where sigma = exp(0.5 * logvar)
    is the standard deviation (logvar is the log of the variance, sigma ** 2).

    Args:
        mu: posterior means, tensor of shape (N, Z).
        logvar: posterior log-variances, tensor of shape (N, Z).
    Returns:
        z: tensor of shape (N, Z); z[i, j] is a sample from N(mu[i, j], exp(logvar[i, j])).
    """
    z = None
    # TODO (3.1): Implement the reparameterization trick.
    #   Use tf.random.normal for epsilon, with the shape of mu: tf.shape(mu).
    # BEGIN SOLUTION
    epsilon = tf.random.normal(tf.shape(mu))  # (N, Z)
    z = mu + tf.exp(0.5 * logvar) * epsilon  # (N, Z)
    # END SOLUTION
    # END TODO (3.1)
    return z


reparametrize = reparameterize  # the original stencil's spelling; both names work


def bce_function(x_hat, x):
    """Given, do not modify. Binary cross-entropy, summed over all pixels and the whole batch.

    Args:
        x_hat: reconstructions, shape (N, 1, H, W), values in [0, 1].
        x: the input images, shape (N, 1, H, W), values in [0, 1].
    Returns:
        A scalar tensor: sum over i and pixels p of -[x log x_hat + (1 - x) log(1 - x_hat)].
    """
    x_hat = tf.reshape(x_hat, (tf.shape(x_hat)[0], -1))  # (N, H * W)
    x = tf.reshape(tf.cast(x, x_hat.dtype), tf.shape(x_hat))  # (N, H * W)
    # Elementwise BCE; Keras clips x_hat to [1e-7, 1 - 1e-7] so log() stays finite.
    return tf.reduce_sum(keras.ops.binary_crossentropy(x, x_hat))


def loss_function(x_hat, x, mu, logvar):
    """The negative evidence lower bound (ELBO), averaged over the batch.

    loss = (1 / N) * sum_i [ BCE(x_hat_i, x_i) + KL(N(mu_i, exp(logvar_i)) || N(0, I)) ],
    where the BCE sums over pixels and the KL term sums over the Z latent dimensions:
    KL_i = -0.5 * sum_j (1 + logvar_ij - mu_ij ** 2 - exp(logvar_ij)).

    Args:
        x_hat: reconstructions, shape (N, 1, H, W).
        x: the input images, shape (N, 1, H, W).
        mu: posterior means, shape (N, Z).
        logvar: posterior log-variances, shape (N, Z).
    Returns:
        loss: a scalar tensor, the average over the batch of the per-image negative ELBO.
    """
    loss = None
    # TODO (3.2): Compute the loss.
    #   Use the given bce_function for the reconstruction term (it sums over pixels AND batch),
    #   add the KL term summed over latent dimensions and batch, then divide by N.
    # BEGIN SOLUTION
    batch_size = tf.cast(tf.shape(x)[0], tf.float32)  # N
    reconstruction = bce_function(x_hat, x)  # summed over pixels and batch
    kl = -0.5 * tf.reduce_sum(1.0 + logvar - tf.square(mu) - tf.exp(logvar))  # summed over Z and batch
    loss = (reconstruction + kl) / batch_size
    # END SOLUTION
    # END TODO (3.2)
    return loss
