"""Daily and monthly reports: built from the store (`build`), rendered as
Markdown, JSON, CSV and HTML (`render`), kept in the store (`stored`) and
written to the reports folder (`files`) by the report jobs. Import the modules
themselves: this package imports nothing, so the CLI stays quick to start."""
