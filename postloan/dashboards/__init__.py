"""Read-only dashboards served by Voila over published runs (never over the extract)."""
