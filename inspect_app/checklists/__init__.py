"""Checklists (核查表): the default template content and its XLSX exchange format."""
