"""Lector: batch production of audiobooks and long-form spoken content.

Layers, each importing only the ones below it (import-linter checks this in CI):

- ``lector.cli``: the ``lector`` command; parses arguments and calls the layers below.
- ``lector.flows`` / ``lector.review``: Prefect flows (retries, concurrency, UI) and the editors'
  web app. Both call the library; neither imports the other.
- ``lector.core``: the library (ingest, text front end, engines, audio, QC, the build folder and the
  book pipeline). It never imports prefect, boto3 or jinja2 and renders a book on its own.
"""
