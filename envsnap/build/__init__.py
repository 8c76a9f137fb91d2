"""Building images: the lock -> render -> engine pipeline (pipeline.py) and in-image paths."""
