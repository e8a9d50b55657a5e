"""Pytest plugins of our own, loaded with ``-p`` from pyproject.toml."""
