using System.Reflection;
using OnnxKit.Bench;

// Suites are discovered by reflection so each lives in its own folder without a central list to edit.
var suites = Assembly.GetExecutingAssembly().GetTypes()
    .Where(t => typeof(IBenchmark).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
    .Select(t => (IBenchmark)Activator.CreateInstance(t)!)
    .OrderBy(s => s.Name, StringComparer.Ordinal)
    .ToList();

if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.WriteLine("usage: OnnxKit.Bench SUITE [options]");
    foreach (var s in suites) Console.WriteLine($"  {s.Name,-12} {s.Description}");
    return args.Length == 0 ? 2 : 0;
}

var suite = suites.FirstOrDefault(s => s.Name == args[0]);
if (suite is null)
{
    Console.Error.WriteLine($"unknown suite '{args[0]}'; expected one of: {string.Join(", ", suites.Select(s => s.Name))}");
    return 2;
}
try
{
    return suite.Run(args[1..]);
}
catch (ArgumentException e)
{
    // Bad options: one line naming what was wrong, as the CLI does.
    Console.Error.WriteLine($"{suite.Name}: {e.Message}");
    return 2;
}
