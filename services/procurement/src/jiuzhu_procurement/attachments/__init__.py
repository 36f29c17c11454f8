"""Documents attached to the procurement aggregates (jiuzhu_kit.documents), each read and written
as that aggregate's policy decides."""
