"""One connector per network behind one interface; the scheduler knows only `base`."""
