import tensorflow as tf
import numpy as np
from tensorflow.keras import Sequential
from tensorflow.keras.layers import Dense, Flatten, Reshape
from tensorflow.math import exp, sqrt, square


class VAE(tf.keras.Model):
    def __init__(self, input_size, latent_size=15):
        super(VAE, self).__init__()
        self.input_size = input_size  # H*W
        self.latent_size = latent_size  # Z
        self.hidden_dim = 400  # H_d
        self.encoder = None
        self.mu_layer = None
        self.logvar_layer = None
        self.decoder = None

        ############################################################################################
        # TODO: Implement the fully-connected encoder architecture described in the notebook.      #
        ############################################################################################
        self.encoder = Sequential([
            Flatten(),
            Dense(self.hidden_dim, activation="relu"),
            Dense(self.hidden_dim, activation="relu"),
            Dense(self.hidden_dim, activation="relu"),
        ])
        self.mu_layer = Dense(self.latent_size)
        self.logvar_layer = Dense(self.latent_size)
        ############################################################################################
        # TODO: Implement the fully-connected decoder architecture described in the notebook.      #
        ############################################################################################
        self.decoder = Sequential([
            Dense(self.hidden_dim, input_shape=(self.latent_size,), activation="relu"),
            Dense(self.hidden_dim, activation="relu"),
            Dense(self.hidden_dim, activation="relu"),
            Dense(self.input_size, activation="sigmoid"),
            Reshape((1, 28, 28)),
        ])
        ############################################################################################
        #                                      END OF YOUR CODE                                    #
        ############################################################################################

    def call(self, x):
        x_hat = None
        mu = None
        logvar = None
        ############################################################################################
        # TODO: Implement the forward pass by following these steps                                #
        ############################################################################################
        hidden = self.encoder(x)
        mu = self.mu_layer(hidden)
        logvar = self.logvar_layer(hidden)
        z = reparametrize(mu, logvar)
        x_hat = self.decoder(z)
        ############################################################################################
        #                                      END OF YOUR CODE                                    #
        ############################################################################################
        return x_hat, mu, logvar


class CVAE(tf.keras.Model):
    def __init__(self, input_size, num_classes=10, latent_size=15):
        super(CVAE, self).__init__()
        self.input_size = input_size  # H*W
        self.latent_size = latent_size  # Z
        self.num_classes = num_classes  # C
        self.hidden_dim = 400  # H_d
        self.encoder = Sequential([
            Dense(self.hidden_dim, input_shape=(self.input_size + self.num_classes,), activation="relu"),
            Dense(self.hidden_dim, activation="relu"),
            Dense(self.hidden_dim, activation="relu"),
        ])
        self.mu_layer = Dense(self.latent_size)
        self.logvar_layer = Dense(self.latent_size)
        self.decoder = Sequential([
            Dense(self.hidden_dim, input_shape=(self.latent_size + self.num_classes,), activation="relu"),
            Dense(self.hidden_dim, activation="relu"),
            Dense(self.hidden_dim, activation="relu"),
            Dense(self.input_size, activation="sigmoid"),
            Reshape((1, 28, 28)),
        ])

    def call(self, x, c):
        x_hat = None
        mu = None
        logvar = None
        flat = tf.reshape(x, [x.shape[0], -1])
        c = tf.cast(c, tf.float32)
        hidden = self.encoder(tf.concat([flat, c], axis=1))
        mu = self.mu_layer(hidden)
        logvar = self.logvar_layer(hidden)
        z = reparametrize(mu, logvar)
        x_hat = self.decoder(tf.concat([z, c], axis=1))
        return x_hat, mu, logvar


def reparametrize(mu, logvar):
    z = None
    ################################################################################################
    # TODO: Reparametrize by initializing epsilon as a normal distribution and scaling by          #
    # posterior mu and sigma to estimate z                                                         #
    ################################################################################################
    epsilon = tf.random.normal(shape=mu.shape)
    z = mu + sqrt(exp(logvar)) * epsilon
    ################################################################################################
    #                              END OF YOUR CODE                                                #
    ################################################################################################
    return z


def bce_function(x_hat, x):
    # The Keras-2 stencil's version: tf.keras.losses.Reduction does not exist in Keras 3.
    bce_fn = tf.keras.losses.BinaryCrossentropy(
        from_logits=False,
        reduction=tf.keras.losses.Reduction.SUM,
    )
    reconstruction_loss = bce_fn(x, x_hat) * x.shape[-1]
    return reconstruction_loss


def loss_function(x_hat, x, mu, logvar):
    loss = None
    reconstruction_loss = bce_function(x_hat, x)
    kl_divergence = -0.5 * tf.reduce_sum(1 + logvar - square(mu) - exp(logvar))
    loss = (reconstruction_loss + kl_divergence) / x.shape[0]
    return loss
