import keras
import tensorflow as tf
from keras import layers, ops


class Sampling(layers.Layer):
    """Uses (z_mean, z_log_var) to sample z, the vector encoding a digit."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(1337)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        batch = ops.shape(z_mean)[0]
        dim = ops.shape(z_mean)[1]
        epsilon = keras.random.normal(shape=(batch, dim), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon


sampling = Sampling()


def build_encoder(input_dim, latent_dim, hidden_dim=400, name="encoder"):
    encoder_inputs = keras.Input(shape=(input_dim,))
    x = layers.Dense(hidden_dim, activation="relu")(encoder_inputs)
    x = layers.Dense(hidden_dim, activation="relu")(x)
    x = layers.Dense(hidden_dim, activation="relu")(x)
    z_mean = layers.Dense(latent_dim, name="z_mean")(x)
    z_log_var = layers.Dense(latent_dim, name="z_log_var")(x)
    return keras.Model(encoder_inputs, [z_mean, z_log_var], name=name)


def build_decoder(input_dim, hidden_dim=400, name="decoder"):
    latent_inputs = keras.Input(shape=(input_dim,))
    x = layers.Dense(hidden_dim, activation="relu")(latent_inputs)
    x = layers.Dense(hidden_dim, activation="relu")(x)
    x = layers.Dense(hidden_dim, activation="relu")(x)
    x = layers.Dense(28 * 28, activation="sigmoid")(x)
    decoder_outputs = layers.Reshape((28, 28, 1))(x)
    return keras.Model(latent_inputs, decoder_outputs, name=name)


class VAE(keras.Model):
    def __init__(self, input_size, latent_size=15, **kwargs):
        super().__init__(**kwargs)
        self.input_size = input_size
        self.latent_size = latent_size
        self.encoder = build_encoder(input_size, latent_size)
        self.decoder = build_decoder(latent_size)
        self.total_loss_tracker = keras.metrics.Mean(name="total_loss")
        self.reconstruction_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")

    @property
    def metrics(self):
        return [self.total_loss_tracker, self.reconstruction_loss_tracker, self.kl_loss_tracker]

    def call(self, x):
        z_mean, z_log_var = self.encoder(ops.reshape(x, (-1, self.input_size)))
        z = reparameterize(z_mean, z_log_var)
        return self.decoder(z), z_mean, z_log_var

    def train_step(self, data):
        images, _ = data
        with tf.GradientTape() as tape:
            reconstruction, z_mean, z_log_var = self(images)
            reconstruction_loss = bce_function(reconstruction, images) / ops.cast(ops.shape(images)[0], "float32")
            total_loss = loss_function(reconstruction, images, z_mean, z_log_var)
        grads = tape.gradient(total_loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        self.total_loss_tracker.update_state(total_loss)
        self.reconstruction_loss_tracker.update_state(reconstruction_loss)
        self.kl_loss_tracker.update_state(total_loss - reconstruction_loss)
        return {m.name: m.result() for m in self.metrics}


class CVAE(VAE):
    def __init__(self, input_size, num_classes=10, latent_size=15, **kwargs):
        super().__init__(input_size, latent_size, **kwargs)
        self.num_classes = num_classes
        self.encoder = build_encoder(input_size + num_classes, latent_size)
        self.decoder = build_decoder(latent_size + num_classes)

    def call(self, x, c):
        flat = ops.reshape(x, (-1, self.input_size))
        z_mean, z_log_var = self.encoder(ops.concatenate([flat, c], axis=1))
        z = reparameterize(z_mean, z_log_var)
        return self.decoder(ops.concatenate([z, c], axis=1)), z_mean, z_log_var

    def train_step(self, data):
        images, labels = data
        c = ops.one_hot(labels, self.num_classes)
        with tf.GradientTape() as tape:
            reconstruction, z_mean, z_log_var = self(images, c)
            reconstruction_loss = bce_function(reconstruction, images) / ops.cast(ops.shape(images)[0], "float32")
            total_loss = loss_function(reconstruction, images, z_mean, z_log_var)
        grads = tape.gradient(total_loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        self.total_loss_tracker.update_state(total_loss)
        self.reconstruction_loss_tracker.update_state(reconstruction_loss)
        self.kl_loss_tracker.update_state(total_loss - reconstruction_loss)
        return {m.name: m.result() for m in self.metrics}


def reparameterize(mu, logvar):
    return sampling([mu, logvar])


def bce_function(x_hat, x):
    """Given, do not modify. Binary cross-entropy, summed over all pixels and the whole batch."""
    x_hat = tf.reshape(x_hat, (tf.shape(x_hat)[0], -1))  # (N, H * W)
    x = tf.reshape(tf.cast(x, x_hat.dtype), tf.shape(x_hat))  # (N, H * W)
    return tf.reduce_sum(keras.ops.binary_crossentropy(x, x_hat))


def loss_function(x_hat, x, mu, logvar):
    data = ops.reshape(x, (-1, 28, 28, 1))
    reconstruction = ops.reshape(x_hat, (-1, 28, 28, 1))
    reconstruction_loss = ops.mean(ops.sum(keras.losses.binary_crossentropy(data, reconstruction), axis=(1, 2)))
    kl_loss = -0.5 * (1 + logvar - ops.square(mu) - ops.exp(logvar))
    kl_loss = ops.mean(ops.sum(kl_loss, axis=1))
    return reconstruction_loss + kl_loss
