import keras
import tensorflow as tf
from tensorflow.keras import Sequential
from tensorflow.keras.layers import Dense, Flatten
from tensorflow.math import exp, sqrt


class VAE(tf.keras.Model):
    def __init__(self, input_size, latent_size=15):
        super(VAE, self).__init__()
        self.input_size = input_size
        self.latent_size = latent_size
        self.hidden_dim = 512
        self.encoder = Sequential([Flatten(), Dense(512, activation="relu"), Dense(512, activation="relu"),
                                   Dense(512, activation="relu")])
        self.mu_layer = Dense(self.latent_size)
        self.logvar_layer = Dense(self.latent_size)
        self.decoder = Sequential([Dense(512, activation="relu"), Dense(512, activation="relu"),
                                   Dense(512, activation="relu"), Dense(self.input_size, activation="sigmoid")])

    def call(self, x):
        h = self.encoder(x)
        mu = self.mu_layer(h)
        logvar = self.logvar_layer(h)
        z = reparametrize(mu, logvar)
        x_hat = self.decoder(z)
        x_hat = tf.reshape(x_hat, (-1, 1, 28, 28))
        return x_hat, mu, logvar


class CVAE(tf.keras.Model):
    def __init__(self, input_size, num_classes=10, latent_size=15):
        super(CVAE, self).__init__()
        self.input_size = input_size
        self.latent_size = latent_size
        self.num_classes = num_classes
        self.hidden_dim = 512
        self.encoder = Sequential([Dense(512, activation="relu"), Dense(512, activation="relu"),
                                   Dense(512, activation="relu")])
        self.mu_layer = Dense(self.latent_size)
        self.logvar_layer = Dense(self.latent_size)
        self.decoder = Sequential([Dense(512, activation="relu"), Dense(512, activation="relu"),
                                   Dense(512, activation="relu"), Dense(self.input_size, activation="sigmoid")])

    def call(self, x, c):
        x = Flatten()(x)
        c = tf.cast(c, tf.float32)
        h = self.encoder(tf.concat([x, c], axis=1))
        mu = self.mu_layer(h)
        logvar = self.logvar_layer(h)
        z = reparametrize(mu, logvar)
        x_hat = self.decoder(tf.concat([z, c], axis=1))
        x_hat = tf.reshape(x_hat, (-1, 1, 28, 28))
        return x_hat, mu, logvar


def reparametrize(mu, logvar):
    std = sqrt(exp(logvar))
    eps = tf.random.normal(mu.shape)
    z = mu + eps * std
    return z


def bce_function(x_hat, x):
    """Given, do not modify. Binary cross-entropy, summed over all pixels and the whole batch."""
    x_hat = tf.reshape(x_hat, (tf.shape(x_hat)[0], -1))  # (N, H * W)
    x = tf.reshape(tf.cast(x, x_hat.dtype), tf.shape(x_hat))  # (N, H * W)
    return tf.reduce_sum(keras.ops.binary_crossentropy(x, x_hat))


def loss_function(x_hat, x, mu, logvar):
    bce = bce_function(x_hat, x)
    kl = -0.5 * tf.reduce_sum(1 + logvar - tf.square(mu) - exp(logvar))
    loss = (bce + kl) / x.shape[0]
    return loss
