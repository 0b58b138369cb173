using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace OnnxKit.Tests.Support;

/// <summary>Numeric comparisons with messages that show where arrays differ.</summary>
public static class Compare
{
    /// <summary>Asserts max |a − b| ≤ atol + rtol·|b| elementwise.</summary>
    public static void Close(double[] expected, double[] actual, double atol, double rtol = 0, string what = "values")
    {
        Assert.AreEqual(expected.Length, actual.Length, $"{what}: length");
        double worst = 0; int at = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            double err = Math.Abs(expected[i] - actual[i]) - rtol * Math.Abs(expected[i]);
            if (double.IsNaN(actual[i]) != double.IsNaN(expected[i])) { worst = double.PositiveInfinity; at = i; break; }
            if (err > worst) { worst = err; at = i; }
        }
        if (worst > atol)
            Assert.Fail($"{what}: element {at} expected {expected[at]:R}, got {actual[at]:R} (excess error {worst:E3} > atol {atol:E1}, rtol {rtol:E1})");
    }

    /// <summary>Float overload.</summary>
    public static void Close(float[] expected, float[] actual, double atol, double rtol = 0, string what = "values") =>
        Close(expected.Select(x => (double)x).ToArray(), actual.Select(x => (double)x).ToArray(), atol, rtol, what);

    /// <summary>Max absolute difference.</summary>
    public static double MaxAbs(double[] a, double[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).DefaultIfEmpty(0).Max();
}
