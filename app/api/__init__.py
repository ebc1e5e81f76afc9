"""HTTP routers: one per resource, thin (validate, call a query function, return a model)."""
