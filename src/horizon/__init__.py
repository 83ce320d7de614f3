"""horizon: horizon scanning for the VGT board."""

from horizon.hookspecs import hookimpl

__version__ = "0.1.0"
__all__ = ["__version__", "hookimpl"]
