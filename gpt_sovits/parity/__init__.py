"""Parity checks: reproduce the original implementation's outputs stored in a fixture folder."""
