import keras
import tensorflow as tf
from keras import layers

rng = tf.random.Generator.from_seed(2024)


def decoder_stack(hidden, output_size):
    return keras.Sequential([
        layers.Dense(hidden),
        layers.BatchNormalization(),
        layers.LeakyReLU(),
        layers.Dense(hidden),
        layers.ReLU(),
        layers.Dense(hidden, activation="gelu"),
        layers.Dropout(0.1),
        layers.Dense(output_size),
        layers.Activation("sigmoid"),
        layers.Reshape((1, 28, 28)),
    ], name="decoder")


class VAE(keras.Model):
    def __init__(self, input_size, latent_size=15):
        super().__init__()
        self.input_size, self.latent_size, self.hidden_dim = input_size, latent_size, 400
        self.encoder = keras.Sequential([layers.Flatten()] + [layers.Dense(400, activation="relu") for _ in range(3)])
        self.mu_layer = layers.Dense(latent_size)
        self.logvar_layer = layers.Dense(latent_size)
        self.decoder = decoder_stack(self.hidden_dim, input_size)

    def call(self, x):
        h = self.encoder(x)
        mu, logvar = self.mu_layer(h), self.logvar_layer(h)
        return self.decoder(reparameterize(mu, logvar)), mu, logvar


class CVAE(keras.Model):
    def __init__(self, input_size, num_classes=10, latent_size=15):
        super().__init__()
        self.input_size, self.num_classes, self.latent_size, self.hidden_dim = input_size, num_classes, latent_size, 400
        self.encoder = keras.Sequential([layers.Dense(400, activation="relu") for _ in range(3)])
        self.mu_layer = layers.Dense(latent_size)
        self.logvar_layer = layers.Dense(latent_size)
        self.decoder = decoder_stack(self.hidden_dim, input_size)

    def call(self, x, c):
        h = self.encoder(tf.concat([tf.reshape(x, (-1, self.input_size)), c], axis=1))
        mu, logvar = self.mu_layer(h), self.logvar_layer(h)
        z = reparameterize(mu, logvar)
        return self.decoder(tf.concat([z, c], axis=1)), mu, logvar


def reparameterize(mu, logvar):
    return mu + tf.exp(0.5 * logvar) * rng.normal(tf.shape(mu))


def bce_function(x_hat, x):
    """Given, do not modify. Binary cross-entropy, summed over all pixels and the whole batch."""
    x_hat = tf.reshape(x_hat, (tf.shape(x_hat)[0], -1))  # (N, H * W)
    x = tf.reshape(tf.cast(x, x_hat.dtype), tf.shape(x_hat))  # (N, H * W)
    return tf.reduce_sum(keras.ops.binary_crossentropy(x, x_hat))


@tf.function(reduce_retracing=True)
def loss_function(x_hat, x, mu, logvar):
    kl = -0.5 * tf.reduce_sum(1.0 + logvar - tf.square(mu) - tf.exp(logvar))
    return (bce_function(x_hat, x) + kl) / tf.cast(tf.shape(x)[0], tf.float32)
