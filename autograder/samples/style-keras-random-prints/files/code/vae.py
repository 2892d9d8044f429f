import keras
import tensorflow as tf
from keras import layers


class VAE(keras.Model):
    def __init__(self, input_size, latent_size=15):
        super().__init__()
        self.input_size = input_size
        self.latent_size = latent_size
        self.hidden_dim = 300
        self.encoder = keras.Sequential(
            [layers.Flatten()] + [layers.Dense(self.hidden_dim, activation="relu") for _ in range(3)])
        self.mu_layer = layers.Dense(latent_size)
        self.logvar_layer = layers.Dense(latent_size)
        self.decoder = keras.Sequential(
            [layers.Dense(self.hidden_dim, activation="relu") for _ in range(3)]
            + [layers.Dense(input_size, activation="sigmoid"), layers.Reshape((28, 28, 1))])

    def call(self, x):
        h = self.encoder(x)
        mu = self.mu_layer(h)
        logvar = self.logvar_layer(h)
        return self.decoder(reparameterize(mu, logvar)), mu, logvar


class CVAE(keras.Model):
    def __init__(self, input_size, num_classes=10, latent_size=15):
        super().__init__()
        self.input_size = input_size
        self.latent_size = latent_size
        self.num_classes = num_classes
        self.hidden_dim = 300
        self.encoder = keras.Sequential([layers.Dense(self.hidden_dim, activation="relu") for _ in range(3)])
        self.mu_layer = layers.Dense(latent_size)
        self.logvar_layer = layers.Dense(latent_size)
        self.decoder = keras.Sequential(
            [layers.Dense(self.hidden_dim, activation="relu") for _ in range(3)]
            + [layers.Dense(input_size, activation="sigmoid"), layers.Reshape((28, 28, 1))])

    def call(self, x, c):
        c = tf.cast(c, tf.float32)
        h = self.encoder(tf.concat([layers.Flatten()(x), c], axis=1))
        mu = self.mu_layer(h)
        logvar = self.logvar_layer(h)
        z = reparameterize(mu, logvar)
        return self.decoder(tf.concat([z, c], axis=1)), mu, logvar


def reparameterize(mu, logvar):
    sigma = tf.sqrt(tf.exp(logvar))
    return mu + sigma * keras.random.normal(tf.shape(mu))


def bce_function(x_hat, x):
    """Given, do not modify. Binary cross-entropy, summed over all pixels and the whole batch."""
    x_hat = tf.reshape(x_hat, (tf.shape(x_hat)[0], -1))  # (N, H * W)
    x = tf.reshape(tf.cast(x, x_hat.dtype), tf.shape(x_hat))  # (N, H * W)
    return tf.reduce_sum(keras.ops.binary_crossentropy(x, x_hat))


def loss_function(x_hat, x, mu, logvar):
    N = tf.cast(tf.shape(x)[0], tf.float32)
    kl = tf.reduce_sum(-0.5 * (1 + logvar - mu * mu - tf.exp(logvar)))
    return (bce_function(x_hat, x) + kl) / N
