"""``python -m carbon_core.cli``: the ``carbon`` command."""

from . import main

if __name__ == "__main__":
    main()
