"""A project as a whole: what spans the apps when a project starts or its settings change.

The top of the declared order (``config/layers.py``): it may call every app's services, and any
app's pages and API may call it. No models of its own.
"""
