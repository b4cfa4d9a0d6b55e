"""Pure builders for official documents (公文 DOCX, Excel ledgers): plain data in, bytes out."""
