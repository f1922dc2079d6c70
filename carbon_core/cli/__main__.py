"""``python -m carbon_core.cli``: the ``carbon`` command."""

from . import console

if __name__ == "__main__":
    console()
