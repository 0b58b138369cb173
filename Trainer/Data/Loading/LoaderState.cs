namespace OnnxKit.Training.Data;

/// <summary>
/// Where a <see cref="DataLoader"/> stands: the epoch and how many of its batches were already handed out.
/// Save it with a checkpoint; a loader over the same data with the same settings, restored to it, continues with
/// exactly the batches (order and augmentations) the interrupted one would have produced.
/// </summary>
/// <param name="Epoch">The current epoch (0-based).</param>
/// <param name="Position">Batches of that epoch already handed out.</param>
public readonly record struct LoaderState(int Epoch, int Position);
