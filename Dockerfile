# The simulator as an image, for docker compose (see docker-compose.yml and the README).
FROM python:3.12-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY signalr_protocol signalr_protocol
COPY simulator simulator
COPY client client
COPY harness harness
COPY scenarios scenarios
RUN pip install --no-cache-dir .
EXPOSE 8765
# Bound to 0.0.0.0 inside the container, the control API (/_sim/) answers whoever reaches the port:
# set FAULTLINE_CONTROL_TOKEN (docker run -e ...) and send it in X-Faultline-Control-Token. Without
# one the simulator warns at startup (docs/simulator-limits.md).
CMD ["python", "-m", "simulator", "--host", "0.0.0.0", "--port", "8765"]
