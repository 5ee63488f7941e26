"""The demo workspace: the seed's four case studies, written through every app's services."""
