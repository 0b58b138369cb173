using OnnxKit.Training.Artifacts;
using OnnxKit.Training.Optimizers;

namespace OnnxKit.Interop.Transfer;

/// <summary>
/// <c>TrainingArtifacts.Create(model, loss, optimizer)</c> for imported models: the input type comes from the
/// imported graph (<see cref="TrainableModel.InputType"/>), so
/// <c>TrainingArtifacts.Create(imported.ReplaceHead(10).Freeze(upTo: "layer3"), Losses.CrossEntropy(), new AdamW(3e-4))</c> reads as written.
/// </summary>
public static class TrainableArtifacts
{
    /// <summary>Extension members of <see cref="TrainingArtifacts"/>.</summary>
    extension(TrainingArtifacts)
    {
        /// <summary>The training artifacts of an imported (and possibly re-headed, partly frozen) model.</summary>
        public static TrainingArtifacts Create(TrainableModel model, Loss loss, Optimizer optimizer, TrainingArtifacts.Options? options = null) =>
            TrainingArtifacts.Create(model, model.InputType, loss, optimizer, options);
    }
}
