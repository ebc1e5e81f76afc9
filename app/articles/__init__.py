"""The article: its one mapping between rows and public document, and the stored documents.

``mapping`` derives from the tables (``app/models.py``) and the public models
(``app/schemas.py``) how an article's rows make its document and back; ``stored`` encodes the
document that every writer stores beside the rows and every read serves as it is.
"""
