"""A project as a whole: what spans the apps when a project starts or its settings change, and the
pages and API of workspaces, projects and their teams.

The top of the declared order (``config/layers.py``): it may call every app's services, and any
app's pages and API may call it. No models of its own: workspaces, projects and memberships are
``workspaces``' models, which every app rests on.
"""
