"""Section 4: the VAE and CVAE forward passes have the handout's shapes and ranges."""
import numpy as np

from . import RubricTest, item

N, Z, IMAGE = 8, 15, (1, 28, 28)


class TestForward(RubricTest):
    def check_shapes(self, kind):
        args = "x" if kind == "vae" else "x, c"
        arrays = self.check_step(self.grading.checks, f"{kind}_forward",
                                 context=f"{kind.upper()}(784, latent_size={Z})({args}) failed").arrays
        self.array(arrays, "x_hat", shape=(N, *IMAGE), what=f"{kind.upper()} x_hat")
        self.array(arrays, "mu", shape=(N, Z), what=f"{kind.upper()} mu")
        self.array(arrays, "logvar", shape=(N, Z), what=f"{kind.upper()} logvar")
        return arrays

    @item("4.1")
    def test_vae_shapes(self):
        """VAE returns x_hat of shape (N, 1, 28, 28) and mu, logvar of shape (N, Z)"""
        self.check_shapes("vae")
        print(f"For {N} images, x_hat is {(N, *IMAGE)} and mu, logvar are {(N, Z)}.")

    @item("4.2")
    def test_vae_range_and_decoder(self):
        """VAE's x_hat lies in [0, 1], and its decoder maps (N, Z) to (N, 1, 28, 28)"""
        arrays = self.check_shapes("vae")
        self.array(arrays, "x_hat", lo=0.0, hi=1.0, what="VAE x_hat (end the decoder with a sigmoid)")
        decoded = self.check_step(self.grading.checks, "vae_decoder",
                                  context=f"model.decoder(z) for z of shape {(N, Z)} failed").arrays
        self.array(decoded, "decoded", shape=(N, *IMAGE), lo=0.0, hi=1.0, what="VAE decoder(z)")
        print("x_hat and decoder(z) are images in [0, 1].")

    @item("4.3")
    def test_cvae_shapes(self):
        """CVAE(x, c) returns x_hat of shape (N, 1, 28, 28) in [0, 1] and mu, logvar of shape (N, Z)"""
        arrays = self.check_shapes("cvae")
        self.array(arrays, "x_hat", lo=0.0, hi=1.0, what="CVAE x_hat (end the decoder with a sigmoid)")
        print(f"For {N} images and labels, x_hat is {(N, *IMAGE)} and mu, logvar are {(N, Z)}.")

    @item("4.4")
    def test_cvae_uses_label(self):
        """CVAE's decoder output depends on the label: decoder(concat(z, c)) with C = 10"""
        arrays = self.check_step(self.grading.checks, "cvae_decoder", context=(
            f"model.decoder(concat(z, c)) for z of shape {(N, Z)} and c of shape {(N, 10)} failed")).arrays
        what = f"CVAE decoder(concat(z, one_hot)) for z of shape {(N, Z)} and labels {(N, 10)}"
        first = self.array(arrays, "decoded_a", shape=(N, *IMAGE), what=what)
        second = self.array(arrays, "decoded_b", shape=(N, *IMAGE), what=what)
        difference = np.abs(first - second).mean()
        if difference < 1e-6:
            self.fail("The same z with different labels decoded to the same images: the decoder must "
                      "use the label (its input is concat(z, c), and both must reach its output).")
        print(f"Changing the label changes the decoded image (mean pixel change {difference:.4f}).")
