"""Demo data built on the imported divisions: Henan's Nanyang city, 郸城县 and Yunnan's 南华县."""
