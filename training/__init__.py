"""DP fine-tuning of Hugging Face classifiers with Opacus; model loading by local path."""
