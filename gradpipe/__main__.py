"""``python -m gradpipe``: the same command line as the ``gradpipe`` script."""

from gradpipe.cli import main

main()
