"""What the anonymised dashboards publish: periods released once they have ended
(``releases.py``), counts protected by the cell key method (``disclosure.py``), the figures
read from a release (``measures.py``) and the tables built from them (``tables.py``).

Below the screens, so that the dashboards' pages and CSV files and the API's totals are the
same figures, made once: nothing reaches a reader that a panel member could not see.
"""
