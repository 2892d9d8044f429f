import tensorflow as tf
from keras import backend as K
from keras import losses
from tensorflow.keras.layers import Dense, Flatten, Reshape

bce = losses.BinaryCrossentropy(reduction=losses.Reduction.SUM)


class VAE(tf.keras.Model):
    def __init__(self, input_size, latent_size=15):
        super(VAE, self).__init__()
        self.input_size = input_size
        self.latent_size = latent_size
        self.hidden_dim = 400
        self.encoder = tf.keras.Sequential([
            Flatten(input_shape=(1, 28, 28)),
            Dense(self.hidden_dim, activation="relu"),
            Dense(self.hidden_dim, activation="relu"),
            Dense(self.hidden_dim, activation="relu"),
        ])
        self.mu_layer = Dense(latent_size)
        self.logvar_layer = Dense(latent_size)
        self.decoder = tf.keras.Sequential([
            Dense(self.hidden_dim, activation="relu", input_dim=latent_size),
            Dense(self.hidden_dim, activation="relu"),
            Dense(self.hidden_dim, activation="relu"),
            Dense(input_size, activation="sigmoid"),
            Reshape((1, 28, 28)),
        ])
        # Keras 2 on an M1 Mac: "please use the legacy Keras optimizer instead"
        self.adam = tf.keras.optimizers.legacy.Adam(lr=1e-3)

    def call(self, x):
        h = self.encoder(x)
        mu = self.mu_layer(h)
        logvar = self.logvar_layer(h)
        z = reparametrize(mu, logvar)
        x_hat = self.decoder(z)
        return x_hat, mu, logvar


class CVAE(tf.keras.Model):
    def __init__(self, input_size, num_classes=10, latent_size=15):
        super(CVAE, self).__init__()
        self.input_size = input_size
        self.num_classes = num_classes
        self.latent_size = latent_size
        self.hidden_dim = 400
        self.encoder = tf.keras.Sequential([
            Dense(self.hidden_dim, activation="relu", input_dim=input_size + num_classes),
            Dense(self.hidden_dim, activation="relu"),
            Dense(self.hidden_dim, activation="relu"),
        ])
        self.mu_layer = Dense(latent_size)
        self.logvar_layer = Dense(latent_size)
        self.decoder = tf.keras.Sequential([
            Dense(self.hidden_dim, activation="relu", input_dim=latent_size + num_classes),
            Dense(self.hidden_dim, activation="relu"),
            Dense(self.hidden_dim, activation="relu"),
            Dense(input_size, activation="sigmoid"),
            Reshape((1, 28, 28)),
        ])
        self.adam = tf.keras.optimizers.legacy.Adam(lr=1e-3)

    def call(self, x, c):
        x = K.reshape(x, (-1, self.input_size))
        h = self.encoder(K.concatenate([x, c], axis=1))
        mu = self.mu_layer(h)
        logvar = self.logvar_layer(h)
        z = reparametrize(mu, logvar)
        x_hat = self.decoder(K.concatenate([z, c], axis=1))
        return x_hat, mu, logvar


def reparametrize(mu, logvar):
    batch = K.shape(mu)[0]
    dim = K.int_shape(mu)[1]
    epsilon = K.random_normal(shape=(batch, dim))
    return mu + K.exp(0.5 * logvar) * epsilon


def bce_function(x_hat, x):
    bce_fn = tf.keras.losses.BinaryCrossentropy(reduction=tf.keras.losses.Reduction.SUM)
    return bce_fn(x, x_hat)


def loss_function(x_hat, x, mu, logvar):
    reconstruction = bce(K.reshape(x, (-1, 1)), K.reshape(x_hat, (-1, 1)))
    kl = -0.5 * K.sum(1 + logvar - K.square(mu) - K.exp(logvar))
    return (reconstruction + kl) / K.cast(K.shape(x)[0], "float32")
