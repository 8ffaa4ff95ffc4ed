"""``python -m aigc.core.cli`` is the ``aigc`` command."""

from aigc.core.cli.app import main

main()
