from timewarp_hf.metrics.paired_yes_no.paired_yes_no import PairedYesNo

__all__ = ["PairedYesNo"]
