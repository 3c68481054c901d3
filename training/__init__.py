"""Training code for the plate recognizer (`make train`); never imported at run time."""
