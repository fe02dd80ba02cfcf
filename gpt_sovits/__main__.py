"""Entry point for ``python -m gpt_sovits``."""

from gpt_sovits.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
