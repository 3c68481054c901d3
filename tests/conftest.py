"""Settings shared by every test layer."""

from hypothesis import settings

# Speed is measured in bench/, never asserted: no per-example deadline on these noisy machines.
settings.register_profile("alpr", deadline=None)
settings.load_profile("alpr")
