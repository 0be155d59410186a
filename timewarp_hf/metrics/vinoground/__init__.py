from timewarp_hf.metrics.vinoground.vinoground import Vinoground

__all__ = ["Vinoground"]
