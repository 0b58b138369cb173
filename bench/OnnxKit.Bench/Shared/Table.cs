namespace OnnxKit.Bench.Shared;

/// <summary>Prints rows as a Markdown table (pasteable into bench/RESULTS.md).</summary>
public static class Table
{
    public static void Print(string[] header, IEnumerable<string[]> rows)
    {
        Console.WriteLine("| " + string.Join(" | ", header) + " |");
        Console.WriteLine("|" + string.Concat(header.Select(_ => "---|")));
        foreach (var r in rows) Console.WriteLine("| " + string.Join(" | ", r) + " |");
    }
}
