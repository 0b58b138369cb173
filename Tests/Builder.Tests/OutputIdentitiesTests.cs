using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.IR;
using OnnxKit.Tests.Support;

namespace OnnxKit.Tests;

/// <summary>Renaming computed values to their output names instead of copying them through Identity nodes.</summary>
[TestClass]
public sealed class OutputIdentitiesTests
{
    [TestMethod]
    public void ComputedOutputsAreRenamedAndTheGraphComputesTheSame()
    {
        // y = (x·2) + 1 leaves as "doubled" (also read by the Add) and "y"; x passes through as "same".
        var g = new GraphBuilder("t");
        var x = g.Input("x", ElementType.Float32, 3);
        var doubled = x * 2.0;
        var y = doubled + 1.0;
        g.Output(doubled, "doubled");
        g.Output(y, "y");
        g.Output(x, "same");
        var model = g.Build();
        var input = HostTensor.F32("x", [1f, -2f, 3.5f], 3);
        var before = OrtRun.Run(model, input);
        Assert.AreEqual(3, model.Graph.Nodes.Count(n => n.OpType == "Identity"));

        Assert.AreEqual(2, OutputIdentities.Remove(model.Graph));
        // The pass-through of a graph input keeps its Identity: there is no producer to rename.
        var identities = model.Graph.Nodes.Where(n => n.OpType == "Identity").ToList();
        Assert.AreEqual(1, identities.Count);
        CollectionAssert.AreEqual(new[] { "x" }, identities[0].Inputs);
        // The Add now reads the renamed value.
        var add = model.Graph.Nodes.Single(n => n.OpType == "Add");
        Assert.AreEqual("doubled", add.Inputs[0]);
        Assert.AreEqual("y", add.Outputs[0]);
        model.Graph.Validate();

        var after = OrtRun.Run(model, input);
        foreach (var name in new[] { "doubled", "y", "same" })
            Compare.Close(before[name].Doubles, after[name].Doubles, 0, what: name);
        Compare.Close([2, -4, 7], after["doubled"].Doubles, 0);
        Compare.Close([3, -3, 8], after["y"].Doubles, 0);
    }

    [TestMethod]
    public void AValueLeavingUnderTwoNamesKeepsOneIdentity()
    {
        var g = new GraphBuilder("t");
        var x = g.Input("x", ElementType.Float32, 2);
        var y = x * 3.0;
        g.Output(y, "a");
        g.Output(y, "b");
        var model = g.Build();
        Assert.AreEqual(1, OutputIdentities.Remove(model.Graph));
        model.Graph.Validate();
        var outs = OrtRun.Run(model, HostTensor.F32("x", [1f, 2f], 2));
        Compare.Close([3, 6], outs["a"].Doubles, 0);
        Compare.Close([3, 6], outs["b"].Doubles, 0);
    }
}
