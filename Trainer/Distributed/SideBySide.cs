namespace OnnxKit.Training.Distributed;

/// <summary>Runs the lanes of a split step on parallel threads (the caller's among them) and rethrows a lane's own exception.</summary>
internal static class SideBySide
{
    public static void Run(int lanes, Action<int> lane)
    {
        if (lanes == 1) { lane(0); return; }
        try { Parallel.For(0, lanes, lane); }
        catch (AggregateException e) when (e.InnerExceptions.Count == 1)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
    }
}
