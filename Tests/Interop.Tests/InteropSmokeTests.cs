using OnnxKit.Interop;

namespace OnnxKit.Tests.Interop;

[TestClass]
public sealed class InteropSmokeTests
{
    [TestMethod]
    public void CanonicalOpsetIsTheBuilderDefault() =>
        Assert.AreEqual(InteropInfo.CanonicalOpset, new GraphBuilder("g").Opset);
}
