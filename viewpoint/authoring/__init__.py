"""Writing the council's questionnaires: versions, workbooks, indicators. No child's data."""
