"""Triton Python backend for the joint understanding model: the same code the intent service embeds."""

from convrec_kit.models.understanding.triton_model import UnderstandingTritonModel


class TritonPythonModel(UnderstandingTritonModel):
    pass
