"""Read queries: plain functions over a session, shared by the routers, search and the feed."""
