"""The write endpoints' work: receive a body, ingest it in one transaction, or delete.

An upload and a PUT go through the ingest's own loop (``app.ingest.ingest_into``), so an
article written over HTTP is stored exactly as ``corpus ingest`` would store it. What is
the writes' own: the multipart body streamed to disk (``receive``), the upload's rules of
naming and all or nothing (``upload``), preconditions of a PUT or DELETE (``article``),
and running a write again when a concurrent one got in its way (``retry``).
"""

# Every article written over HTTP lives under this folder of the corpus.
CORPUS_FOLDER = "content/"
