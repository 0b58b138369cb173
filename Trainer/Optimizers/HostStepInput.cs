namespace OnnxKit.Training.Optimizers;

/// <summary>Writes the content of a host step input for the 1-based step <paramref name="step"/>.</summary>
/// <param name="step">The step about to run.</param>
/// <param name="values">The tensor's elements (row-major), to overwrite.</param>
public delegate void StepInputFill(long step, Span<float> values);

/// <summary>
/// A float tensor input of the train step that the host writes before every step (DP-SGD's Gaussian noise): the
/// session sizes it from the model's input of that name and calls <paramref name="Fill"/> with the step number.
/// </summary>
/// <param name="Name">The train-step input.</param>
/// <param name="Fill">Writes the values of a step.</param>
public sealed record HostStepInput(string Name, StepInputFill Fill);
