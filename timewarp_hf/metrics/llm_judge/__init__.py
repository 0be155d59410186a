from timewarp_hf.metrics.llm_judge.llm_judge import LLMJudge

__all__ = ["LLMJudge"]
