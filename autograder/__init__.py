"""Gradescope autograder for the HW6 VAE homework.

    python -m autograder build                 # writes dist/autograder.zip
    python -m autograder grade solutions       # grade a folder or .zip locally, as Gradescope would
"""
