using OnnxKit.Tests.Support;

namespace OnnxKit.Tests.Interop.NodeSuite;

/// <summary>
/// ONNX's own node test cases (<c>onnx/backend/test/data/node/test_*</c>: a one-operator model and test_data_set_0
/// with input_K.pb and output_K.pb), generated at test time by the installed onnx package's generators into a temporary
/// folder. Debian's onnx 1.12 ships the generators but not the data, and its generators still use the NumPy aliases
/// (<c>np.bool</c>, <c>np.object</c>, …) that NumPy 1.24 removed, so the script restores them before importing onnx.
/// </summary>
internal static class NodeSuiteData
{
    private const string Generator = """
        import sys
        import numpy as np
        for alias, value in (("bool", bool), ("object", object), ("int", int), ("float", float), ("str", str), ("complex", complex)):
            if alias not in np.__dict__:
                setattr(np, alias, value)
        import onnx
        from onnx.backend.test.cmd_tools import generate_data
        import argparse
        generate_data(argparse.Namespace(output=sys.argv[1], op_type=None))
        print(onnx.__version__)
        """;

    /// <summary>
    /// Generates the cases into a new temporary folder and returns it with the onnx version, or skips the calling test
    /// (inconclusive) where the interpreter or its onnx package is missing.
    /// </summary>
    public static (string Folder, string OnnxVersion) Generate()
    {
        Python.Require("onnx", "numpy");
        string root = Path.Combine(Path.GetTempPath(), "onnxkit-node-suite-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        string script = Path.Combine(root, "generate.py");
        File.WriteAllText(script, Generator);
        string version = Python.RunScript(script, root).Trim().Split('\n').Last().Trim();
        string node = Path.Combine(root, "node");
        if (!Directory.Exists(node)) Assert.Fail($"the onnx {version} generator wrote no node cases under {root}");
        return (node, version);
    }
}
