using Microsoft.ML.Data;

namespace OnnxKit.Tests.Interop.MLNet;

/// <summary>Small deterministic tabular data: three Gaussian blobs in 8 dimensions, with derived binary and regression targets.</summary>
public sealed class TabularRow
{
    public const int Size = 8;
    [VectorType(Size)] public float[] Features { get; set; } = [];
    public string Class { get; set; } = "";
    public bool Positive { get; set; }
    public float Target { get; set; }

    public static TabularRow[] Blobs(int count, int seed)
    {
        var rng = new Random(seed);
        string[] names = ["setosa", "versicolor", "virginica"];
        var centres = new float[3][];
        var centreRng = new Random(12345);
        for (int c = 0; c < 3; c++) centres[c] = Enumerable.Range(0, Size).Select(_ => (float)(centreRng.NextDouble() * 4 - 2)).ToArray();
        var rows = new TabularRow[count];
        for (int i = 0; i < count; i++)
        {
            int c = rng.Next(3);
            var x = centres[c].Select(m => m + (float)Gaussian(rng) * 0.7f).ToArray();
            rows[i] = new TabularRow
            {
                Features = x, Class = names[c], Positive = x[0] + x[1] - x[2] > 0,
                Target = 1.5f * x[0] - 2f * x[3] + 0.5f * x[5] + 0.3f,
            };
        }
        return rows;
    }

    private static double Gaussian(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}
