import numpy as np
import tensorflow as tf


class VAE(tf.keras.Model):
    """Fully connected variational autoencoder, after TensorFlow's CVAE tutorial."""

    def __init__(self, input_size, latent_size=15):
        super(VAE, self).__init__()
        self.input_size = input_size
        self.latent_size = latent_size
        self.hidden_dim = 400
        self.encoder = tf.keras.Sequential(
            [
                tf.keras.layers.InputLayer(input_shape=(1, 28, 28)),
                tf.keras.layers.Flatten(),
                tf.keras.layers.Dense(self.hidden_dim, activation="relu"),
                tf.keras.layers.Dense(self.hidden_dim, activation="relu"),
                tf.keras.layers.Dense(self.hidden_dim, activation="relu"),
                # No activation: mean and log-variance side by side
                tf.keras.layers.Dense(latent_size + latent_size),
            ]
        )
        self.decoder = tf.keras.Sequential(
            [
                tf.keras.layers.InputLayer(input_shape=(latent_size,)),
                tf.keras.layers.Dense(self.hidden_dim, activation="relu"),
                tf.keras.layers.Dense(self.hidden_dim, activation="relu"),
                tf.keras.layers.Dense(self.hidden_dim, activation="relu"),
                tf.keras.layers.Dense(input_size, activation="sigmoid"),
                tf.keras.layers.Reshape((1, 28, 28)),
            ]
        )

    @tf.function
    def sample(self, eps=None):
        if eps is None:
            eps = tf.random.normal(shape=(100, self.latent_size))
        return self.decode(eps)

    def encode(self, x):
        mean, logvar = tf.split(self.encoder(x), num_or_size_splits=2, axis=1)
        return mean, logvar

    def decode(self, z):
        return self.decoder(z)

    def call(self, x):
        mean, logvar = self.encode(x)
        z = reparameterize(mean, logvar)
        return self.decode(z), mean, logvar


class CVAE(tf.keras.Model):
    """The conditional version: the label goes into the encoder and the decoder."""

    def __init__(self, input_size, num_classes=10, latent_size=15):
        super(CVAE, self).__init__()
        self.input_size = input_size
        self.num_classes = num_classes
        self.latent_size = latent_size
        self.hidden_dim = 400
        self.encoder = tf.keras.Sequential(
            [
                tf.keras.layers.InputLayer(input_shape=(input_size + num_classes,)),
                tf.keras.layers.Dense(self.hidden_dim, activation="relu"),
                tf.keras.layers.Dense(self.hidden_dim, activation="relu"),
                tf.keras.layers.Dense(self.hidden_dim, activation="relu"),
                tf.keras.layers.Dense(latent_size + latent_size),
            ]
        )
        self.decoder = tf.keras.Sequential(
            [
                tf.keras.layers.InputLayer(input_shape=(latent_size + num_classes,)),
                tf.keras.layers.Dense(self.hidden_dim, activation="relu"),
                tf.keras.layers.Dense(self.hidden_dim, activation="relu"),
                tf.keras.layers.Dense(self.hidden_dim, activation="relu"),
                tf.keras.layers.Dense(input_size, activation="sigmoid"),
                tf.keras.layers.Reshape((1, 28, 28)),
            ]
        )

    def encode(self, x, c):
        flat = tf.reshape(x, (-1, self.input_size))
        mean, logvar = tf.split(self.encoder(tf.concat([flat, c], axis=1)), num_or_size_splits=2, axis=1)
        return mean, logvar

    def decode(self, z, c):
        return self.decoder(tf.concat([z, c], axis=1))

    def call(self, x, c):
        mean, logvar = self.encode(x, c)
        z = reparameterize(mean, logvar)
        return self.decode(z, c), mean, logvar


def reparameterize(mean, logvar):
    eps = tf.random.normal(shape=mean.shape)
    return eps * tf.exp(logvar * 0.5) + mean


def log_normal_pdf(sample, mean, logvar, raxis=1):
    log2pi = tf.math.log(2.0 * np.pi)
    return tf.reduce_sum(-0.5 * ((sample - mean) ** 2.0 * tf.exp(-logvar) + logvar + log2pi), axis=raxis)


def bce_function(x_hat, x):
    """Given, do not modify. Binary cross-entropy, summed over all pixels and the whole batch."""
    x_hat = tf.reshape(x_hat, (tf.shape(x_hat)[0], -1))  # (N, H * W)
    x = tf.reshape(tf.cast(x, x_hat.dtype), tf.shape(x_hat))  # (N, H * W)
    return tf.reduce_sum(tf.keras.ops.binary_crossentropy(x, x_hat))


def loss_function(x_hat, x, mu, logvar):
    # The tutorial's Monte-Carlo KL is noisy; the closed form for two Gaussians is exact.
    kl = -0.5 * tf.reduce_sum(1.0 + logvar - tf.square(mu) - tf.exp(logvar))
    return (bce_function(x_hat, x) + kl) / tf.cast(tf.shape(x)[0], tf.float32)
