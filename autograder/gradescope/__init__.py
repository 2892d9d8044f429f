"""Gradescope: the autograder zip (build.py), its setup.sh and run_autograder."""
