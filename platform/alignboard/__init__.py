"""Alignboard: a self-hosted, low-code platform for sales and HR goal alignment."""

__version__ = "0.1.0"

from .hookspecs import hookimpl  # noqa: E402  (plugins write @alignboard.hookimpl)

__all__ = ["hookimpl", "__version__"]
