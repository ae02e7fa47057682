"""Writes a Q8_0 copy of a GGUF model with llama.cpp's own quantizer (the venv's libllama).

Why: the embedded SmolLM2 ships as Q4_1, for which llama.cpp's x86 matrix kernels (llamafile's tinyBLAS,
the repacked layouts) have no path, so prompt evaluation runs on the generic dot product. Q8_0 has fast
kernels: about twice the prompt throughput here for 45 MB more. The weights are the Q4_1 values
requantized (each within half a Q8_0 step), not a different checkpoint.

usage: python requantize.py SRC.gguf OUT.gguf   (writes OUT.gguf.tmp, then renames: never a half file)
"""
import ctypes
import os
import sys

import llama_cpp


def main() -> int:
    src, out = sys.argv[1], sys.argv[2]
    p = llama_cpp.llama_model_quantize_default_params()
    p.ftype = llama_cpp.LLAMA_FTYPE_MOSTLY_Q8_0
    p.allow_requantize = True
    p.nthread = os.cpu_count() or 1
    tmp = out + ".tmp"
    rc = llama_cpp.llama_model_quantize(src.encode(), tmp.encode(), ctypes.byref(p))
    if rc != 0 or not os.path.getsize(tmp):
        print(f"requantize: llama_model_quantize failed ({rc}) for {src}", file=sys.stderr)
        return 1
    os.replace(tmp, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
