"""Model runtimes: the warm-model cache and host, GPU control, diffusers, llama.cpp, faster-whisper,
Piper/espeak-ng, mediapipe/ONNX vision, and the model files they load.
"""
