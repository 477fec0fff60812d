"""Feature definitions and pure DataFrame transforms: schemas, column
expressions, linking and graph steps. No I/O and no settings live here."""
