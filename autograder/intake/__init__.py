"""Intake, the first stage: locate and unzip a submission, sanitize its files, read their signatures."""
