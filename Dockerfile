# The convrec services (CPU). Build: docker build -t convrec:0.1.0 .
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PIP_NO_CACHE_DIR=1 HOME=/tmp HF_HUB_OFFLINE=1 \
    CONVREC_ARTIFACTS_DIR=/app/artifacts CONVREC_HOST=0.0.0.0
WORKDIR /app
COPY . .
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu \
 && pip install -e . \
 && python -m grpc_tools.protoc -I protos --python_out=services --grpc_python_out=services \
      $(find protos -name '*.proto') \
 && convrec build \
 && useradd --uid 10001 --no-create-home convrec
USER 10001
EXPOSE 50051 50052 50053 50054
ENTRYPOINT ["convrec"]
CMD ["serve", "all"]
