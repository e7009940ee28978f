"""The plan editor: declared fields, the form, "Create version", delete and undelete."""
