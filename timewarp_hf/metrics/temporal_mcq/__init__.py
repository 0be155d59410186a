from timewarp_hf.metrics.temporal_mcq.temporal_mcq import TemporalMCQ

__all__ = ["TemporalMCQ"]
