"""The engine version, in one place (read by the package face and by the pipeline)."""

__version__ = "0.1.0"
