#!/usr/bin/env bash
# Points every model of a rendered Triton model repository at a Python environment: a
# Python backend stub built for that environment's Python (from nvidia-pytriton, installed
# in it, for the Triton release it bundles) and EXECUTION_ENV_PATH = the environment.
# Usage: docker/triton-execution-env.sh REPOSITORY ENV_DIR
set -euo pipefail
repository="$1"
env_dir="$(cd "$2" && pwd)"
python="$env_dir/bin/python"
version="$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
root="$("$python" -c 'import pathlib, pytriton; print(pathlib.Path(pytriton.__file__).parent)')"
stub="$root/tritonserver/python_backend_stubs/$version/triton_python_backend_stub"
[ -x "$stub" ] || { echo "no Python $version backend stub at $stub" >&2; exit 1; }
for config in "$repository"/*/config.pbtxt; do
  model="$(dirname "$config")"
  ln -sfn "$stub" "$model/triton_python_backend_stub"
  if ! grep -q '"EXECUTION_ENV_PATH"' "$config"; then
    printf 'parameters {\n  key: "EXECUTION_ENV_PATH"\n  value: { string_value: "%s" }\n}\n' "$env_dir" >> "$config"
  fi
done
echo "models in $repository run Python $version from $env_dir"
