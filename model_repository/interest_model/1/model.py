"""Triton Python backend for the interest model: the same InterestModel the ranking service embeds."""

from convrec_kit.models.interest.triton_model import InterestTritonModel


class TritonPythonModel(InterestTritonModel):
    pass
