using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Training.Fit;

namespace OnnxKit.Tests.Distributed;

/// <summary>Comparing where two ways of running the same training end (the split step, the host update, ranks).</summary>
internal static class Trajectories
{
    /// <summary>The session's float32 state (parameters, slots, buffers) by name, copied out.</summary>
    public static Dictionary<string, float[]> FloatState(Learner learner) =>
        learner.Session!.State().Where(kv => kv.Value.Type == IR.ElementType.Float32).ToDictionary(kv => kv.Key, kv => kv.Value.ToFloats());

    /// <summary>
    /// Asserts that <paramref name="actual"/> has the tensors of <paramref name="expected"/>, each within
    /// <paramref name="tolerance"/> × its largest magnitude, and that the last layer's weight moved from
    /// <paramref name="initial"/> (equal trajectories of a model that did not train would prove nothing).
    /// </summary>
    public static void AssertFollows(Dictionary<string, float[]> expected, Dictionary<string, float[]> actual, Dictionary<string, float[]> initial, double tolerance, string what)
    {
        CollectionAssert.AreEquivalent(expected.Keys.ToList(), actual.Keys.ToList());
        foreach (var (name, e) in expected)
        {
            var a = actual[name];
            double scale = e.Max(v => Math.Abs((double)v)), diff = e.Zip(a, (x, y) => Math.Abs((double)x - y)).Max();
            Assert.IsTrue(diff <= tolerance * scale, $"'{name}' {what} differs by {diff:G3} (largest magnitude {scale:G3})");
        }
        double moved = expected["2.weight"].Zip(initial["2.weight"], (x, y) => Math.Abs((double)x - y)).Max();
        Assert.IsTrue(moved > 1e-2, $"the last layer's weight moved by only {moved:G3}");
    }
}
