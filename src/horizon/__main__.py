"""Allow `python -m horizon`."""

from horizon.cli import main

if __name__ == "__main__":
    main()
