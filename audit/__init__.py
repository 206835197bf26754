"""Audits of a model or data: fairness, pii, privacy, toxicity; the audit result; the gate."""
