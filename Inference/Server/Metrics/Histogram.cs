using System.Globalization;
using System.Text;

namespace OnnxKit.Server;

/// <summary>A Prometheus histogram with fixed upper bounds (thread-safe, lock-free).</summary>
internal sealed class Histogram(double[] bounds)
{
    private readonly long[] _counts = new long[bounds.Length + 1];
    private long _count;
    private double _sum;
    private readonly object _sumLock = new();

    public void Observe(double value)
    {
        int i = Array.FindIndex(bounds, b => value <= b);
        Interlocked.Increment(ref _counts[i < 0 ? bounds.Length : i]);
        Interlocked.Increment(ref _count);
        lock (_sumLock) _sum += value;
    }

    public void Write(StringBuilder sb, string name, string labels)
    {
        long cumulative = 0;
        string sep = labels.Length > 0 ? "," : "";
        for (int i = 0; i < bounds.Length; i++)
        {
            cumulative += Interlocked.Read(ref _counts[i]);
            sb.Append(CultureInfo.InvariantCulture, $"{name}_bucket{{{labels}{sep}le=\"{bounds[i].ToString("R", CultureInfo.InvariantCulture)}\"}} {cumulative}\n");
        }
        cumulative += Interlocked.Read(ref _counts[^1]);
        sb.Append(CultureInfo.InvariantCulture, $"{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {cumulative}\n");
        double sum; lock (_sumLock) sum = _sum;
        sb.Append(CultureInfo.InvariantCulture, $"{name}_sum{{{labels}}} {sum.ToString("R", CultureInfo.InvariantCulture)}\n");
        sb.Append(CultureInfo.InvariantCulture, $"{name}_count{{{labels}}} {Interlocked.Read(ref _count)}\n");
    }
}
