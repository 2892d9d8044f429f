"""Section 4: the VAE and CVAE forward passes have the handout's shapes and ranges.

x_hat and the decoder's output may use any layout of 28 x 28 values per image that the
handout's code accepts (IMAGE_LAYOUTS): (N, 1, 28, 28), (N, 28, 28, 1), (N, 28, 28) or (N, 784).
"""
import numpy as np

from ..evidence import IMAGE_PIXELS, NUM_CLASSES
from . import RubricTest, item

N, Z, C = 8, 15, NUM_CLASSES


class TestForward(RubricTest):
    def forward(self, kind):
        args = "x" if kind == "vae" else "x, c"
        return self.check_step(self.evidence.model(kind), f"{kind}_forward",
                               context=f"{kind.upper()}({IMAGE_PIXELS}, latent_size={Z})({args}) failed").arrays

    def check_shapes(self, kind):
        """The model's outputs for N images: fails on a wrong shape; returns x_hat's layout."""
        arrays = self.forward(kind)
        _, layout = self.images(arrays, "x_hat", N, what=f"{kind.upper()} x_hat")
        self.array(arrays, "mu", shape=(N, Z), what=f"{kind.upper()} mu")
        self.array(arrays, "logvar", shape=(N, Z), what=f"{kind.upper()} logvar")
        return layout

    def decoded(self, kind, key, what, **bounds):
        context = (f"model.decoder(z) for z of shape {(N, Z)} failed" if kind == "vae" else
                   f"model.decoder(concat(z, c)) for z of shape {(N, Z)} and c of shape {(N, C)} failed")
        arrays = self.check_step(self.evidence.model(kind), f"{kind}_decoder", context=context).arrays
        return self.images(arrays, key, N, what=what, **bounds)

    @item("4.1")
    def test_vae_shapes(self):
        """VAE returns x_hat with 28 x 28 values per image and mu, logvar of shape (N, Z)"""
        layout = self.check_shapes("vae")
        print(f"For {N} images, x_hat is {layout} and mu, logvar are {(N, Z)}.")

    @item("4.2")
    def test_vae_range_and_decoder(self):
        """VAE's x_hat lies in [0, 1], and its decoder maps (N, Z) to N images"""
        self.images(self.forward("vae"), "x_hat", N, lo=0.0, hi=1.0,
                    what="VAE x_hat (end the decoder with a sigmoid)")
        _, layout = self.decoded("vae", "decoded", what="VAE decoder(z)", lo=0.0, hi=1.0)
        print(f"x_hat and decoder(z) are images in [0, 1]; decoder(z) is {layout}.")

    @item("4.3")
    def test_cvae_shapes(self):
        """CVAE(x, c) returns x_hat with 28 x 28 values per image in [0, 1] and mu, logvar of shape (N, Z)"""
        layout = self.check_shapes("cvae")
        self.images(self.forward("cvae"), "x_hat", N, lo=0.0, hi=1.0,
                    what="CVAE x_hat (end the decoder with a sigmoid)")
        print(f"For {N} images and labels, x_hat is {layout} and mu, logvar are {(N, Z)}.")

    @item("4.4")
    def test_cvae_uses_label(self):
        """CVAE's decoder output depends on the label: decoder(concat(z, c)) with C = 10"""
        what = f"CVAE decoder(concat(z, one_hot)) for z of shape {(N, Z)} and labels {(N, C)}"
        first, layout = self.decoded("cvae", "decoded_a", what=what)
        second, _ = self.decoded("cvae", "decoded_b", what=what)
        difference = np.abs(first - second).mean()
        if difference < 1e-6:
            self.fail("The same z with different labels decoded to the same images: the decoder must "
                      "use the label (its input is concat(z, c), and both must reach its output).")
        print(f"Changing the label changes the decoded image (mean pixel change {difference:.4f}; "
              f"decoder output {layout}).")
