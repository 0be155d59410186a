"""TimeWarp for the Hugging Face stack."""
