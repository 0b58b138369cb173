namespace OnnxKit.Training.Data;

/// <summary>The catalogue of data transforms (the loader applies them per sample, in the given order).</summary>
public static class Transforms
{
    /// <summary>(x − mean) / std, one value or one per channel.</summary>
    public static Normalize Normalize(float[] mean, float[] std) => new(mean, std);
    /// <summary>Standardisation fitted on the training set; save its Mean/Std with the model.</summary>
    public static Standardize Standardize(TensorDataset train, bool perChannel = false) => Data.Standardize.Fit(train, perChannel);
    /// <summary>Maps [min, max] onto [0, 1].</summary>
    public static ScaleToUnit ScaleToUnit(float min = 0f, float max = 255f) => new(min, max);
    /// <summary>Random shift of up to ±padding pixels with zero fill.</summary>
    public static RandomCrop RandomCrop(int padding) => new(padding);
    /// <summary>Random left–right mirror.</summary>
    public static HorizontalFlip HorizontalFlip(double probability = 0.5) => new(probability);
    /// <summary>Additive Gaussian noise.</summary>
    public static GaussianNoise GaussianNoise(double std) => new(std);
    /// <summary>One-hot targets.</summary>
    public static OneHot OneHot(int numClasses) => new(numClasses);
}
