"""``python -m carbon_core.cli``: the ``carbon`` command."""

from . import console_main

if __name__ == "__main__":
    console_main()
