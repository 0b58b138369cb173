"""Checks models with ONNX's checker, as onnx.checker.check_model(path, full_check=True) does.

Prints one line per model, "OK <path>" or "FAIL <path>: <message>", and exits 1 when any model fails.
The full check also runs ONNX's strict shape inference with type checks, so declared types that contradict
the inferred ones fail. onnx 1.12's check_model(path, full_check=True) writes the inferred model over the
file it checks (infer_shapes_path's output defaults to its input); here the same two steps run with the
inferred model written to a temporary file instead, so the model under test is left as it was.
"""
import os
import sys
import tempfile

import onnx

failed = False
with tempfile.TemporaryDirectory() as tmp:
    for k, path in enumerate(sys.argv[1:]):
        try:
            onnx.checker.check_model(path)
            onnx.shape_inference.infer_shapes_path(path, os.path.join(tmp, "inferred%d.onnx" % k),
                                                   check_type=True, strict_mode=True)
            print("OK " + path)
        except Exception as e:  # the checker raises several exception types; report them all the same way
            failed = True
            print("FAIL %s: %s" % (path, str(e).replace("\n", " | ")))
sys.exit(1 if failed else 0)
