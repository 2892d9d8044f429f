import keras
import tensorflow as tf
from keras import layers

noise = tf.random.Generator.from_seed(1470)


class VAE(keras.Model):
    def __init__(self, input_size, latent_size=15):
        super().__init__()
        self.input_size = input_size
        self.latent_size = latent_size
        self.hidden_dim = 750
        self.optimizer = keras.optimizers.Adam(learning_rate=0.001)
        self.encoder = keras.Sequential([
            layers.Flatten(),
            layers.Dense(self.hidden_dim), layers.ReLU(),
            layers.Dense(self.hidden_dim), layers.ReLU(),
            layers.Dense(self.hidden_dim), layers.ReLU(),
        ])
        self.mu_layer = layers.Dense(latent_size)
        self.logvar_layer = layers.Dense(latent_size)
        self.decoder = keras.Sequential([
            layers.Dense(latent_size), layers.ReLU(),
            layers.Dense(self.hidden_dim), layers.ReLU(),
            layers.Dense(self.hidden_dim), layers.ReLU(),
            layers.Dense(self.hidden_dim), layers.ReLU(),
            layers.Dense(input_size, activation="sigmoid"),
        ])

    def call(self, x):
        x = tf.cast(x, tf.float32)
        features = self.encoder(x)
        mu, logvar = self.mu_layer(features), self.logvar_layer(features)
        x_hat = self.decoder(reparameterize(mu, logvar))  # (N, 784)
        return x_hat, mu, logvar


class CVAE(keras.Model):
    def __init__(self, input_size, num_classes=10, latent_size=15):
        super().__init__()
        self.input_size = input_size
        self.latent_size = latent_size
        self.num_classes = num_classes
        self.hidden_dim = 750
        self.optimizer = keras.optimizers.Adam(learning_rate=0.001)
        self.encoder = keras.Sequential([
            layers.Dense(self.hidden_dim), layers.ReLU(),
            layers.Dense(self.hidden_dim), layers.ReLU(),
            layers.Dense(self.hidden_dim), layers.ReLU(),
        ])
        self.mu_layer = layers.Dense(latent_size)
        self.logvar_layer = layers.Dense(latent_size)
        self.decoder = keras.Sequential([
            layers.Dense(self.hidden_dim), layers.ReLU(),
            layers.Dense(self.hidden_dim), layers.ReLU(),
            layers.Dense(self.hidden_dim), layers.ReLU(),
            layers.Dense(input_size, activation="sigmoid"),
        ])

    def call(self, x, c):
        x = tf.cast(x, tf.float32)
        c = tf.cast(c, tf.float32)
        flat = tf.reshape(x, (-1, self.input_size))
        features = self.encoder(tf.concat([flat, c], 1))
        mu, logvar = self.mu_layer(features), self.logvar_layer(features)
        z = reparameterize(mu, logvar)
        x_hat = self.decoder(tf.concat([z, c], 1))
        return tf.reshape(x_hat, (-1, 28, 28)), mu, logvar


def reparameterize(mu, logvar):
    epsilon = noise.normal(shape=tf.shape(mu))
    return mu + tf.exp(logvar / 2) * epsilon


def bce_function(x_hat, x):
    """Given, do not modify. Binary cross-entropy, summed over all pixels and the whole batch."""
    x_hat = tf.reshape(x_hat, (tf.shape(x_hat)[0], -1))  # (N, H * W)
    x = tf.reshape(tf.cast(x, x_hat.dtype), tf.shape(x_hat))  # (N, H * W)
    return tf.reduce_sum(keras.ops.binary_crossentropy(x, x_hat))


def loss_function(x_hat, x, mu, logvar):
    batch_size = tf.shape(x).numpy()[0]
    kl = -0.5 * tf.reduce_sum(1 + logvar - tf.square(mu) - tf.exp(logvar))
    return (bce_function(x_hat, x) + kl) / batch_size
