using System.Globalization;
using OnnxKit.Samples.TabularMLNet;

// Usage: TabularMLNet [path/to/wdbc.csv] [seed]        compare the OnnxKit MLP with ML.NET's SDCA and FastTree
//        TabularMLNet save MODEL.zip [wdbc.csv] [seed]   train the OnnxKit pipeline and save it as an ML.NET model
//        TabularMLNet score MODEL.zip [wdbc.csv]         load a saved model (e.g. in another service) and score the rows
// (default CSV: data/breast-cancer/wdbc.csv found above the working directory; seed 1)
// Exit codes: 0 success, 2 bad usage or data (one line on stderr).
if (args.Length == 1 && args[0] is "save" or "score")
{
    Console.Error.WriteLine($"TabularMLNet: '{args[0]}' needs the model path: TabularMLNet {args[0]} MODEL.zip [wdbc.csv]");
    return 2;
}
try
{
    return Run(args);
}
catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or InvalidDataException or FormatException or ArgumentException)
{
    Console.Error.WriteLine($"TabularMLNet: {e.Message}");
    return 2;
}

static int Run(string[] args)
{
if (args.Length >= 2 && args[0] is "save" or "score")
{
    string csv = args.Length > 2 ? args[2] : FindData();
    if (args[0] == "save")
    {
        var probabilities = BreastCancerComparison.TrainAndSave(csv, args[1], args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 1);
        Console.WriteLine($"saved {args[1]} ({probabilities.Length} rows scored in this process)");
    }
    else
        foreach (var (probability, predicted) in BreastCancerComparison.ScoreSaved(args[1], csv))
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{probability:R} {(predicted ? 1 : 0)}"));
    return 0;
}
string path = args.Length > 0 ? args[0] : FindData();
int seed = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1;
var results = BreastCancerComparison.Run(path, seed);
Console.WriteLine($"Breast Cancer Wisconsin (Diagnostic), 70/30 split (seed {seed}), test set:");
Console.WriteLine($"{"trainer",-42} {"accuracy",9} {"AUC",7} {"F1",7} {"fit s",7}");
foreach (var r in results)
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{r.Name,-42} {r.Accuracy,9:F4} {r.Auc,7:F4} {r.F1,7:F4} {r.Seconds,7:F2}"));
return 0;
}

static string FindData()
{
    for (var d = new DirectoryInfo(Directory.GetCurrentDirectory()); d is not null; d = d.Parent)
    {
        string p = Path.Combine(d.FullName, BreastCancerComparison.DataFile);
        if (File.Exists(p)) return p;
    }
    throw new FileNotFoundException($"cannot find {BreastCancerComparison.DataFile} above {Directory.GetCurrentDirectory()}; pass the CSV path as the first argument");
}
