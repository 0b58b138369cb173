using System.CommandLine;
using OnnxKit.IR;
using OnnxKit.Training.Checkpoints;

namespace OnnxKit.Cli.Commands;

/// <summary><c>onnxkit export RUN_DIR</c>: the inference model with a checkpoint's weights (e.g. best.safetensors).</summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var run = new Argument<string>("run") { Description = "a run folder written by 'onnxkit train' (holds artifacts/ and checkpoints)" };
        var checkpoint = new Option<string>("--checkpoint") { Description = "checkpoint file in the run folder", DefaultValueFactory = _ => "best.safetensors" };
        var outPath = new Option<string?>("--out") { Description = "output .onnx (default RUN/exported.onnx)" };
        var external = new Option<bool>("--external-data") { Description = "store weights in a .data file beside the model" };
        var cmd = new Command("export", "Write an inference ONNX model with the weights of a checkpoint.") { run, checkpoint, outPath, external };
        cmd.SetAction(pr => Run(pr.GetValue(run)!, pr.GetValue(checkpoint)!, pr.GetValue(outPath), pr.GetValue(external), Console.Out));
        return cmd;
    }

    internal static int Run(string runDir, string checkpoint, string? outPath, bool external, TextWriter output)
    {
        string inference = Path.Combine(runDir, "artifacts", "inference.onnx");
        if (!File.Exists(inference)) throw new CliException($"'{runDir}' is not a run folder: {inference} is missing");
        string ckpt = Path.IsPathRooted(checkpoint) ? checkpoint : Path.Combine(runDir, checkpoint);
        if (!File.Exists(ckpt)) throw new CliException($"checkpoint '{ckpt}' does not exist");
        var model = OnnxModel.Load(inference);
        var (tensors, _) = SafeTensors.Read(ckpt);
        int replaced = 0;
        foreach (var t in tensors)
        {
            int i = model.Graph.Initializers.FindIndex(x => x.Name == t.Name);
            if (i < 0) continue;
            if (!model.Graph.Initializers[i].Dims.SequenceEqual(t.Shape))
                throw new CliException($"checkpoint tensor '{t.Name}' has shape [{string.Join(", ", t.Shape)}], the model's is [{string.Join(", ", model.Graph.Initializers[i].Dims)}]");
            model.Graph.Initializers[i] = new Initializer(TensorData.FromFloats(t.Name, t.ToFloats(), t.Shape));
            replaced++;
        }
        string dest = outPath ?? Path.Combine(runDir, "exported.onnx");
        model.Save(dest, new SaveOptions { UseExternalData = external });
        output.WriteLine($"wrote {dest} ({replaced} weight tensors from {Path.GetFileName(ckpt)})");
        return 0;
    }
}
