"""A read-only view of every questionnaire, band by band, as staff explain it to children."""
