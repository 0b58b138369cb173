using System.Diagnostics;
using OnnxKit.IR;
using OnnxKit.Training.Callbacks;
using OnnxKit.Training.Data;
using OnnxKit.Training.Distributed;
using OnnxKit.Training.Fit;
using OnnxKit.Training.Session;
using LossCatalog = OnnxKit.Losses;
using OptimizerCatalog = OnnxKit.Optimizers;
using MetricCatalog = OnnxKit.Metrics;

namespace OnnxKit.Tests.Distributed;

/// <summary>
/// One rank of a test job: trains a small MLP with Dropout on fixed synthetic data and writes its final state to
/// <c>rank&lt;r&gt;.safetensors</c>. The tests build the same learner in their own process for the single-process reference.
/// Arguments: <c>--mode mpi|none --out DIR --batch B --accumulate K --epochs E [--resume CKPT] [--kill-at STEP] [--raise-at STEP]</c>;
/// the kill and raise faults hit rank 1.
/// </summary>
public static class DistributedWorker
{
    public const int Samples = 320, Features = 12, Classes = 4;

    /// <summary>A fixed classification problem: the class is the arg-max of four fixed projections of the features.</summary>
    public static TensorDataset Data()
    {
        var x = new float[Samples * Features];
        var y = new long[Samples];
        for (int i = 0; i < Samples; i++)
        {
            for (int j = 0; j < Features; j++) x[i * Features + j] = (float)Math.Sin(0.37 * i + 1.3 * j + 0.11 * i * j % 7);
            double best = double.NegativeInfinity;
            for (int c = 0; c < Classes; c++)
            {
                double score = 0;
                for (int j = 0; j < Features; j++) score += x[i * Features + j] * Math.Cos(c * 2.1 + j * 0.7);
                if (score > best) { best = score; y[i] = c; }
            }
        }
        return new TensorDataset(x, [Features], y, numClasses: Classes);
    }

    public static Learner CreateLearner(ICommunicator communicator)
    {
        var model = new Sequential(new Dense(32, Activation.Relu), new Dropout(0.25), new Dense(Classes)) { Seed = 5 };
        return new Learner(model, OptimizerCatalog.Sgd(0.05, momentum: 0.9), LossCatalog.SparseCategoricalCrossEntropy(fromLogits: true),
            [MetricCatalog.Accuracy], new TrainingSessionOptions { IntraOpThreads = 1 }) { Communicator = communicator };
    }

    public static FitOptions Options(int batch, int accumulate, int epochs, string? resume, IReadOnlyList<Callback>? callbacks = null) => new()
    {
        Epochs = epochs, BatchSize = batch, AccumulateSteps = accumulate, Seed = 1, ResumeFrom = resume, Callbacks = callbacks ?? [],
    };

    public static int Main(string[] args)
    {
        string Arg(string name, string fallback) => Array.IndexOf(args, name) is var i and >= 0 ? args[i + 1] : fallback;
        using var comm = World.Join(Arg("--mode", "mpi"));
        try
        {
            using var learner = CreateLearner(comm);
            var fault = new Fault(comm.Rank, int.Parse(Arg("--kill-at", "0")), int.Parse(Arg("--raise-at", "0")));
            var resume = Arg("--resume", "");
            learner.Fit(Data(), Options(int.Parse(Arg("--batch", "32")), int.Parse(Arg("--accumulate", "1")), int.Parse(Arg("--epochs", "2")),
                resume.Length == 0 ? null : resume, [fault]));
            learner.SaveCheckpoint(Path.Combine(Arg("--out", "."), $"rank{comm.Rank}.safetensors"));
            return 0;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"worker: rank {comm.Rank}: {e.Message}");
            comm.Abort(1);
            return 1;
        }
    }

    private sealed class Fault(int rank, int killAt, int raiseAt) : Callback
    {
        public override void OnBatchEnd(TrainingContext ctx, long step, float loss)
        {
            if (rank != 1) return;
            if (step == killAt) Process.GetCurrentProcess().Kill();
            if (step == raiseAt) throw new InvalidOperationException($"a fault raised at step {step}");
        }
    }
}
