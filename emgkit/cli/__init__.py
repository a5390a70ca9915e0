"""The ``emgkit`` command line: the top floor, importing from every layer below."""
