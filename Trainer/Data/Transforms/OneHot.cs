namespace OnnxKit.Training.Data;

/// <summary>Turns class labels into one-hot float targets [batch, NumClasses] in the loader's batches.</summary>
public sealed class OneHot
{
    /// <summary>Width of the one-hot vectors.</summary>
    public int NumClasses { get; }

    /// <summary>Creates the transform.</summary>
    public OneHot(int numClasses)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numClasses);
        NumClasses = numClasses;
    }
}
