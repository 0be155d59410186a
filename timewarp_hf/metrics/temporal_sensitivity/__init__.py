from timewarp_hf.metrics.temporal_sensitivity.temporal_sensitivity import TemporalSensitivity

__all__ = ["TemporalSensitivity"]
