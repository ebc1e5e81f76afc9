"""HTTP behaviour shared by every route: caching validators, request ids, access log, gzip, CORS."""
