import keras
import tensorflow as tf
from tensorflow.keras import Sequential
from tensorflow.keras.layers import Dense, Flatten, Reshape
from tensorflow.math import exp, sqrt


class VAE(tf.keras.Model):
    def __init__(self, input_size, latent_size=15):
        super(VAE, self).__init__()
        self.input_size = input_size  # H*W
        self.latent_size = latent_size  # Z
        self.hidden_dim = 256  # H_d
        self.optimizer = tf.keras.optimizers.Adam(1e-3)
        self.encoder = Sequential([
            Flatten(),
            Dense(self.hidden_dim, activation="relu"),
            Dense(self.hidden_dim, activation="relu"),
            Dense(self.hidden_dim, activation="relu"),
        ])
        self.mu_layer = Dense(self.latent_size)
        self.logvar_layer = Dense(self.latent_size)
        self.decoder = Sequential([
            Dense(self.hidden_dim, activation="relu"),
            Dense(self.hidden_dim, activation="relu"),
            Dense(self.hidden_dim, activation="relu"),
            Dense(self.input_size, activation="sigmoid"),
            Reshape((-1, 28, 28)),
        ])

    def call(self, x):
        encoded = self.encoder(x)
        mu = self.mu_layer(encoded)
        logvar = self.logvar_layer(encoded)
        z = reparametrize(mu, logvar)
        x_hat = self.decoder(z)
        return x_hat, mu, logvar


class CVAE(tf.keras.Model):
    def __init__(self, input_size, num_classes=10, latent_size=15):
        super(CVAE, self).__init__()
        self.input_size = input_size  # H*W
        self.latent_size = latent_size  # Z
        self.num_classes = num_classes  # C
        self.hidden_dim = 256  # H_d
        self.optimizer = tf.keras.optimizers.Adam(1e-3)
        self.encoder = Sequential([
            Dense(self.hidden_dim, activation="relu"),
            Dense(self.hidden_dim, activation="relu"),
            Dense(self.hidden_dim, activation="relu"),
        ])
        self.mu_layer = Dense(self.latent_size)
        self.logvar_layer = Dense(self.latent_size)
        self.decoder = Sequential([
            Dense(self.hidden_dim, activation="relu"),
            Dense(self.hidden_dim, activation="relu"),
            Dense(self.hidden_dim, activation="relu"),
            Dense(self.input_size, activation="sigmoid"),
            Reshape((-1, 28, 28)),
        ])

    def call(self, x, c):
        x = tf.reshape(x, (x.shape[0], -1))
        encoded = self.encoder(tf.concat([x, tf.cast(c, tf.float32)], axis=-1))
        mu = self.mu_layer(encoded)
        logvar = self.logvar_layer(encoded)
        z = reparametrize(mu, logvar)
        x_hat = self.decoder(tf.concat([z, tf.cast(c, tf.float32)], axis=-1))
        return x_hat, mu, logvar


def reparametrize(mu, logvar):
    sigma = sqrt(exp(logvar))
    epsilon = tf.random.normal(tf.shape(mu))
    return mu + sigma * epsilon


def bce_function(x_hat, x):
    """Given, do not modify. Binary cross-entropy, summed over all pixels and the whole batch."""
    x_hat = tf.reshape(x_hat, (tf.shape(x_hat)[0], -1))  # (N, H * W)
    x = tf.reshape(tf.cast(x, x_hat.dtype), tf.shape(x_hat))  # (N, H * W)
    return tf.reduce_sum(keras.ops.binary_crossentropy(x, x_hat))


def loss_function(x_hat, x, mu, logvar):
    reconstruction = bce_function(x_hat, x)
    kl_div = -0.5 * tf.reduce_sum(1 + logvar - mu ** 2 - exp(logvar))
    return (reconstruction + kl_div) / x.shape[0]
