using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using OnnxKit.Tests.Support;
using OnnxKit.Training.Artifacts;
using OnnxKit.Training.Distributed;
using OnnxKit.Training.Session;
using LossCatalog = OnnxKit.Losses;
using OptimizerCatalog = OnnxKit.Optimizers;

namespace OnnxKit.Tests.Distributed;

/// <summary>The shard-gradient graph draws, for rows a … b of a step's batch, the Dropout masks of those rows in the fused step.</summary>
[TestClass]
public sealed class ShardGradientsTests
{
    [TestMethod]
    public void AShardDrawsTheFusedStepsMasksOfItsRows()
    {
        const int rows = 8, width = 200, first = 3, shardRows = 4;
        var model = new Sequential(new Dense(width, inFeatures: 3), new Dropout(0.5)) { Seed = 4 };
        var opt = OptimizerCatalog.Sgd(1e-3);
        var type = new TensorType(ElementType.Float32, new Shape(Dim.Sym("batch"), 3));
        var art = TrainingArtifacts.Create(model, type, LossCatalog.MeanSquaredError(), opt);
        var x = Enumerable.Range(0, rows * 3).Select(i => 0.25f + i % 5 * 0.5f).ToArray();
        var y = new float[rows * width];
        using var fused = new TrainingSession(art, opt, new TrainingSessionOptions { IntraOpThreads = 1 });
        fused.SetStepCount(6);
        fused.Step(x, y, rows, 1e-3);
        var expected = fused.LastOutput.Slice(first * width, shardRows * width).ToArray();

        var graph = ShardGradients.Build(model, type, LossCatalog.MeanSquaredError(), art.Manifest);
        float[] Shard(long offset) => OrtRun.Run(graph,
        [
            HostTensor.F32("input", x[(first * 3)..((first + shardRows) * 3)], shardRows, 3), HostTensor.F32("target", new float[shardRows * width], shardRows, width),
            Parameter(art, "0.weight"), Parameter(art, "0.bias"),
            HostTensor.I64("optimizer.step", [6]), HostTensor.I64(ShardGradients.RowOffsetName, [offset]), HostTensor.I64(ShardGradients.StepRowsName, [rows]),
        ])["output"].Floats;
        Compare.Close(expected, Shard(first), 1e-6, 1e-6, "rows 3–6 of the step computed as a shard");
        // Computed as if it were the batch's first rows, the shard draws other masks: about half the zeros move.
        var wrong = Shard(0);
        int differ = expected.Zip(wrong, (a, b) => (a == 0) != (b == 0)).Count(d => d);
        Assert.IsTrue(differ > expected.Length / 4, $"{differ} of {expected.Length} mask entries differ at offset 0");
    }

    private static HostTensor Parameter(TrainingArtifacts art, string name) =>
        HostTensor.F32(name, art.InitialState[name].ToFloats(), art.InitialState[name].Shape);
}
