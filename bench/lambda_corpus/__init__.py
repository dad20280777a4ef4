"""A labelled development corpus of AWS Lambda logs: see README.md for what it holds and the labelling rules."""

from bench.lambda_corpus.generator import generate
from bench.lambda_corpus.invocation import LabelledEvent

__all__ = ["LabelledEvent", "generate"]
