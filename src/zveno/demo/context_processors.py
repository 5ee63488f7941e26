from zveno.demo import progress


def demo(request) -> dict:
    """``demo_loading``: where the demo's loading stands, or None (a file check, no query)."""
    return {"demo_loading": progress.current()}
