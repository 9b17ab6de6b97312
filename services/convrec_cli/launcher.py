"""The service launcher and port helpers under their `convrec_cli` names."""

from convrec_kit.cluster import Cluster
from convrec_kit.processes import free_port, wait_serving

__all__ = ["Cluster", "free_port", "wait_serving"]
