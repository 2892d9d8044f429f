"""Generate the student stencil hw6/code/ from the reference code in solutions/.

    python -m stencil build      # write hw6/code/ from solutions/, removing files no longer generated
    python -m stencil check      # exit 1 and list stale files if hw6/code/ is out of date
    python -m stencil build --src solutions --dest /tmp/hw6-code   # other folders

In solutions/, each answer sits inside a numbered TODO banner:

        # TODO (3.1): Implement the reparameterization trick.
        #   (instructions for students)
        # BEGIN SOLUTION
        z = mu + tf.exp(0.5 * logvar) * epsilon
        # END SOLUTION
        # END TODO (3.1)

The stencil keeps the banner and instructions and replaces the BEGIN..END SOLUTION lines with
`raise NotImplementedError("TODO 3.1")`; a code line ending in `# SOLUTION` is replaced the same
way. Files without markers are copied byte for byte. Caches, outputs/, model_ckpts/, *.h5, *.npz
and 2470student are neither copied nor touched in hw6/code/, nor is README.md (solutions/README.md
is the reference's hand-in README; students fill in hw6/README.md). Only hw6/code/ is generated:
hw6/HANDOUT.md, hw6/README.md and hw6/pack.py are written by hand.
"""
from .markers import StencilError, transform

__all__ = ["StencilError", "transform"]
